"""Our span is the current OpenTelemetry span exactly while its SDK span is the SDK's current span.

The SDK keeps its current span and trace in contextvars, set by ``Scope.set_current_span`` right
after a span starts (``start(mark_as_current=True)``, ``with span:``) and reset by
``Scope.reset_current_span(token)`` right after it ends.  Wrapping those four classmethods, we
attach our span's context after the SDK sets its own and detach it right after the SDK's reset
succeeded: the SDK's reset only succeeds in the context that made the token, so ours is detached
in the very context it was attached in, in the same order, whatever the tasks
(``Runner.run_streamed``'s background task, a tool's task, an async generator's ``aclose``).
When the SDK's reset fails (an abandoned async generator finalised elsewhere, which the SDK itself
tolerates) ours is dropped, not detached in the wrong context.  A processor's ``on_span_start``
cannot do this on its own: it runs before the SDK knows whether the span becomes current.

Spans the SDK does not make current are never made current by us either; they are parented
explicitly (``_processor._parent_context``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Final

from opentelemetry import context as otel_context

from llm_agent import _errors
from llm_agent.instrumentation.openai_agents._processor import AgentsProcessor

#: Attached contexts whose SDK reset we are still waiting for, at most (a token the SDK never
#: resets must not grow this forever; the oldest is forgotten, never detached elsewhere).
MAX_ATTACHED: Final = 10_000


class ScopeHooks:
    """The wrapt wrappers of the SDK's ``Scope`` methods, for one processor."""

    def __init__(self, processor: AgentsProcessor) -> None:
        self.processor = processor
        self._lock = threading.Lock()
        # id(SDK token) -> (the SDK token, kept so its id is not reused; our OTel token)
        self._attached: OrderedDict[int, tuple[Any, object]] = OrderedDict()

    def set_span(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        return self._set(wrapped, args, kwargs, is_trace=False)

    def set_trace(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        return self._set(wrapped, args, kwargs, is_trace=True)

    def reset(self, wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        sdk_token = args[0] if args else kwargs.get("token")
        try:
            result = wrapped(*args, **kwargs)
        except BaseException:
            self._forget(sdk_token)  # not this context: ours is not detached here either
            raise
        self._detach(sdk_token)
        return result

    # --- internals --------------------------------------------------------------------------------
    def _set(self, wrapped: Any, args: Any, kwargs: Any, is_trace: bool) -> Any:
        sdk_token = wrapped(*args, **kwargs)
        try:
            if self.processor.enabled:
                current = args[0] if args else kwargs.get("trace" if is_trace else "span")
                context = self.processor.current_context(current, is_trace) if current is not None else None
                if context is not None:
                    token = otel_context.attach(context)
                    with self._lock:
                        self._attached[id(sdk_token)] = (sdk_token, token)
                        while len(self._attached) > MAX_ATTACHED:
                            self._attached.popitem(last=False)
        except Exception as exc:
            _errors.report("openai_agents.attach", exc)
        return sdk_token

    def _detach(self, sdk_token: Any) -> None:
        try:
            with self._lock:
                pair = self._attached.pop(id(sdk_token), None)
            if pair is not None and pair[0] is sdk_token:
                otel_context.detach(pair[1])  # type: ignore[arg-type]
        except Exception as exc:
            _errors.report("openai_agents.detach", exc)

    def _forget(self, sdk_token: Any) -> None:
        try:
            with self._lock:
                self._attached.pop(id(sdk_token), None)
        except Exception as exc:
            _errors.report("openai_agents.detach", exc)


__all__ = ["MAX_ATTACHED", "ScopeHooks"]
