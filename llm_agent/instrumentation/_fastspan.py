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

Then this module builds the ``ReadableSpan`` the SDK would have built — same ids (from the
tracer's id generator), parent, trace flags and state, resource, scope, kind, times, status,
events, attributes — and hands it to the dispatcher's ``on_end``.  Attribute values are checked
with the SDK's own rules: plain values pass as they are, lists become tuples, and anything else
sends the whole mapping through the SDK's ``BoundedAttributes`` so that the result (and its
warnings) are the SDK's.  In every other case ``_spans.end_span`` uses the SDK's ``start_span``.
Equivalence is tested span by span against the SDK path (tests/openai/test_fast_spans.py); the ``direct_spans``
option (``LLM_AGENT_DIRECT_SPANS=false``) turns this path off.
"""

from __future__ import annotations

import inspect
import time
from typing import Any, Final

from opentelemetry import trace as trace_api
from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.sdk.trace import sampling
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

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
    """What one tracer needs for the direct path; ``None`` from ``plan_for`` = use the SDK."""

    __slots__ = ("dispatcher", "is_enabled", "max_attributes", "max_event_attributes", "scope_kwargs", "tracer")

    def __init__(self, tracer: Any, dispatcher: Any, limits: Any, scope_kwargs: dict[str, Any]) -> None:
        self.tracer = tracer
        self.dispatcher = dispatcher
        self.is_enabled = getattr(tracer, "_is_enabled", None)  # tracer configurator (newer SDKs)
        # None = no limit, as the SDK's ``SpanLimits`` has it (and ``BoundedAttributes`` takes it)
        self.max_attributes: int | None = getattr(limits, "max_span_attributes", None)
        self.max_event_attributes: int | None = getattr(limits, "max_event_attributes", None)
        self.scope_kwargs = scope_kwargs  # resource / instrumentation scope (and info) for ReadableSpan


# (tracer, its processors tuple, plan) of the last lookup: the SDK replaces the tuple whenever a
# processor is added, so an identity check on it sees every change.
_cache: tuple[Any, Any, Plan | None] | None = None
_accepts_info: bool | None = None


def reset() -> None:
    """Forget the last plan (``init()``/``shutdown()`` call this: settings and processors change)."""
    global _cache
    _cache = None


def plan_for(tracer: Any, dispatcher_type: type, enabled: bool = True) -> Plan | None:
    """The plan for ``tracer`` (cached), or None; ``enabled`` is the ``direct_spans`` option."""
    global _cache
    active = getattr(tracer, "span_processor", None)
    procs = getattr(active, "_span_processors", None)
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
    if not _default_sampler(getattr(tracer, "sampler", None)):
        return None
    metrics = getattr(tracer, "_tracer_metrics", None)
    if metrics is not None and type(metrics).__name__ != "NoOpTracerMetrics":
        return None
    limits = getattr(tracer, "_span_limits", None)
    if limits is None or getattr(limits, "max_span_attribute_length", None) is not None:
        return None
    if getattr(limits, "max_attribute_length", None) is not None:
        return None
    max_events = getattr(limits, "max_events", None)
    if max_events is not None and max_events < 1:
        return None  # an exception event would be dropped: the SDK counts that
    scope_kwargs: dict[str, Any] = {
        "resource": tracer.resource,
        "instrumentation_scope": getattr(tracer, "_instrumentation_scope", None),
    }
    if _readable_accepts_info():
        scope_kwargs["instrumentation_info"] = getattr(tracer, "instrumentation_info", None)
    return Plan(tracer, procs[0], limits, scope_kwargs)


def _readable_accepts_info() -> bool:
    global _accepts_info
    if _accepts_info is None:
        try:
            _accepts_info = "instrumentation_info" in inspect.signature(_ReadableSpan.__init__).parameters
        except (TypeError, ValueError):  # pragma: no cover
            _accepts_info = False
    return _accepts_info


def _default_sampler(sampler: Any) -> bool:
    """``ALWAYS_ON``, or ``ParentBased`` with root ``ALWAYS_ON`` and the four default delegates."""
    if sampler is sampling.ALWAYS_ON:
        return True
    if type(sampler) is not sampling.ParentBased:
        return False
    on, off = sampling.ALWAYS_ON, sampling.ALWAYS_OFF
    return (
        getattr(sampler, "_root", None) is on
        and getattr(sampler, "_remote_parent_sampled", None) is on
        and getattr(sampler, "_remote_parent_not_sampled", None) is off
        and getattr(sampler, "_local_parent_sampled", None) is on
        and getattr(sampler, "_local_parent_not_sampled", None) is off
    )


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


def emit(plan: Plan, pending: Any, attrs: dict[str, Any], error: ExceptionInfo | None, max_status_chars: int) -> bool:
    """Build the finished span and hand it to the dispatcher; False = take the SDK path instead."""
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
    context = SpanContext(
        trace_id, generator.generate_span_id(), is_remote=False, trace_flags=flags, trace_state=trace_state
    )
    clock = getattr(sdk_trace, "time_ns", time.time_ns)  # the SDK's clock (tests fake it there)
    events: Any = ()
    status: Any = _UNSET
    if error is not None:  # stamped before the end, as the SDK's add_event + end would be
        events = (_ExceptionEvent(error, clock(), plan.max_event_attributes),)
        status = _ErrorStatus(error, max_status_chars)
    end_time = clock()
    span = _ReadableSpan(
        name=pending.name,
        context=context,
        parent=parent,
        attributes=clean_attributes(attrs, plan.max_attributes),
        events=events,
        kind=SpanKind.CLIENT,
        status=status,
        start_time=pending.start_time,
        end_time=end_time,
        **plan.scope_kwargs,
    )
    plan.dispatcher.on_end(span)
    return True


class _ExceptionEvent(_Event):
    """The ``exception`` event whose text is made when first read: on the export thread."""

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
