"""The one span processor we attach to a tracer provider, forwarding to the running agent's.

The SDK cannot remove a processor from a provider, so each provider gets one ``Dispatcher`` for the
life of the process (``attach``) and re-initialising swaps what it forwards to instead of stacking
new processors; ``shutdown()`` empties it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider

from llm_agent.context import StampingSpanProcessor
from llm_agent.export._processor import BatchingProcessor

#: The ``on_start``/``on_end`` implementations known to do nothing (the dispatcher skips them).
_NOOP_HOOKS: frozenset[Any] = frozenset(
    {SpanProcessor.on_start, SpanProcessor.on_end, BatchingProcessor.on_start, StampingSpanProcessor.on_end}
)


class Dispatcher(SpanProcessor):
    """Forwards to the current agent's processors (stamping first, then one per backend).

    Every span of the app passes through here twice on the app's thread, so the hooks to call
    are resolved once per ``init()``: bound methods, without the ones known to do nothing (the
    batching processors' ``on_start``, the stamping processor's ``on_end``).
    """

    def __init__(self) -> None:
        self._processors: tuple[SpanProcessor, ...] = ()
        self._on_start: tuple[Any, ...] = ()
        self._on_end: tuple[Any, ...] = ()
        #: The running agent's flush, for the provider's ``force_flush``; None without one.
        self.flush: Callable[[float], bool] | None = None
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
        noop = _NOOP_HOOKS if processors else frozenset()
        self._on_start = tuple(p.on_start for p in processors if getattr(type(p), "on_start", None) not in noop)
        self._on_end = tuple(p.on_end for p in processors if getattr(type(p), "on_end", None) not in noop)
        self.on_start_ignores_ours = all(
            type(p) is StampingSpanProcessor for p in processors if getattr(type(p), "on_start", None) not in noop
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
        flush = self.flush
        return flush(timeout_millis / 1000) if flush is not None else True


#: One dispatcher per provider we have attached to, by ``id(provider)``.
_dispatchers: dict[int, Dispatcher] = {}


def attach(provider: TracerProvider) -> Dispatcher:
    """The dispatcher on ``provider``, added to it on first use."""
    dispatcher = _dispatchers.get(id(provider))
    if dispatcher is None:
        dispatcher = _dispatchers[id(provider)] = Dispatcher()
        provider.add_span_processor(dispatcher)
    return dispatcher


def attached(provider: TracerProvider) -> Dispatcher | None:
    """The dispatcher on ``provider`` if ``attach`` added one."""
    return _dispatchers.get(id(provider))
