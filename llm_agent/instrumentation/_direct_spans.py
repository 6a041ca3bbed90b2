"""Emit our finished span straight to our processors when the SDK's span machinery would add nothing.

``Tracer.start_span`` + ``Span.end`` build a mutable ``_Span`` (a lock, ``BoundedAttributes``
cleaning every value, ``BoundedList``s, the processors' ``on_start``), then copy it into a
``ReadableSpan`` for ``on_end``.  For a span that is already complete when it is created — ours are
(``_spans.PendingSpan``) — all of that is work nobody observes when:

- the tracer is the SDK's, its provider's only processor is our ``_Dispatcher`` and every
  ``on_start`` hook there ignores our own spans (the stamping processor's does);
- the sampler is the SDK default (``ParentBased(ALWAYS_ON)``) or ``ALWAYS_ON``, whose decision
  depends on the parent's sampled flag alone;
- the span limits cannot cut anything of ours (no value-length limit; count limits above ours);
- the tracer is enabled and records no SDK self-metrics.

Then this module hands the dispatcher the ``ReadableSpan`` the SDK would have built — same ids
(from the tracer's id generator), parent, trace flags and state, resource, scope, kind, times,
status, events, attributes.  What the SDK decides at the end of the call is decided on the app's
thread (enabled, sampled, ids, clock); the span's fields themselves are built by its first reader,
an export worker (``_DeferredSpan``), together with the attributes still to be read (the request
side, a stream's accumulator: ``PendingSpan.resolve``).  Attribute values are checked with the
SDK's own rules: plain values pass as they are, lists become tuples, and anything else sends the
whole mapping through the SDK's ``BoundedAttributes`` so that the result (and its warnings) are
the SDK's.  In every other case ``_spans.end_span`` uses the SDK's ``start_span``.
Equivalence is tested span by span against the SDK path (tests/openai/test_direct_spans.py); the
``direct_spans`` option (``LLM_AGENT_DIRECT_SPANS=false``) turns this path off.  Every SDK internal
read here goes through ``llm_agent._otel_compat``: one that moved in a new release makes
``plan_for`` return None, i.e. the SDK path (tests/contract/test_otel_internals.py names it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Final

from opentelemetry import trace as trace_api
from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from llm_agent import _errors, _otel_compat, semconv
from llm_agent._otel_compat import PROCESSORS_FIELD, SDK_CLOCK_MODULE, SDK_CLOCK_NAME, TRACER_PROCESSOR_FIELD
from llm_agent._util import ExceptionInfo

try:  # the SDK's attribute container (the fallback for values that need cleaning)
    from opentelemetry.attributes import BoundedAttributes
except ImportError:  # pragma: no cover - every supported API version has it
    BoundedAttributes = None  # type: ignore[assignment,misc]

_SIMPLE: Final = frozenset({str, bool, int, float})
_SEQUENCES: Final = frozenset({list, tuple})
_SAMPLED: Final = TraceFlags(TraceFlags.SAMPLED)
_RANDOM_FLAG: Final = getattr(TraceFlags, "RANDOM_TRACE_ID", None)  # newer APIs only
_SAMPLED_RANDOM: Final = TraceFlags(TraceFlags.SAMPLED | _RANDOM_FLAG) if _RANDOM_FLAG is not None else _SAMPLED
_UNSET: Final = Status(StatusCode.UNSET)
_ReadableSpan: Final = sdk_trace.ReadableSpan
_Event: Final = sdk_trace.Event
_get_current_span: Final = trace_api.get_current_span


class Plan:
    """What one tracer needs for the direct span path; ``None`` from ``plan_for`` = use the SDK."""

    __slots__ = ("dispatcher", "is_enabled", "max_attributes", "max_event_attributes", "scope_kwargs", "tracer")

    def __init__(self, tracer: Any, dispatcher: Any, parts: _otel_compat.TracerParts) -> None:
        self.tracer = tracer
        self.dispatcher = dispatcher
        self.is_enabled = parts.is_enabled  # tracer configurator (newer SDKs); None = always enabled
        # None = no limit, as the SDK's ``SpanLimits`` has it (and ``BoundedAttributes`` takes it)
        self.max_attributes: int | None = parts.limits.max_span_attributes
        self.max_event_attributes: int | None = parts.limits.max_event_attributes
        self.scope_kwargs = parts.scope_kwargs  # resource / instrumentation scope (and info) for ReadableSpan


# (tracer, its processors tuple, plan) of the last lookup: the SDK replaces the tuple whenever a
# processor is added, so an identity check on it sees every change.
_cache: tuple[Any, Any, Plan | None] | None = None


def reset() -> None:
    """Forget the last plan (``init()``/``shutdown()`` call this: settings and processors change)."""
    global _cache
    _cache = None


def plan_for(tracer: Any, dispatcher_type: type, enabled: bool = True) -> Plan | None:
    """The plan for ``tracer`` (cached), or None; ``enabled`` is the ``direct_spans`` option."""
    global _cache
    active = getattr(tracer, TRACER_PROCESSOR_FIELD, None)
    procs = getattr(active, PROCESSORS_FIELD, None)  # None where the SDK keeps them elsewhere: no plan
    cached = _cache
    if cached is not None and cached[0] is tracer and cached[1] is procs:
        return cached[2]
    plan = _build_plan(tracer, procs, dispatcher_type) if enabled else None
    _cache = (tracer, procs, plan)
    return plan


def _build_plan(tracer: Any, procs: Any, dispatcher_type: type) -> Plan | None:
    if type(tracer) is not sdk_trace.Tracer:
        return None
    if type(procs) is not tuple or len(procs) != 1 or type(procs[0]) is not dispatcher_type:
        return None  # the app's own processors must see real SDK spans (on_start, on_ending)
    if not procs[0].on_start_ignores_ours:
        return None
    parts = _otel_compat.tracer_parts(tracer)
    if parts is None:
        return None  # an internal is not where this SDK release keeps it
    if not _otel_compat.sampler_is_default(parts.sampler) or parts.records_self_metrics:
        return None
    limits = parts.limits
    if limits.max_span_attribute_length is not None or limits.max_attribute_length is not None:
        return None
    max_events = limits.max_events
    if max_events is not None and max_events < 1:
        return None  # an exception event would be dropped: the SDK counts that
    return Plan(tracer, procs[0], parts)


def clean_attributes(attrs: dict[str, Any], max_attributes: int | None) -> Any:
    """``attrs`` as the SDK would store them: the same dict (lists made tuples) when every value is
    valid, else the SDK's own ``BoundedAttributes`` of them."""
    if max_attributes is None or len(attrs) <= max_attributes:
        for key, value in attrs.items():
            kind = type(value)
            if kind in _SIMPLE:
                continue
            if kind in _SEQUENCES and _homogeneous(value):
                if kind is list:
                    attrs[key] = tuple(value)
                continue
            break
        else:
            return attrs
    return BoundedAttributes(max_attributes, attrs, immutable=False)


def _homogeneous(values: Any) -> bool:
    """The SDK's rule for sequence values: one plain type throughout (``None`` allowed)."""
    first: type | None = None
    for item in values:
        if item is None:
            continue
        kind = type(item)
        if kind not in _SIMPLE:
            return False
        if first is None:
            first = kind
        elif kind is not first:
            return False
    return True


def emit(
    plan: Plan,
    pending: Any,
    attrs: dict[str, Any] | None,
    late: Callable[[], dict[str, Any]] | None,
    error: ExceptionInfo | None,
    max_status_chars: int,
) -> bool:
    """Hand our finished span to the dispatcher; False = take the SDK path instead.

    On the app's thread this decides what the SDK decides at once (enabled, sampled, ids, clock);
    the ``ReadableSpan`` itself — span context, attributes (``pending.resolve(attrs, late)``),
    status and events — is built by its first reader, an export worker (``_DeferredSpan``).
    """
    tracer = plan.tracer
    is_enabled = plan.is_enabled
    if is_enabled is not None and not is_enabled():
        return False  # the SDK returns a non-recording span: let it
    parent = _get_current_span(pending.context).get_span_context()
    generator = tracer.id_generator  # looked up per call: tests swap it (llm_agent.testing)
    if parent is None or not parent.is_valid:
        parent = None
        trace_id = generator.generate_trace_id()
        trace_state = None
        random_check = getattr(generator, "is_trace_id_random", None)
        flags = _SAMPLED_RANDOM if random_check is not None and random_check() else _SAMPLED
    else:
        parent_flags = parent.trace_flags
        if not parent_flags.sampled:
            return True  # ParentBased: a non-sampled parent's child is dropped (a NonRecordingSpan)
        trace_id = parent.trace_id
        trace_state = parent.trace_state
        flags = _SAMPLED_RANDOM if _RANDOM_FLAG is not None and parent_flags & _RANDOM_FLAG else _SAMPLED
    span_id = generator.generate_span_id()  # here, not later: id order stays the call order
    clock = getattr(SDK_CLOCK_MODULE, SDK_CLOCK_NAME, time.time_ns)  # the SDK's clock (tests fake it there)
    error_time = clock() if error is not None else 0  # stamped before the end, as add_event + end
    plan.dispatcher.on_end(
        _DeferredSpan(
            (plan, pending, attrs, late, error, max_status_chars, parent, trace_id, span_id, flags, trace_state),
            error_time,
            clock(),
        )
    )
    return True


#: Serialises building: several export workers may read one span at once.
_build_lock: Final = threading.Lock()


class _DeferredSpan(_ReadableSpan):
    """A finished ``ReadableSpan`` whose fields are made when first read, on the reader's thread.

    ``ReadableSpan``'s properties read its ``_name``, ``_context``, ``_attributes``... fields.
    Until the first read none exists, so the read lands in ``__getattr__``, which builds them
    all with ``ReadableSpan.__init__`` (once, under a lock); from then on this is a plain
    ``ReadableSpan``.  Only what must be decided at the end of the call is taken on the app's
    thread (``emit``); resolving the attributes (request side, stream accumulator), checking
    them with the SDK's rules, the span context, status and events are left to the exporter.
    """

    def __init__(self, parts: tuple[Any, ...], error_time: int, end_time: int) -> None:
        # Deliberately not ReadableSpan.__init__: that is what the first read does.
        self._llm_parts: tuple[Any, ...] | None = parts
        self._llm_error_time = error_time
        self._llm_end_time = end_time

    def __getattr__(self, name: str) -> Any:
        # Reached only for a name not set yet: before building, every ReadableSpan field.
        if name.startswith("_llm_") or name.startswith("__"):
            raise AttributeError(name)
        self._llm_build()
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def _llm_build(self) -> None:
        with _build_lock:
            parts = self._llm_parts
            if parts is None:
                return  # built by another reader meanwhile
            plan, pending, attrs, late, error, max_status_chars, parent, trace_id, span_id, flags, state = parts
            try:
                values = pending.resolve(attrs, late)
            except Exception as err:  # never lose the span: its start attributes at least
                _errors.report("span.attributes", err)
                values = dict(pending.attributes)
            events: Any = ()
            status: Any = _UNSET
            if error is not None:
                events = (_ExceptionEvent(error, self._llm_error_time, plan.max_event_attributes),)
                status = _ErrorStatus(error, max_status_chars)
            details = pending.event  # captured content's event, where content_mode asks for one
            if details is not None:
                details_attrs = _event_attributes(plan.max_event_attributes, details)
                # After the exception event and stamped at the end, as on the SDK path.
                events = (*events, _Event(semconv.EVENT_INFERENCE_DETAILS, details_attrs, self._llm_end_time))
            _ReadableSpan.__init__(
                self,
                name=pending.name,
                context=SpanContext(trace_id, span_id, is_remote=False, trace_flags=flags, trace_state=state),
                parent=parent,
                attributes=clean_attributes(values, plan.max_attributes),
                events=events,
                kind=SpanKind.CLIENT,
                status=status,
                start_time=pending.start_time,
                end_time=self._llm_end_time,
                **plan.scope_kwargs,
            )
            self._llm_parts = None  # the inputs (request, accumulator...) are no longer held


class _ExceptionEvent(_Event):
    """The ``exception`` event whose text is made when first read: on the export thread.

    It fills ``Event._attributes``, which the SDK's ``dropped_attributes`` reads too; a plan is made
    only where that field is there (``_otel_compat.lazy_event_supported``)."""

    def __init__(self, error: ExceptionInfo, timestamp: int, max_attributes: int | None) -> None:
        super().__init__("exception", None, timestamp)
        self._error = error
        self._max_attributes = max_attributes

    @property
    def attributes(self) -> Any:
        attrs = self._attributes
        if attrs is None:
            attrs = self._attributes = _event_attributes(self._max_attributes, self._error.attributes())
        return attrs


class _ErrorStatus(Status):
    """``Status(ERROR, scrubbed message)`` whose description is made when first read."""

    def __init__(self, error: ExceptionInfo, max_chars: int) -> None:
        super().__init__(StatusCode.ERROR)
        self._error = error
        self._max_chars = max_chars
        self._ready = False

    @property
    def description(self) -> str | None:
        if not self._ready:
            self._description = self._error.status_message(self._max_chars)
            self._ready = True
        return self._description


def _event_attributes(max_attributes: int | None, attrs: dict[str, Any]) -> Any:
    if max_attributes is None or len(attrs) <= max_attributes:
        return attrs  # three strings
    return BoundedAttributes(max_attributes, attrs, immutable=True)


__all__ = ["Plan", "clean_attributes", "emit", "plan_for", "reset"]
