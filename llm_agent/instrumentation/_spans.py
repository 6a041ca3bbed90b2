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

import time
from collections.abc import Callable
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from llm_agent import semconv
from llm_agent._otel_compat import SDK_CLOCK_MODULE, SDK_CLOCK_NAME
from llm_agent._state import get_settings, get_tracer
from llm_agent._util import ExceptionInfo, error_type_name
from llm_agent.config import CONTENT_ON_SPAN, CONTENT_ON_SPAN_AND_EVENT, Settings
from llm_agent.context import current_ids, id_attributes
from llm_agent.export import Dispatcher as _Dispatcher
from llm_agent.instrumentation import _claims
from llm_agent.instrumentation._claims import CLAIM_KEY as _CLAIM_KEY
from llm_agent.instrumentation._content import TRUNCATION_MARKER, content_attribute
from llm_agent.instrumentation._direct_spans import emit, plan_for
from llm_agent.instrumentation._values import bound_usage

#: Status descriptions are cut to this many characters (the message is for humans, not storage).
MAX_STATUS_MESSAGE_CHARS: Final = 512
#: Marker appended to captured content that was cut to ``content_max_chars``.

_CLIENT: Final = SpanKind.CLIENT
_NS_PER_S: Final = 1_000_000_000
#: ``PendingSpan.span`` once the span went straight to our processors (no SDK span object exists).
_EMITTED: Final = object()


class PendingSpan:
    """A call's span from its start until it ends; the SDK span is created (and ended) then."""

    __slots__ = (
        "arms",
        "attributes",
        "content_mode",
        "context",
        "ended",
        "event",
        "name",
        "request",
        "span",
        "start_time",
        "tracer",
    )

    def __init__(
        self,
        name: str,
        attributes: dict[str, Any],
        tracer: Tracer,
        context: otel_context.Context,
        request: Callable[[], dict[str, Any]] | None = None,
        arms: bool = False,
        content_mode: str | None = None,
    ) -> None:
        self.name = name
        self.arms = arms  # arms_compat at the start: the ARMS names derived when the span is built
        #: Where captured content goes when it does not stay on the span only (``event``,
        #: ``span_and_event``), else None; ``event``: the details event's attributes, once built.
        self.content_mode = content_mode
        self.event: dict[str, Any] | None = None
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
        attrs = bound_usage(attrs)
        if self.arms:
            arms_attributes(attrs)
        if self.content_mode is not None:
            self.event = details_event(attrs, keep_on_span=self.content_mode == CONTENT_ON_SPAN_AND_EVENT)
        return attrs

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
    if _CLAIM_KEY in context:  # a framework span above reports this call's usage too (_claims)
        _claims.mark(context)
    ctx_session, ctx_user = current_ids(context)
    session_id = ctx_session or session_id
    user_id = ctx_user or user_id
    if session_id is not None or user_id is not None:
        attributes.update(id_attributes(session_id, user_id))
    mode = settings.content_mode if settings.capture_content and settings.content_mode != CONTENT_ON_SPAN else None
    return PendingSpan(name, attributes, get_tracer(), context, request, settings.arms_compat, mode)


def end_span(
    span: PendingSpan | Span,
    attributes: dict[str, Any] | None,
    exc: BaseException | None = None,
    late: Callable[[], dict[str, Any]] | None = None,
    secrets: tuple[str, ...] = (),
) -> None:
    """Add the end attributes, mark an error if ``exc``, and end the span (once).

    ``secrets`` are the client's own credentials, scrubbed from the error's message.

    ``late`` returns more end attributes (a stream accumulator's); on the direct span path it is
    called when the span is built on the export thread, so it must read only what no longer
    changes and never raise.
    """
    info = None
    if exc is not None:
        attributes = dict(attributes) if attributes else {}
        attributes[semconv.ERROR_TYPE] = error_type_name(exc)
        info = ExceptionInfo(exc, secrets)
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
    if pending is not None and pending.event is not None:
        real.add_event(semconv.EVENT_INFERENCE_DETAILS, pending.event)
    if pending is not None:
        pending.ended = True  # only now: should the lines above fail, ``PendingSpan.end`` still ends it
    real.end()


#: Attributes of the details event besides the content: the inference span's conventions names
#: (v1.41 ``attributes.gen_ai.inference.client``), never ARMS's or llm_agent's own.
_EVENT_PREFIXES: Final = ("gen_ai.", "server.", "error.")
_NOT_ON_EVENT: Final = frozenset({semconv.ARMS_SESSION_ID, semconv.ARMS_USER_ID, semconv.ARMS_SPAN_KIND,
                                  semconv.ARMS_USAGE_TOTAL_TOKENS, semconv.ARMS_TIME_TO_FIRST_TOKEN})  # fmt: skip


def details_event(attrs: dict[str, Any], keep_on_span: bool) -> dict[str, Any] | None:
    """The ``gen_ai.client.inference.operation.details`` event of a call that captured content.

    Where the standard switch asks for events (``EVENT_ONLY`` / ``SPAN_AND_EVENT``, our
    ``content_mode``), the content goes on this event, a span event of the call's span (llm_agent
    exports spans; the event carries the call's other conventions attributes too, as specified).
    Without ``keep_on_span`` the content attributes leave the span.  None: no content captured.
    """
    content = {key: attrs[key] for key in semconv.CONTENT_KEYS if key in attrs}
    if not content:
        return None
    if not keep_on_span:
        for key in content:
            del attrs[key]
    event = {k: v for k, v in attrs.items() if k.startswith(_EVENT_PREFIXES) and k not in _NOT_ON_EVENT}
    event.update(content)
    return event


def arms_attributes(attrs: dict[str, Any]) -> None:
    """Add the ARMS-only names derived from a finished call's attributes (with ``arms_compat``).

    What the ARMS agent (loongsuite-python) writes and ARMS's Model analysis reads: the total
    token count (only when both counts are known: unknown usage stays unknown) and the time to
    first chunk in integer nanoseconds.  Every provider gets them here, from the core.
    """
    tokens_in = attrs.get(semconv.GEN_AI_USAGE_INPUT_TOKENS)
    tokens_out = attrs.get(semconv.GEN_AI_USAGE_OUTPUT_TOKENS)
    if type(tokens_in) is int and type(tokens_out) is int:
        attrs[semconv.ARMS_USAGE_TOTAL_TOKENS] = tokens_in + tokens_out
    ttft = attrs.get(semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK)
    if type(ttft) is float or type(ttft) is int:
        attrs[semconv.ARMS_TIME_TO_FIRST_TOKEN] = round(ttft * _NS_PER_S)


def current_settings() -> Settings:
    return get_settings()


def truncate(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` characters (marker included) when longer."""
    if len(text) <= max_chars:
        return text
    keep = max(0, max_chars - len(TRUNCATION_MARKER))
    return text[:keep] + TRUNCATION_MARKER


def content_json(value: Any, max_chars: int) -> str:
    """Captured content as compact JSON (pydantic models dumped) of at most ``max_chars`` characters,
    always a whole document (``_content.content_attribute``)."""
    return content_attribute(value, max_chars)


__all__ = [
    "TRUNCATION_MARKER",
    "PendingSpan",
    "arms_attributes",
    "content_json",
    "current_settings",
    "details_event",
    "end_span",
    "start_span",
    "truncate",
]
