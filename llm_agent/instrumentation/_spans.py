"""Start and end GenAI client spans: shared by every provider's instrumentation.

The hot path is one SDK ``start_span`` call carrying every attribute of the call — request,
response and the session/user IDs (so the stamping processor has nothing to add) — made when the
call ends: ``start_span`` here returns a ``PendingSpan`` that records the start time, the parent
context and the tracer at the start, and ``end_span`` creates the SDK span from it with an
explicit ``start_time`` and ends it.  The span exported is the same as if it had been started at
the call's start (same parent, start and end times, attributes); the SDK's span machinery —
sampler, attribute cleaning, processors, on the app's thread — runs once per call in one burst
instead of twice around the app's request (docs/performance.md, "Where the time goes").  Our spans
are never made current, so nothing inside the call could have seen the span earlier.  On the
direct span path (``_direct_spans``) even that burst leaves the app's thread: the span is handed over
unbuilt and its first reader, an export worker, reads the attributes still pending (the request
side, a stream's accumulator) and builds it.
Nothing here raises into the app: callers wrap these helpers in the error funnel.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from llm_agent import semconv
from llm_agent._otel_compat import SDK_CLOCK_MODULE, SDK_CLOCK_NAME
from llm_agent._state import get_settings, get_tracer
from llm_agent._util import ExceptionInfo, error_type_name
from llm_agent.config import Settings
from llm_agent.context import current_ids, id_attributes
from llm_agent.export import Dispatcher as _Dispatcher
from llm_agent.instrumentation._direct_spans import emit, plan_for
from llm_agent.instrumentation._values import bound_usage

#: Status descriptions are cut to this many characters (the message is for humans, not storage).
MAX_STATUS_MESSAGE_CHARS: Final = 512
#: Marker appended to captured content that was cut to ``content_max_chars``.
TRUNCATION_MARKER: Final = "…[truncated]"

_CLIENT: Final = SpanKind.CLIENT
#: ``PendingSpan.span`` once the span went straight to our processors (no SDK span object exists).
_EMITTED: Final = object()


class PendingSpan:
    """A call's span from its start until it ends; the SDK span is created (and ended) then."""

    __slots__ = ("attributes", "context", "ended", "name", "request", "span", "start_time", "tracer")

    def __init__(
        self,
        name: str,
        attributes: dict[str, Any],
        tracer: Tracer,
        context: otel_context.Context,
        request: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.name = name
        self.attributes = attributes
        #: The request side's attributes, read when the span is built (see ``start_span``).
        self.request = request
        self.tracer = tracer  # the tracer in force when the call started (as before the deferral)
        self.context = context  # the parent: the context the call started in
        # The SDK's own clock, looked up on each call as the SDK itself does (a test's fake clock
        # patches ``opentelemetry.sdk.trace.time_ns``); ``time.time_ns`` should the name go.
        self.start_time: int = getattr(SDK_CLOCK_MODULE, SDK_CLOCK_NAME, time.time_ns)()
        self.span: Span | None = None  # the SDK span, once created by ``end_span``
        self.ended = False

    def resolve(self, attributes: dict[str, Any] | None, late: Callable[[], dict[str, Any]] | None) -> dict[str, Any]:
        """Every attribute of the finished span: the start ones, then ``late()``'s, then ``attributes``.

        Called once, when the span is built: by an export worker on the direct span path, else at once.
        """
        attrs = self.attributes
        request = self.request
        if request is not None:
            self.request = None
            first = request()
            first.update(attrs)  # the request side first, as if it had been read at the start
            attrs = self.attributes = first
        if late is not None:
            attrs.update(late())
        if attributes:
            attrs.update(attributes)
        # Every provider's counts meet here, read or computed: one place holds them to the bound.
        return bound_usage(attrs)

    def end(self) -> None:
        """End as is: the fallback when reading the result or ending the span failed."""
        if self.span is None:
            end_span(self, None)  # with the start attributes only
        elif not self.ended:  # created, but ``end_span`` failed before ending it
            self.ended = True
            self.span.end()


def start_span(
    name: str,
    attributes: dict[str, Any],
    settings: Settings,
    session_id: str | None = None,
    user_id: str | None = None,
    request: Callable[[], dict[str, Any]] | None = None,
) -> PendingSpan:
    """Start a CLIENT span with ``attributes`` plus the session/user attributes of the context now.

    ``session_id``/``user_id`` are fallbacks (e.g. taken from the request) used only where the
    context has none.  ``request``, if given, returns the request side's attributes when the span
    is built — on the direct span path by an export worker — so it must read only values that the app
    cannot change meanwhile, and never raise.
    """
    context = otel_context.get_current()  # read once: for the baggage IDs and as the parent
    ctx_session, ctx_user = current_ids(context)
    session_id = ctx_session or session_id
    user_id = ctx_user or user_id
    if session_id is not None or user_id is not None:
        attributes.update(id_attributes(session_id, user_id))
    return PendingSpan(name, attributes, get_tracer(), context, request)


def end_span(
    span: PendingSpan | Span,
    attributes: dict[str, Any] | None,
    exc: BaseException | None = None,
    late: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """Add the end attributes, mark an error if ``exc``, and end the span (once).

    ``late`` returns more end attributes (a stream accumulator's); on the direct span path it is
    called when the span is built on the export thread, so it must read only what no longer
    changes and never raise.
    """
    info = None
    if exc is not None:
        attributes = dict(attributes) if attributes else {}
        attributes[semconv.ERROR_TYPE] = error_type_name(exc)
        info = ExceptionInfo(exc)
    if not isinstance(span, PendingSpan):
        end_attrs = dict(late()) if late is not None else {}
        if attributes:
            end_attrs.update(attributes)
        if end_attrs:
            span.set_attributes(bound_usage(end_attrs))
        _finish_sdk_span(span, info)
        return
    if span.span is not None:
        return  # ended already (or ended by ``PendingSpan.end`` after a failure here)
    plan = plan_for(span.tracer, _Dispatcher, get_settings().direct_spans)
    if plan is not None and emit(plan, span, attributes, late, info, MAX_STATUS_MESSAGE_CHARS):
        span.span = _EMITTED  # type: ignore[assignment]
        span.ended = True
        return
    attrs = span.resolve(attributes, late)
    # One SDK call with every attribute: validated once, processors' on_start/on_end together.
    real = span.span = span.tracer.start_span(
        span.name, context=span.context, kind=_CLIENT, attributes=attrs, start_time=span.start_time
    )
    _finish_sdk_span(real, info, span)


def _finish_sdk_span(real: Span, info: ExceptionInfo | None, pending: PendingSpan | None = None) -> None:
    if info is not None:
        real.add_event("exception", info.attributes())
        real.set_status(Status(StatusCode.ERROR, info.status_message(MAX_STATUS_MESSAGE_CHARS)))
    if pending is not None:
        pending.ended = True  # only now: should the lines above fail, ``PendingSpan.end`` still ends it
    real.end()


def current_settings() -> Settings:
    return get_settings()


def truncate(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` characters (marker included) when longer."""
    if len(text) <= max_chars:
        return text
    keep = max(0, max_chars - len(TRUNCATION_MARKER))
    return text[:keep] + TRUNCATION_MARKER


def content_json(value: Any, max_chars: int) -> str:
    """Captured content as compact JSON (pydantic models dumped), truncated to ``max_chars``."""
    return truncate(json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":")), max_chars)


def _json_default(obj: Any) -> Any:
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json", exclude_none=True)
        except Exception:
            pass
    if isinstance(obj, (bytes, bytearray)):
        return f"<{len(obj)} bytes>"
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    # Never iterate other iterables: a generator the app passed would be consumed before the SDK.
    return f"<{type(obj).__name__}>"


__all__ = ["PendingSpan", "content_json", "current_settings", "end_span", "start_span", "truncate"]
