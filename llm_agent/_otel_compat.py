"""Every read of an OpenTelemetry SDK or API internal, in one place, each with its fallback.

llm_agent reads a few private fields of opentelemetry-sdk/-api where the public API has no
answer or costs too much per span: the direct span path (instrumentation/_direct_spans.py) plans
from the tracer's processors, sampler, span limits and scope; the metrics consumer watches the
API's global MeterProvider slot; the export workers set the context keys that suppress
instrumentation; the converters read a finished span's attribute dict without a copy.  Each read
is a named function or constant here whose docstring says which releases have it (checked against
opentelemetry-python's history from 1.27, our minimum, to 1.45) and why we read it, and which
falls back to the public API's answer — or, where there is none, to the safe choice: not the
direct span path, i.e. the SDK's own ``start_span`` (slower, still correct).  A change in a new
release therefore costs speed, never correctness, and tests/contract/test_otel_internals.py says
which internal moved.

Per-call and per-span reads stay where they are and as cheap as they were: this module gives
them the field *names* (constants, picked once at import), so the caller's own ``getattr`` is
unchanged and no function call is added.  The functions are called once per plan or per start.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType, ModuleType
from typing import Any, Final, NamedTuple

from opentelemetry import context as otel_context
from opentelemetry import metrics
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.sdk.trace import sampling


def _version(text: str) -> tuple[int, ...]:
    """``"1.45.2"`` -> ``(1, 45, 2)``; a version we cannot read counts as the newest (strictest)."""
    parts = re.findall(r"\d+", text)[:3]
    return tuple(int(p) for p in parts) if len(parts) >= 2 else (999,)


def _sdk_version_text() -> str:
    try:
        from opentelemetry.sdk.version import __version__
    except ImportError:  # pragma: no cover - every released SDK has the module
        return "unknown"
    return str(__version__)


#: The installed opentelemetry-sdk release, as text (named in the contract test's messages).
SDK_VERSION_TEXT: Final = _sdk_version_text()
SDK_VERSION: Final = _version(SDK_VERSION_TEXT)
#: The SDK release that brought the tracer configurator (``Tracer._is_enabled``) and the span
#: self-metrics (``Tracer._tracer_metrics``): from it on, a tracer without them has moved them.
TRACER_CONFIG_SINCE: Final = (1, 40)


# -- per call, on the app's thread (names only: the caller keeps its own getattr) ---------------

#: ``Tracer.span_processor``: the provider's multi-processor (SDK 1.27-1.45, set in ``__init__``).
TRACER_PROCESSOR_FIELD: Final = "span_processor"
#: ``SynchronousMultiSpanProcessor._span_processors`` (SDK 1.27-1.45): the tuple of processors,
#: replaced by a new tuple on every ``add_span_processor``, so an identity check sees any change.
#: Read on every call by ``_direct_spans.plan_for``; absent -> ``None`` -> the SDK path.
PROCESSORS_FIELD: Final = "_span_processors"
#: ``opentelemetry.sdk.trace.time_ns``: the SDK module's own clock (``from time import time_ns``,
#: SDK 1.27-1.45), read through the module on every call so that the direct span path stamps
#: times with the very function the SDK uses (``llm_agent.testing`` and tests replace it there).
#: Absent -> the caller's default, ``time.time_ns``, what the SDK calls.
SDK_CLOCK_MODULE: Final[ModuleType] = sdk_trace
SDK_CLOCK_NAME: Final = "time_ns"


# -- once per plan: the direct span path's view of one SDK tracer --------------------------------


class TracerParts(NamedTuple):
    """What the direct span path needs from an SDK ``Tracer`` (see ``tracer_parts``)."""

    sampler: Any
    limits: Any  # the tracer's ``SpanLimits``
    scope_kwargs: dict[str, Any]  # resource / instrumentation scope (and info) for ``ReadableSpan``
    is_enabled: Callable[[], bool] | None  # None: this SDK has no tracer configurator (always on)
    records_self_metrics: bool  # True: the SDK counts started/live spans (the direct span path cannot)


def tracer_parts(tracer: Any) -> TracerParts | None:
    """The tracer's sampler, limits, scope, enabled check and self-metrics, or None when one of
    them is not where this SDK release keeps it (then: not the direct span path)."""
    if not deferred_build_supported() or not lazy_event_supported():
        return None
    sampler = getattr(tracer, "sampler", None)  # SDK 1.27-1.45, set in ``Tracer.__init__``
    limits = span_limits(tracer)
    scope_kwargs = readable_scope_kwargs(tracer)
    if sampler is None or limits is None or scope_kwargs is None:
        return None
    enabled = enabled_check(tracer)
    metrics_state = self_metrics_state(tracer)
    if enabled is False or metrics_state is None:
        return None
    return TracerParts(sampler, limits, scope_kwargs, None if enabled is True else enabled, metrics_state)


def span_limits(tracer: Any) -> Any:
    """``Tracer._span_limits`` (SDK 1.27-1.45): the provider's ``SpanLimits``, which the direct
    span path must honour as ``_Span`` does.  No public getter; absent -> None (the SDK path)."""
    limits = getattr(tracer, "_span_limits", None)
    return limits if isinstance(limits, sdk_trace.SpanLimits) else None


def readable_scope_kwargs(tracer: Any) -> dict[str, Any] | None:
    """``resource`` and ``Tracer._instrumentation_scope`` (SDK 1.27-1.45; and the deprecated
    ``instrumentation_info`` where ``ReadableSpan`` still takes it) as ``ReadableSpan`` keywords:
    what the SDK's ``_Span`` is given.  The scope has no public getter on a tracer; absent -> None
    (the SDK path: a span without its scope would not be the SDK's span)."""
    scope = getattr(tracer, "_instrumentation_scope", None)
    resource = getattr(tracer, "resource", None)
    if scope is None or resource is None:
        return None
    kwargs: dict[str, Any] = {"resource": resource, "instrumentation_scope": scope}
    if readable_accepts_info():
        kwargs["instrumentation_info"] = getattr(tracer, "instrumentation_info", None)
    return kwargs


def enabled_check(tracer: Any) -> Callable[[], bool] | bool:
    """``Tracer._is_enabled`` (SDK 1.40+, the tracer configurator, still private in the spec):
    called per span, as ``start_span`` does, so a tracer disabled later records nothing.

    True: this SDK is older and has no configurator (a tracer is always enabled).  False: the
    SDK has the configurator but the tracer no such method (moved) -> the SDK path."""
    check = getattr(tracer, "_is_enabled", None)
    if callable(check):
        return check
    return SDK_VERSION < TRACER_CONFIG_SINCE


def self_metrics_state(tracer: Any) -> bool | None:
    """Whether the tracer records the SDK's span self-metrics (``Tracer._tracer_metrics``, SDK
    1.40+; exported only when enabled, 1.42+): the direct span path skips ``start_span``, which
    counts them, so it steps aside when they are on.

    False: off (``NoOpTracerMetrics``) or an older SDK without them.  True: on.  None: the SDK
    has them but the tracer no such field (moved) -> the SDK path."""
    state = getattr(tracer, "_tracer_metrics", None)
    if state is None:
        return False if SDK_VERSION < TRACER_CONFIG_SINCE else None
    return type(state).__name__ != "NoOpTracerMetrics"


def sampler_is_default(sampler: Any) -> bool:
    """``ALWAYS_ON``, or ``ParentBased`` whose root is ``ALWAYS_ON`` and whose four delegates are
    the defaults (read from its private ``_root``, ``_remote_parent_sampled``... fields, SDK
    1.27-1.45): then the decision depends on the parent's sampled flag alone, and the direct span
    path makes it.  Any field absent -> False (the SDK path asks the sampler itself)."""
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


_accepts_info: bool | None = None


def readable_accepts_info() -> bool:
    """Whether ``ReadableSpan.__init__`` takes ``instrumentation_info`` (SDK 1.27-1.45, deprecated
    for ``instrumentation_scope``): given where taken, so the span equals the SDK's."""
    global _accepts_info
    if _accepts_info is None:
        try:
            _accepts_info = "instrumentation_info" in inspect.signature(sdk_trace.ReadableSpan.__init__).parameters
        except (TypeError, ValueError):  # pragma: no cover - a plain Python __init__ has a signature
            _accepts_info = False
    return _accepts_info


#: ``ReadableSpan`` properties an exporter reads; each must read a field that ``__init__`` sets.
READABLE_PROPERTIES: Final = (
    "name",
    "context",
    "parent",
    "kind",
    "start_time",
    "end_time",
    "status",
    "attributes",
    "events",
    "links",
    "resource",
    "instrumentation_scope",
    "dropped_attributes",
    "dropped_events",
    "dropped_links",
)
_deferred_ok: bool | None = None


def deferred_build_supported() -> bool:
    """Whether a ``ReadableSpan`` keeps its fields as plain instance attributes set by
    ``__init__`` (SDK 1.27-1.45): the direct span path's ``_DeferredSpan`` relies on every
    property read of an unbuilt span reaching ``__getattr__``, which builds it.  A release with
    ``__slots__`` or class-level defaults would hand out empty values -> the SDK path instead."""
    global _deferred_ok
    if _deferred_ok is None:
        _deferred_ok = _probe_deferred_build(sdk_trace.ReadableSpan)
    return _deferred_ok


def _probe_deferred_build(readable: type) -> bool:
    bare: Any = object.__new__(readable)
    if not hasattr(bare, "__dict__"):
        return False
    for name in READABLE_PROPERTIES:
        try:
            getattr(bare, name)
        except AttributeError:
            continue  # reads a field set only by __init__: reaches __getattr__ on a _DeferredSpan
        return False
    return True


_lazy_event_ok: bool | None = None


def lazy_event_supported() -> bool:
    """Whether ``Event`` keeps its attributes in ``_attributes`` (SDK 1.27-1.45), which its
    ``dropped_attributes`` reads: the direct span path's exception event fills that field when
    first read (on the export thread).  Kept elsewhere -> the SDK path."""
    global _lazy_event_ok
    if _lazy_event_ok is None:
        _lazy_event_ok = _probe_lazy_event(sdk_trace.Event)
    return _lazy_event_ok


def _probe_lazy_event(event_type: type) -> bool:
    limited = BoundedAttributes(None, {"a": "1"}, immutable=True)
    limited.dropped = 1  # as if one had been cut (a real cut logs a warning)
    try:
        event = event_type("probe", limited, 1)
    except Exception:  # a constructor unlike any release so far
        return False
    return bool(getattr(event, "_attributes", None) is limited and event.dropped_attributes == 1)


# -- per span, on the export workers (names picked once at import) -------------------------------

#: Where a name is not where this release keeps it, the field constants below are this name,
#: which no span has: the caller's ``getattr(span, FIELD, default)`` then takes its default,
#: i.e. the public property.
ABSENT_FIELD: Final = "_llm_agent_field_not_in_this_sdk"


class SpanFields(NamedTuple):
    """The private field names the converters read on every span (see ``pick_span_fields``)."""

    attributes: str  # ``ReadableSpan._attributes``: a dict or a ``BoundedAttributes``
    bounded_dict: str  # ``BoundedAttributes._dict``: the plain dict inside
    events: str  # ``ReadableSpan._events``: the stored sequence (``events`` copies it to a tuple)


def pick_span_fields(readable: type = sdk_trace.ReadableSpan, bounded: type = BoundedAttributes) -> SpanFields:
    """The field names, checked on a real ``ReadableSpan`` of this release (SDK/API 1.27-1.45).

    The converters iterate the attribute dict itself instead of ``span.attributes`` (a
    ``MappingProxyType`` over it: each lookup goes through the proxy) and skip ``span.events``
    (a new tuple per read) when none is stored.  A name this release does not have becomes
    ``ABSENT_FIELD``, and the caller falls back to the public property."""
    probe_attrs = bounded(None, {"k": "v"}, immutable=True)
    try:
        span = readable(name="probe", attributes=probe_attrs, events=())
    except Exception:  # a constructor unlike any release so far: use the public properties
        return SpanFields(ABSENT_FIELD, ABSENT_FIELD, ABSENT_FIELD)
    stored = getattr(span, "_attributes", None)
    attributes = "_attributes" if stored is probe_attrs else ABSENT_FIELD
    inner = getattr(probe_attrs, "_dict", None)
    bounded_dict = "_dict" if isinstance(inner, dict) and inner == {"k": "v"} else ABSENT_FIELD
    events = "_events" if getattr(span, "_events", None) == () else ABSENT_FIELD
    return SpanFields(attributes, bounded_dict, events)


_SPAN_FIELDS: Final = pick_span_fields()
#: ``getattr(span, SPAN_ATTRIBUTES_FIELD, None)``: the stored attributes, or None (then use
#: ``span.attributes``).
SPAN_ATTRIBUTES_FIELD: Final = _SPAN_FIELDS.attributes
#: ``getattr(raw, BOUNDED_DICT_FIELD, raw)``: the plain dict inside a ``BoundedAttributes``
#: (a plain dict, as the direct span path stores, has no such field and stays as it is).
BOUNDED_DICT_FIELD: Final = _SPAN_FIELDS.bounded_dict
#: ``getattr(span, SPAN_EVENTS_FIELD, True)``: falsy when the span stored no events (skip
#: ``span.events``); True where the field is unknown (read ``span.events``).
SPAN_EVENTS_FIELD: Final = _SPAN_FIELDS.events

_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


def span_attributes(span: Any) -> Mapping[str, Any]:
    """A finished span's attributes without a copy: the dict the SDK stores where readable,
    else the public ``span.attributes``.  For callers off the hot path; the converters inline
    the same three lines with the constants above (one call less per span)."""
    raw = getattr(span, SPAN_ATTRIBUTES_FIELD, None)
    raw = getattr(raw, BOUNDED_DICT_FIELD, raw)
    if raw is None:
        raw = span.attributes or _EMPTY
    return raw  # type: ignore[no-any-return]


def span_has_events(span: Any) -> bool:
    """False only when the span is known to have stored no events (then ``span.events`` is
    not worth its tuple); True where the field is unknown."""
    return bool(getattr(span, SPAN_EVENTS_FIELD, True))


# -- metrics API: the global MeterProvider slot ---------------------------------------------------

#: ``opentelemetry.metrics._internal._METER_PROVIDER`` (API 1.27-1.45): None until the app calls
#: ``metrics.set_meter_provider``.  The public ``get_meter_provider()`` would look up an
#: environment variable (raising and catching a ``KeyError``) per call, too costly per span.
METER_PROVIDER_SLOT: Final = "_METER_PROVIDER"


def meter_provider_slot() -> dict[str, Any] | None:
    """The metrics API module's globals, where ``METER_PROVIDER_SLOT`` is None until a provider
    is installed: read per span as ``slots[METER_PROVIDER_SLOT]`` (a dict lookup, no call).
    None where the API keeps it elsewhere: then every span is queued and the batch-time public
    check (``meter_provider_installed``) skips them instead."""
    try:
        from opentelemetry.metrics import _internal as api_state
    except ImportError:  # pragma: no cover - every supported API has the module
        return None
    slots = vars(api_state)
    return slots if METER_PROVIDER_SLOT in slots else None


#: Providers that record nothing: the API's placeholder, returned while the app has installed
#: none (private ``_ProxyMeterProvider``, API 1.27-1.45), and its ``NoOpMeterProvider``, which an
#: app may install to turn metrics off.  Compared by name (the private class is not imported).
_PLACEHOLDER_PROVIDERS: Final = frozenset({"_ProxyMeterProvider", "NoOpMeterProvider"})


def meter_provider_installed() -> bool:
    """Whether the app installed a MeterProvider, through the public ``get_meter_provider()``.
    A renamed placeholder counts as installed: its instruments, no-ops, discard what is recorded
    (the cost of a batch, nothing lost)."""
    return type(metrics.get_meter_provider()).__name__ not in _PLACEHOLDER_PROVIDERS


# -- context: suppressing instrumentation on the export workers ----------------------------------

#: The plain key that opentelemetry-instrumentation's ``is_instrumentation_enabled`` also honours
#: (kept there for backward compatibility): the fallback when the API's keys are gone.
PLAIN_SUPPRESS_KEY: Final = "suppress_instrumentation"


def suppress_keys() -> tuple[str, ...]:
    """The context keys that tell instrumentations not to record: the API's private
    ``_SUPPRESS_INSTRUMENTATION_KEY`` and ``_SUPPRESS_HTTP_INSTRUMENTATION_KEY`` (API 1.27-1.45,
    both in ``opentelemetry.context``; no public setter exists outside the optional
    opentelemetry-instrumentation package).  The SDK's own batch processors and the HTTP
    instrumentations check them.  Where both are gone: the plain key."""
    keys = tuple(
        key
        for key in (
            getattr(otel_context, "_SUPPRESS_INSTRUMENTATION_KEY", None),
            getattr(otel_context, "_SUPPRESS_HTTP_INSTRUMENTATION_KEY", None),
        )
        if key is not None
    )
    return keys or (PLAIN_SUPPRESS_KEY,)


__all__ = [
    "ABSENT_FIELD",
    "BOUNDED_DICT_FIELD",
    "METER_PROVIDER_SLOT",
    "PLAIN_SUPPRESS_KEY",
    "PROCESSORS_FIELD",
    "SDK_CLOCK_MODULE",
    "SDK_CLOCK_NAME",
    "SDK_VERSION",
    "SDK_VERSION_TEXT",
    "SPAN_ATTRIBUTES_FIELD",
    "SPAN_EVENTS_FIELD",
    "TRACER_PROCESSOR_FIELD",
    "SpanFields",
    "TracerParts",
    "deferred_build_supported",
    "enabled_check",
    "lazy_event_supported",
    "meter_provider_installed",
    "meter_provider_slot",
    "pick_span_fields",
    "readable_accepts_info",
    "readable_scope_kwargs",
    "sampler_is_default",
    "self_metrics_state",
    "span_attributes",
    "span_has_events",
    "span_limits",
    "suppress_keys",
    "tracer_parts",
]
