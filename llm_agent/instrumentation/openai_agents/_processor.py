"""The Agents SDK ``TracingProcessor`` that turns its traces and spans into OpenTelemetry spans.

Registered once with ``agents.add_trace_processor`` (beside the SDK's own export, which it never
replaces).  Each SDK trace or span becomes one span of ours, started when the SDK starts it and
ended when the SDK ends it, parented as the SDK parents it: a span under its SDK parent's span, a
trace under the OpenTelemetry context current when it starts (the app's ``llm_agent.trace()``,
its web request's span...), so one turn of the app is one trace.  Making those spans *current*
while the SDK runs (so that our provider's span of the model call is a child of the SDK's
response span) is ``_scope.py``'s job: it follows the SDK's own current-span bookkeeping.

Every method runs on the SDK's thread inside its ``try``; ours report to the error funnel and
never raise.  ``enabled`` off (``uninstrument()``) makes it inert: nothing new is started, what
was started still ends.
"""

from __future__ import annotations

import threading
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from llm_agent import _errors, semconv
from llm_agent._secrets import scrub_secrets
from llm_agent._state import get_settings, get_tracer
from llm_agent.context import current_ids, id_attributes
from llm_agent.instrumentation._claims import CLAIM_KEY, UsageClaim
from llm_agent.instrumentation._spans import MAX_STATUS_MESSAGE_CHARS
from llm_agent.instrumentation.openai_agents import _attributes as A
from llm_agent.instrumentation.openai_agents._calls import ToolCalls

#: Open SDK spans and traces we hold at most; past it new ones are not recorded (an SDK that
#: never ends its spans must not grow our memory without bound).
MAX_OPEN_SPANS: Final = 10_000
#: ``error.type`` of a span the SDK marked failed: it reports a message, not an exception type.
ERROR_TYPE_OTHER: Final = "_OTHER"


class _Entry:
    """One SDK span or trace in flight: our span, and the claim a model call's span carries."""

    __slots__ = ("claim", "kind_name", "span")

    def __init__(self, span: Span, kind_name: str, claim: UsageClaim | None) -> None:
        self.span = span
        self.kind_name = kind_name
        self.claim = claim


def _base() -> type:
    from agents.tracing import TracingProcessor  # the SDK is imported: we run inside it

    return TracingProcessor


class AgentsProcessor(_base()):  # type: ignore[misc]
    def __init__(self) -> None:
        self.enabled = True
        self._lock = threading.Lock()
        self._spans: dict[str, _Entry] = {}  # SDK span id -> entry
        self._traces: dict[str, _Entry] = {}  # SDK trace id -> entry
        self._calls = ToolCalls()

    # --- the SDK's interface ----------------------------------------------------------------------
    def on_trace_start(self, trace: Any) -> None:
        if not self.enabled:
            return
        try:
            start = A.trace_start(trace)
            span = self._start(start, otel_context.get_current())
            self._put(self._traces, trace.trace_id, _Entry(span, "trace", None))
        except Exception as exc:
            _errors.report("openai_agents.on_trace_start", exc)

    def on_trace_end(self, trace: Any) -> None:
        try:
            with self._lock:
                entry = self._traces.pop(trace.trace_id, None)
            self._calls.forget(trace.trace_id)
            if entry is not None:
                entry.span.end()
        except Exception as exc:
            _errors.report("openai_agents.on_trace_end", exc)

    def on_span_start(self, span: Any) -> None:
        if not self.enabled:
            return
        try:
            data = span.span_data
            kind_name = str(data.type)
            start = A.span_start(kind_name, data)
            ours = self._start(start, self._parent_context(span))
            claim = UsageClaim() if kind_name in A.MODEL_CALL_TYPES else None
            self._put(self._spans, span.span_id, _Entry(ours, kind_name, claim))
        except Exception as exc:
            _errors.report("openai_agents.on_span_start", exc)

    def on_span_end(self, span: Any) -> None:
        try:
            with self._lock:
                entry = self._spans.pop(span.span_id, None)
            if entry is None:
                return
            try:
                self._finish(entry, span)
            finally:
                entry.span.end()
        except Exception as exc:
            _errors.report("openai_agents.on_span_end", exc)

    def shutdown(self) -> None:
        """Nothing of ours to release: our spans are exported by llm_agent's own pipeline."""

    def force_flush(self) -> None:
        """As ``shutdown``: ``llm_agent.flush()`` flushes our pipeline."""

    # --- for _scope.py ----------------------------------------------------------------------------
    def current_context(self, sdk_object: Any, is_trace: bool) -> otel_context.Context | None:
        """The context to make current while ``sdk_object`` is the SDK's current span (or trace):
        ours in it, with a model call's claim (``_claims``) and no claim of an outer one."""
        key = getattr(sdk_object, "trace_id" if is_trace else "span_id", None)
        if not isinstance(key, str):
            return None
        entry = (self._traces if is_trace else self._spans).get(key)
        if entry is None:
            return None
        context = otel_trace.set_span_in_context(entry.span)
        return otel_context.set_value(CLAIM_KEY, entry.claim, context)

    # --- internals --------------------------------------------------------------------------------
    def _parent_context(self, span: Any) -> otel_context.Context:
        """The SDK parent's span as the parent (explicit: the SDK may start a span in another task
        than its parent's), else its trace's, else whatever is current."""
        current = otel_context.get_current()
        parent_id = span.parent_id
        entry = self._spans.get(parent_id) if parent_id else None
        if entry is None:
            entry = self._traces.get(span.trace_id)
        if entry is None:
            return current
        return otel_trace.set_span_in_context(entry.span, current)

    def _start(self, start: A.Start, parent: otel_context.Context) -> Span:
        settings = get_settings()
        attrs = dict(start.attributes)
        if settings.arms_compat:
            attrs[semconv.ARMS_SPAN_KIND] = start.kind
        attrs.update(id_attributes(*current_ids(parent)))
        return get_tracer().start_span(start.name, context=parent, kind=SpanKind.INTERNAL, attributes=attrs)

    def _put(self, table: dict[str, _Entry], key: str, entry: _Entry) -> None:
        with self._lock:
            if len(self._spans) + len(self._traces) < MAX_OPEN_SPANS:
                table[key] = entry
                return
        entry.span.end()  # not kept: end it now rather than never
        _errors.report("openai_agents.open_spans", message=f"more than {MAX_OPEN_SPANS} open SDK spans")

    def _finish(self, entry: _Entry, span: Any) -> None:
        settings = get_settings()
        data = span.span_data
        ours = entry.span
        kind_name = entry.kind_name
        if kind_name in A.MODEL_CALL_TYPES:
            claimed = entry.claim is not None and entry.claim.claimed
            call = A.model_call_end(kind_name, data, claimed)
            ours.update_name(call.name)
            attrs = call.attributes
            if settings.arms_compat:
                attrs[semconv.ARMS_SPAN_KIND] = call.kind
            self._calls.remember(span, data)
        else:
            attrs = A.span_end(kind_name, data, settings.capture_content, settings.content_max_chars)
            if kind_name == "handoff":
                ours.update_name(A.handoff_name(data))
            elif kind_name == "function":
                call_id = self._calls.take(span, data)
                if call_id is not None:
                    attrs[semconv.GEN_AI_TOOL_CALL_ID] = call_id
        if attrs:
            ours.set_attributes(attrs)
        error = span.error
        if error:
            message = error.get("message") if isinstance(error, dict) else None
            ours.set_attribute(semconv.ERROR_TYPE, ERROR_TYPE_OTHER)
            # The SDK's message may quote an exception's text: scrubbed like any error we record.
            described = scrub_secrets(str(message))[:MAX_STATUS_MESSAGE_CHARS] if message else None
            ours.set_status(Status(StatusCode.ERROR, described))


__all__ = ["MAX_OPEN_SPANS", "AgentsProcessor"]
