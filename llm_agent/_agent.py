"""The facade: ``init()``, ``shutdown()`` and the rest of the agent's life (provider, pipeline, instrumentors, exit).

It only orchestrates: the state the other layers read is in ``_state.py``, the processor attached to
the provider in ``export/_dispatcher.py``, the version in ``_version.py``.
"""

from __future__ import annotations

import atexit
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry import trace as otel_trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from llm_agent import _errors, _state, context, semconv
from llm_agent._version import __version__
from llm_agent.config import ConfigError, Settings
from llm_agent.instrumentation import _direct_spans, get_instrumentor, installed_libraries

if TYPE_CHECKING:
    from llm_agent.export import Pipeline

logger = logging.getLogger("llm_agent")

#: The running agent (None before ``init()`` and after ``shutdown()``); written under ``_state.lock``.
_agent: Agent | None = None
_atexit_registered = False


class Agent:
    """The handle ``init()`` returns."""

    def __init__(self, settings: Settings, provider: TracerProvider, pipeline: Pipeline, owns_provider: bool) -> None:
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
            with _errors.guard("agent.uninstrument"):
                get_instrumentor(name).uninstrument()
        with _errors.guard("agent.shutdown"):
            self.pipeline.shutdown(self.settings.shutdown_timeout_s if timeout_s is None else timeout_s)

    def stats(self) -> dict[str, Any]:
        try:
            out = dict(self.pipeline.stats())
        except Exception as exc:
            _errors.report("agent.stats", exc)
            out = {}
        out["internal_errors"] = _errors.internal_error_count()
        return out


def get_agent() -> Agent | None:
    """The running agent, or None."""
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
    global _agent, _atexit_registered
    with _state.lock:
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
        # Imported here, not at the top, for import cost only (no cycle: tests/core/test_import_graph.py):
        # ``import llm_agent``, also the CLI's, loads no export code until an agent starts.
        from llm_agent.export import Pipeline, _dispatcher

        pipeline = Pipeline(settings, settings.backends)
        provider, owns = _provider_for(settings)
        agent = Agent(settings, provider, pipeline, owns)
        attached = _dispatcher.attach(provider)
        attached.processors = (context.StampingSpanProcessor(), *pipeline.processors)
        attached.flush = agent.flush
        context.configure(settings.default_session_id, settings.default_user_id, settings.baggage, settings.arms_compat)
        _state.settings = settings
        _state.tracer = provider.get_tracer(semconv.INSTRUMENTATION_SCOPE, __version__)
        _direct_spans.reset()  # after the processors and settings it is planned from have changed
        _agent = agent
        explicit = settings.instrument is not None
        names = list(settings.instrument) if settings.instrument is not None else installed_libraries()
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
    global _agent
    with _state.lock:
        agent = _agent
        if agent is None:
            return
        agent.shutdown(timeout_s)
        from llm_agent.export import _dispatcher  # loaded by the init() that started ``agent``

        attached = _dispatcher.attached(agent.tracer_provider)
        if attached is not None:
            attached.processors = ()
            attached.flush = None
        _agent = None
        _state.reset()
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
