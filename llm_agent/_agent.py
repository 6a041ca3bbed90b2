"""``init()`` and the process-wide agent: provider, pipeline, instrumentors, exit hook."""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider

from llm_agent import _errors, context, semconv
from llm_agent.config import ConfigError, Settings
from llm_agent.instrumentation import _direct_spans, get_instrumentor, installed_libraries

__version__ = "0.1.0"

logger = logging.getLogger("llm_agent")

_lock = threading.RLock()
_agent: Agent | None = None
_settings = Settings()
_tracer: otel_trace.Tracer | None = None
# One dispatching processor per provider we have attached to: the SDK cannot remove a processor,
# so re-initialising swaps what this one delegates to instead of stacking new ones.
_dispatchers: dict[int, _Dispatcher] = {}
_atexit_registered = False


def _noop_hooks() -> frozenset[Any]:
    """The ``on_start``/``on_end`` implementations known to do nothing (the dispatcher skips them)."""
    from llm_agent.export._processor import BatchingProcessor

    return frozenset(
        {SpanProcessor.on_start, SpanProcessor.on_end, BatchingProcessor.on_start, context.StampingSpanProcessor.on_end}
    )


class _Dispatcher(SpanProcessor):
    """Forwards to the current agent's processors (stamping first, then one per backend).

    Every span of the app passes through here twice on the app's thread, so the hooks to call
    are resolved once per ``init()``: bound methods, without the ones known to do nothing (the
    batching processors' ``on_start``, the stamping processor's ``on_end``).
    """

    def __init__(self) -> None:
        self._processors: tuple[SpanProcessor, ...] = ()
        self._on_start: tuple[Any, ...] = ()
        self._on_end: tuple[Any, ...] = ()
        #: True when no ``on_start`` hook here looks at our own spans (the stamping processor skips
        #: them), so our finished spans may skip ``on_start`` (read when instrumentation/_direct_spans.py
        #: plans; ``init()``/``shutdown()`` reset the plan after changing the processors).
        self.on_start_ignores_ours = True

    @property
    def processors(self) -> tuple[SpanProcessor, ...]:
        return self._processors

    @processors.setter
    def processors(self, processors: Sequence[SpanProcessor]) -> None:
        processors = tuple(processors)
        noop = _noop_hooks() if processors else frozenset()
        self._on_start = tuple(p.on_start for p in processors if getattr(type(p), "on_start", None) not in noop)
        self._on_end = tuple(p.on_end for p in processors if getattr(type(p), "on_end", None) not in noop)
        self.on_start_ignores_ours = all(
            type(p) is context.StampingSpanProcessor
            for p in processors
            if getattr(type(p), "on_start", None) not in noop
        )
        self._processors = processors

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        for hook in self._on_start:
            hook(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        for hook in self._on_end:
            hook(span)

    def shutdown(self) -> None:
        # The provider's own shutdown (the app's, at its exit) must not stop ours twice; our
        # shutdown() stops the pipeline explicitly, within its bound.
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        agent = _agent
        return agent.flush(timeout_millis / 1000) if agent is not None else True


class Agent:
    """The handle ``init()`` returns."""

    def __init__(self, settings: Settings, provider: TracerProvider, pipeline: Any, owns_provider: bool) -> None:
        self.settings = settings
        self.tracer_provider = provider
        self.pipeline = pipeline
        self.owns_provider = owns_provider
        self.instrumented: list[str] = []
        self._closed = False

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Export everything finished so far; True if all backends completed in time."""
        try:
            return bool(self.pipeline.flush(timeout_s))
        except Exception as exc:
            _errors.report("agent.flush", exc)
            return False

    def shutdown(self, timeout_s: float | None = None) -> None:
        """Flush and stop the backends (bounded), and remove the instrumentation."""
        if self._closed:
            return
        self._closed = True
        for name in self.instrumented:
            try:
                get_instrumentor(name).uninstrument()
            except Exception as exc:
                _errors.report("agent.uninstrument", exc)
        try:
            self.pipeline.shutdown(self.settings.shutdown_timeout_s if timeout_s is None else timeout_s)
        except Exception as exc:
            _errors.report("agent.shutdown", exc)

    def stats(self) -> dict[str, Any]:
        try:
            out = dict(self.pipeline.stats())
        except Exception as exc:
            _errors.report("agent.stats", exc)
            out = {}
        out["internal_errors"] = _errors.internal_error_count()
        return out


def get_settings() -> Settings:
    """The settings in force (defaults before ``init()``)."""
    return _settings


def get_tracer() -> otel_trace.Tracer:
    """The tracer our spans come from (the global provider's before ``init()``)."""
    tracer = _tracer
    if tracer is None:
        return otel_trace.get_tracer(semconv.INSTRUMENTATION_SCOPE, __version__)
    return tracer


def get_agent() -> Agent | None:
    return _agent


def _provider_for(settings: Settings) -> tuple[TracerProvider, bool]:
    current = otel_trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current, False  # the app's own (or ours from an earlier init)
    provider = TracerProvider(resource=Resource.create({semconv.SERVICE_NAME: settings.service_name}))
    otel_trace.set_tracer_provider(provider)
    if otel_trace.get_tracer_provider() is not provider:  # someone else won a race
        other = otel_trace.get_tracer_provider()
        if isinstance(other, TracerProvider):
            return other, False
    return provider, True


def init(
    service_name: str | None = None,
    backends: Sequence[Any] | Any | None = None,
    sink_path: str | None = None,
    capture_content: bool | None = None,
    instrument: Sequence[str] | None = None,
    **options: Any,
) -> Agent:
    """Start the agent (idempotent: a second call returns the running agent unchanged).

    Every option is also read from its ``LLM_AGENT_*`` variable (docs/configuration.md); a wrong
    value raises ``ConfigError`` naming the option.
    """
    global _agent, _settings, _tracer, _atexit_registered
    with _lock:
        if _agent is not None and not _agent._closed:
            _warn_ignored_options(
                _agent.settings,
                dict(
                    service_name=service_name,
                    backends=backends,
                    sink_path=sink_path,
                    capture_content=capture_content,
                    instrument=instrument,
                    **options,
                ),
            )
            return _agent
        settings = Settings.resolve(
            service_name=service_name,
            backends=backends,
            sink_path=sink_path,
            capture_content=capture_content,
            instrument=instrument,
            **options,
        )
        from llm_agent.export import Pipeline

        pipeline = Pipeline(settings, settings.backends)
        provider, owns = _provider_for(settings)
        dispatcher = _dispatchers.get(id(provider))
        if dispatcher is None:
            dispatcher = _dispatchers[id(provider)] = _Dispatcher()
            provider.add_span_processor(dispatcher)
        dispatcher.processors = (context.StampingSpanProcessor(), *pipeline.processors)
        context.configure(settings.default_session_id, settings.default_user_id, settings.baggage, settings.arms_compat)
        _settings = settings
        _tracer = provider.get_tracer(semconv.INSTRUMENTATION_SCOPE, __version__)
        _direct_spans.reset()  # after the processors and settings it is planned from have changed
        agent = Agent(settings, provider, pipeline, owns)
        _agent = agent
        explicit = settings.instrument is not None
        names = list(settings.instrument) if explicit else installed_libraries()
        for name in names:
            _instrument(agent, name, explicit)
        if not _atexit_registered:
            _atexit_registered = True
            atexit.register(_shutdown_at_exit)
        if "sqlite" in [b for b in settings.backends if isinstance(b, str)]:
            logger.info("llm_agent: writing spans to the local sink %s", settings.sink_path)
        return agent


def _warn_ignored_options(running: Settings, arguments: dict[str, Any]) -> None:
    """A second ``init()`` keeps the running agent: say which of its arguments that ignores.

    The arguments are still validated, so a wrong value fails here as it would on a first call.
    """
    given = {name: value for name, value in arguments.items() if value is not None}
    if not given:
        return
    requested = Settings.resolve(**given)
    ignored = sorted(name for name in given if getattr(requested, name) != getattr(running, name))
    if ignored:
        logger.warning(
            "llm_agent.init(): the agent is already running, so %s %s ignored; call llm_agent.shutdown() "
            "first to start it again with other settings",
            ", ".join(f"{name}={given[name]!r}" for name in ignored),
            "is" if len(ignored) == 1 else "are",
        )


def _instrument(agent: Agent, name: str, explicit: bool) -> None:
    try:
        get_instrumentor(name).instrument()
    except Exception as exc:
        if explicit:
            # Asked for by name: say so at init() rather than run silently uninstrumented.
            raise ConfigError(
                f"option 'instrument' (env LLM_AGENT_INSTRUMENT): cannot instrument {name!r}: {exc}"
            ) from exc
        # Auto-detected: one library we cannot patch must not stop the others or the app.
        _errors.report(f"init.instrument.{name}", exc)
        return
    if name not in agent.instrumented:
        agent.instrumented.append(name)


def instrument(name: str) -> None:
    """Instrument one more library by name (``"openai"``, ``"anthropic"``)."""
    inst = get_instrumentor(name)
    inst.instrument()
    agent = _agent
    if agent is not None and name not in agent.instrumented:
        agent.instrumented.append(name)


def uninstrument(name: str) -> None:
    """Restore the library's original methods."""
    get_instrumentor(name).uninstrument()
    agent = _agent
    if agent is not None and name in agent.instrumented:
        agent.instrumented.remove(name)


def flush(timeout_s: float = 5.0) -> bool:
    agent = _agent
    return agent.flush(timeout_s) if agent is not None else True


def shutdown(timeout_s: float | None = None) -> None:
    """Flush and stop (bounded by ``timeout_s``, default ``shutdown_timeout_s``)."""
    global _agent, _tracer, _settings
    with _lock:
        agent = _agent
        if agent is None:
            return
        agent.shutdown(timeout_s)
        dispatcher = _dispatchers.get(id(agent.tracer_provider))
        if dispatcher is not None:
            dispatcher.processors = ()
        _agent = None
        _tracer = None
        _settings = Settings()
        _direct_spans.reset()
        context.configure(None, None, True, True)


def stats() -> dict[str, Any]:
    """Per-backend exported / dropped-by-reason / retried counts, and internal errors."""
    agent = _agent
    if agent is None:
        return {"internal_errors": _errors.internal_error_count()}
    return agent.stats()


def _shutdown_at_exit() -> None:
    try:
        shutdown()
    except Exception:  # never let exit fail because of us
        pass
