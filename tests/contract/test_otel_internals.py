"""Contract: every library internal llm_agent reads is where we expect it in the installed releases.

Run against the newest releases (``pip install -U opentelemetry-sdk opentelemetry-api openai
anthropic`` then ``pytest tests/contract``): a failure names the internal, where it lives, the
installed version and what breaks while it stays moved.  ``INTERNALS`` is one row per internal —
(package, internal, check, consequence) — so a provider SDK's internals (openai, anthropic) are one
more row each.  The second half makes each OpenTelemetry internal absent, by changing the SDK's
object and never llm_agent's, and checks the fallback in ``llm_agent._otel_compat``: the public
API's answer, or the SDK's own span path with the same output.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace as trace_api
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, SpanProcessor, TracerProvider, sampling
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llm_agent import _otel_compat
from llm_agent.export import Dispatcher as _Dispatcher
from llm_agent.export._convert import Converter
from llm_agent.instrumentation import _direct_spans
from tests.openai.test_direct_spans import run

ROOT = Path(__file__).resolve().parents[2]
#: What the direct span path costs when it steps aside.
SDK_PATH = "the direct span path steps aside: every span takes the SDK's start_span (slower, still correct)"


@dataclass(frozen=True)
class Internal:
    """One internal we read: ``check`` raises AssertionError (with detail) when it moved."""

    package: str  # distribution name, for the installed version in the message
    name: str  # the internal, as written in the library
    check: Callable[[], None]
    consequence: str  # what breaks in llm_agent while it stays moved

    def __str__(self) -> str:
        return self.name


def _tracer(**provider_options: Any) -> Any:
    return TracerProvider(**provider_options).get_tracer("contract", "1.0")


def _check_processors() -> None:
    provider = TracerProvider()
    tracer = provider.get_tracer("contract")
    active = getattr(tracer, _otel_compat.TRACER_PROCESSOR_FIELD, None)
    before = getattr(active, _otel_compat.PROCESSORS_FIELD, None)
    assert type(before) is tuple, f"the tracer's processors are {before!r}, not a tuple"
    provider.add_span_processor(_Dispatcher())
    after = getattr(active, _otel_compat.PROCESSORS_FIELD, None)
    assert type(after) is tuple and after is not before and len(after) == len(before) + 1, (
        "adding a processor no longer replaces the tuple (plan_for's identity check would miss it)"
    )
    assert _direct_spans.plan_for(tracer, _Dispatcher) is not None, "no plan for a default provider"


def _check_sampler_fields() -> None:
    default = getattr(_tracer(), "sampler", None)
    assert _otel_compat.sampler_is_default(default), f"the provider's default sampler {default} not seen as such"
    parent_based = sampling.ParentBased(sampling.ALWAYS_ON)
    assert _otel_compat.sampler_is_default(parent_based), "ParentBased(ALWAYS_ON) not seen as the default"
    changed = sampling.ParentBased(sampling.ALWAYS_ON, local_parent_not_sampled=sampling.ALWAYS_ON)
    assert not _otel_compat.sampler_is_default(changed), "a changed delegate went unnoticed"


def _check_span_limits() -> None:
    limits = SpanLimits(max_span_attributes=7)
    assert _otel_compat.span_limits(_tracer(span_limits=limits)) is limits, "the provider's SpanLimits not found"


def _check_scope() -> None:
    """Our ``ReadableSpan`` keywords hold what the SDK gives its own span."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("contract", "1.0", attributes={"a": 1})
    kwargs = _otel_compat.readable_scope_kwargs(tracer)
    assert kwargs is not None, "no scope or resource on the tracer"
    tracer.start_span("x").end()
    (span,) = exporter.get_finished_spans()
    assert kwargs["instrumentation_scope"] == span.instrumentation_scope, "not the scope the SDK's span has"
    assert kwargs["resource"] is span.resource, "not the resource the SDK's span has"


def _check_enabled() -> None:
    check = _otel_compat.enabled_check(_tracer())
    if _otel_compat.SDK_VERSION < _otel_compat.TRACER_CONFIG_SINCE:
        assert check is True, "an SDK older than the tracer configurator has no Tracer._is_enabled"
    else:
        assert callable(check) and check() is True, f"Tracer._is_enabled is {check!r}"


def _check_self_metrics() -> None:
    assert _otel_compat.self_metrics_state(_tracer()) is False, "self-metrics (off by default) not readable"


def _check_readable_init() -> None:
    wanted = {"name", "context", "parent", "resource", "attributes", "events", "kind", "status"}
    wanted |= {"start_time", "end_time", "instrumentation_scope"}
    params = set(inspect.signature(ReadableSpan.__init__).parameters)
    assert wanted <= params, f"ReadableSpan.__init__ lacks {sorted(wanted - params)}"


def _check_deferred_build() -> None:
    assert _otel_compat.deferred_build_supported(), "a ReadableSpan property reads no __init__-set field"


def _check_event_field() -> None:
    assert _otel_compat.lazy_event_supported(), "Event keeps its attributes elsewhere than _attributes"


def _check_span_fields() -> None:
    fields = _otel_compat.pick_span_fields()
    assert fields == ("_attributes", "_dict", "_events"), f"found {fields}"


def _check_sdk_clock() -> None:
    """The SDK stamps its spans with ``sdk_trace.time_ns``: the clock the direct span path reads."""
    clock = getattr(_otel_compat.SDK_CLOCK_MODULE, _otel_compat.SDK_CLOCK_NAME, None)
    assert callable(clock), "no time_ns in opentelemetry.sdk.trace"
    original = sdk_trace.time_ns
    sdk_trace.time_ns = lambda: 42  # type: ignore[attr-defined]
    try:
        span = _tracer().start_span("x")
        span.end()
    finally:
        sdk_trace.time_ns = original  # type: ignore[attr-defined]
    assert (span.start_time, span.end_time) == (42, 42), "the SDK no longer stamps times with it"


_METER_APP = """
import json, sys
sys.path.insert(0, sys.argv[1])
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from llm_agent import _otel_compat
slots = _otel_compat.meter_provider_slot()
seen = [slots is not None and slots[_otel_compat.METER_PROVIDER_SLOT] is None, _otel_compat.meter_provider_installed()]
provider = MeterProvider()
metrics.set_meter_provider(provider)
seen += [slots is not None and slots[_otel_compat.METER_PROVIDER_SLOT] is provider,
         _otel_compat.meter_provider_installed()]
print(json.dumps(seen))
"""


def _check_meter_slot() -> None:
    """In a fresh process: the slot is None, then the provider the app installs."""
    out = subprocess.run(
        [sys.executable, "-c", _METER_APP, str(ROOT)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert json.loads(out) == [True, False, True, True], f"[empty slot, installed, filled slot, installed] = {out}"


def _check_suppress_keys() -> None:
    keys = _otel_compat.suppress_keys()
    assert len(keys) == 2 and _otel_compat.PLAIN_SUPPRESS_KEY not in keys, f"keys {keys}"
    utils = pytest.importorskip("opentelemetry.instrumentation.utils")
    ctx = otel_context.get_current()
    for key in keys:
        ctx = otel_context.set_value(key, True, ctx)
    token = otel_context.attach(ctx)
    try:
        seen = (utils.is_instrumentation_enabled(), utils.is_http_instrumentation_enabled())
    finally:
        otel_context.detach(token)
    assert seen == (False, False), "instrumentations no longer read these keys"


def _check_metric_hook() -> None:
    """Our aggregation can stand in for the SDK's instruments on a default provider, and the
    reader's collect callback we wrap is the one the reader calls."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from llm_agent.export import _metric_hook

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    blocker = _metric_hook.fast_path_blocker(provider, _metric_hook.sdk_scope("llm_agent", "0"))
    assert blocker is None, f"fast metrics path blocked: {blocker}"
    assert _metric_hook.overflow_attributes() == {"otel.metric.overflow": True}, "overflow attributes moved"
    seen = []
    original = getattr(reader, _metric_hook.COLLECT_FIELD)
    setattr(reader, _metric_hook.COLLECT_FIELD, lambda r, **kw: seen.append(r) or original(r, **kw))
    reader.get_metrics_data()
    assert seen == [reader], "MetricReader.collect no longer calls its _collect callback"


_SDK, _API = "opentelemetry-sdk", "opentelemetry-api"
INTERNALS: list[Internal] = [
    Internal(_SDK, "Tracer.span_processor._span_processors", _check_processors, SDK_PATH),
    Internal(_SDK, "ParentBased._root/_remote_parent_*/_local_parent_*", _check_sampler_fields, SDK_PATH),
    Internal(_SDK, "Tracer._span_limits", _check_span_limits, SDK_PATH),
    Internal(_SDK, "Tracer._instrumentation_scope", _check_scope, SDK_PATH),
    Internal(_SDK, "Tracer._is_enabled", _check_enabled, SDK_PATH),
    Internal(_SDK, "Tracer._tracer_metrics", _check_self_metrics, SDK_PATH),
    Internal(_SDK, "ReadableSpan.__init__ parameters", _check_readable_init, SDK_PATH),
    Internal(_SDK, "ReadableSpan fields set by __init__ (no __slots__)", _check_deferred_build, SDK_PATH),
    Internal(_SDK, "Event._attributes", _check_event_field, SDK_PATH),
    Internal(
        _SDK,
        "ReadableSpan._attributes / BoundedAttributes._dict / ReadableSpan._events",
        _check_span_fields,
        "the converters read span.attributes and span.events: a proxy per lookup, a tuple per span (slower, same rows)",
    ),
    Internal(
        _SDK,
        "opentelemetry.sdk.trace.time_ns",
        _check_sdk_clock,
        "the direct span path stamps time.time_ns (the same clock) but not a clock faked in the SDK module",
    ),
    Internal(
        _SDK,
        "MetricReader._collect / MeterProvider._measurement_consumer._reader_storages / _sdk_config"
        " / _Histogram, _Counter / _view_instrument_match._OVERFLOW_ATTRIBUTES",
        _check_metric_hook,
        "the GenAI metrics are recorded through the SDK's instruments (about 100k instructions per record"
        " instead of a few thousand; the same data)",
    ),
    Internal(
        _API,
        "opentelemetry.metrics._internal._METER_PROVIDER / _ProxyMeterProvider",
        _check_meter_slot,
        "without an app MeterProvider every span is queued for the metrics consumer and skipped there (slower)",
    ),
    Internal(
        _API,
        "opentelemetry.context._SUPPRESS_INSTRUMENTATION_KEY / _SUPPRESS_HTTP_INSTRUMENTATION_KEY",
        _check_suppress_keys,
        "export workers set only the plain 'suppress_instrumentation' key: HTTP instrumentations that"
        " read only the API's keys may record the exporters' own requests",
    ),
]


def _installed(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


@pytest.mark.parametrize("internal", INTERNALS, ids=str)
def test_internal_is_where_we_expect(internal: Internal) -> None:
    try:
        internal.check()
        return
    except AssertionError as err:
        detail = str(err).split("\n", 1)[0]  # the check's own message, without pytest's expansion
    pytest.fail(
        f"{internal.name} ({internal.package} {_installed(internal.package)}) is not as llm_agent expects"
        f" ({detail}).\nWhat breaks: {internal.consequence}.\nUpdate llm_agent/_otel_compat.py for this release.",
        pytrace=False,
    )


# -- fallbacks: the internal made absent in the SDK's objects ------------------------------------


class HidingProcessor(SpanProcessor):
    """The provider's multi-processor without ``_span_processors``: a release that keeps them elsewhere."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self._inner.on_start(span, parent_context=parent_context)

    def _on_ending(self, span: Any) -> None:
        hook = getattr(self._inner, "_on_ending", None)
        if hook is not None:
            hook(span)

    def on_end(self, span: ReadableSpan) -> None:
        self._inner.on_end(span)

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self._inner.force_flush(timeout_millis))


def test_processors_moved_takes_the_sdk_path_with_the_same_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    sdk = run(monkeypatch, direct=False)

    def hide(tracer: Any) -> None:
        monkeypatch.setattr(tracer, "span_processor", HidingProcessor(tracer.span_processor))

    assert run(monkeypatch, direct=True, tamper=hide) == sdk


def test_sampler_fields_moved_takes_the_sdk_path_with_the_same_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    sdk = run(monkeypatch, direct=False)

    def hide(tracer: Any) -> None:
        # A ParentBased(ALWAYS_ON) that decides as the default does, its delegates kept elsewhere.
        odd = sampling.ParentBased(sampling.ALWAYS_ON)
        odd.should_sample = sampling.ParentBased(sampling.ALWAYS_ON).should_sample  # type: ignore[method-assign]
        for field in ("_root", "_remote_parent_sampled", "_local_parent_sampled"):
            delattr(odd, field)
        assert not _otel_compat.sampler_is_default(odd)
        monkeypatch.setattr(tracer, "sampler", odd)

    assert run(monkeypatch, direct=True, tamper=hide) == sdk


@pytest.mark.parametrize("field", ["_span_limits", "_instrumentation_scope", "resource", "sampler"])
def test_tracer_field_moved_means_no_plan(field: str) -> None:
    provider = TracerProvider()
    provider.add_span_processor(_Dispatcher())
    tracer = provider.get_tracer("contract")
    assert _direct_spans.plan_for(tracer, _Dispatcher) is not None
    delattr(tracer, field)  # this tracer makes no span: the SDK's own use of the field is not at stake
    _direct_spans.reset()
    assert _otel_compat.tracer_parts(tracer) is None
    assert _direct_spans.plan_for(tracer, _Dispatcher) is None
    _direct_spans.reset()


def test_enabled_check_and_self_metrics_moved_mean_no_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    tracer = _tracer()
    monkeypatch.delattr(sdk_trace.Tracer, "_is_enabled")
    expected_enabled = True if _otel_compat.SDK_VERSION < _otel_compat.TRACER_CONFIG_SINCE else False
    assert _otel_compat.enabled_check(tracer) is expected_enabled
    monkeypatch.undo()
    delattr(tracer, "_tracer_metrics")
    expected_metrics = False if _otel_compat.SDK_VERSION < _otel_compat.TRACER_CONFIG_SINCE else None
    assert _otel_compat.self_metrics_state(tracer) is expected_metrics
    assert _otel_compat.tracer_parts(tracer) is None


def test_span_layouts_unlike_any_release_are_refused() -> None:
    class DefaultsOnTheClass(ReadableSpan):  # a release with class-level defaults: unbuilt reads "work"
        _attributes = None

    assert _otel_compat._probe_deferred_build(ReadableSpan)
    assert not _otel_compat._probe_deferred_build(DefaultsOnTheClass)

    class ElsewhereEvent(sdk_trace.Event):
        def __init__(self, name: str, attributes: Any = None, timestamp: int | None = None) -> None:
            super().__init__(name, None, timestamp)
            del self._attributes
            self._kept = attributes

    assert _otel_compat._probe_lazy_event(sdk_trace.Event)
    assert not _otel_compat._probe_lazy_event(ElsewhereEvent)


class MovedFieldsSpan(ReadableSpan):
    """A ``ReadableSpan`` of a release that stores attributes and events under other names."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._attrs_v2, self._events_v2 = self._attributes, self._events
        del self._attributes, self._events

    @property
    def attributes(self) -> Any:
        return dict(self._attrs_v2 or {})

    @property
    def events(self) -> Any:
        return tuple(self._events_v2)

    @property
    def dropped_attributes(self) -> int:
        return 0

    @property
    def dropped_events(self) -> int:
        return 0


def _span(cls: type, attributes: Any) -> Any:
    ctx = trace_api.SpanContext(1, 2, is_remote=False, trace_flags=trace_api.TraceFlags(1))
    event = sdk_trace.Event("exception", {"exception.type": "E"}, 5)
    return cls(name="chat m", context=ctx, attributes=attributes, events=(event,), start_time=1, end_time=9)


def test_span_fields_moved_fall_back_to_the_public_properties() -> None:
    assert _otel_compat.pick_span_fields(MovedFieldsSpan) == (
        _otel_compat.ABSENT_FIELD,
        "_dict",
        _otel_compat.ABSENT_FIELD,
    )

    class NoInnerDict(dict):  # a BoundedAttributes-like mapping without ``_dict``
        def __init__(self, maxlen: Any, attributes: Any, immutable: bool = True) -> None:
            super().__init__(attributes)

    assert _otel_compat.pick_span_fields(bounded=NoInnerDict).bounded_dict == _otel_compat.ABSENT_FIELD
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": 3, "stop": ("x",)}
    for stored in (dict(attrs), BoundedAttributes(None, dict(attrs), immutable=False), NoInnerDict(None, attrs)):
        real, moved = _span(ReadableSpan, stored), _span(MovedFieldsSpan, stored)
        assert dict(_otel_compat.span_attributes(moved)) == dict(_otel_compat.span_attributes(real)) == attrs
        assert _otel_compat.span_has_events(moved) and _otel_compat.span_has_events(real)
        assert Converter().convert(moved) == Converter().convert(real)
    assert not _otel_compat.span_has_events(ReadableSpan(name="x", events=()))


_METRICS_APP = """
import json, sys
sys.path.insert(0, sys.argv[1])
from opentelemetry import metrics
from opentelemetry.metrics import _internal
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from llm_agent.export._metrics import MetricsProcessor, MetricsTarget

target = MetricsTarget()
options = {"max_queue_size": 100, "max_export_batch_size": 10, "schedule_delay_s": 60.0, "retry_max_time_s": 1.0}
if sys.argv[2] == "hide":  # an API that keeps the global provider elsewhere, while the processor is made
    slot = _internal._METER_PROVIDER
    del _internal._METER_PROVIDER
    processor = MetricsProcessor(target, **options)
    _internal._METER_PROVIDER = slot
else:
    processor = MetricsProcessor(target, **options)
provider = TracerProvider()
provider.add_span_processor(processor)
tracer = provider.get_tracer("app")
attrs = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 3}
tracer.start_span("chat m", attributes=attrs).end()
assert processor.force_flush(5000)
reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
tracer.start_span("chat m", attributes={**attrs, "gen_ai.usage.input_tokens": 5}).end()
assert processor.force_flush(5000)
points = sorted(
    (m.name, p.count, p.sum, sorted(p.attributes.items()))
    for rm in reader.get_metrics_data().resource_metrics for sm in rm.scope_metrics for m in sm.metrics
    for p in m.data.data_points if m.name == "gen_ai.client.token.usage"
)
print(json.dumps(points))
processor.shutdown(2.0)
"""


def test_meter_provider_slot_moved_records_the_same_metrics() -> None:
    def points(mode: str) -> Any:
        command = [sys.executable, "-c", _METRICS_APP, str(ROOT), mode]
        out = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout
        return json.loads(out)

    watched = points("watch")
    assert watched == [
        [
            "gen_ai.client.token.usage",
            1,
            5,
            [["gen_ai.operation.name", "chat"], ["gen_ai.request.model", "m"], ["gen_ai.token.type", "input"]],
        ]
    ]
    assert points("hide") == watched


def test_suppress_keys_moved_fall_back_to_the_plain_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(otel_context, "_SUPPRESS_INSTRUMENTATION_KEY")
    monkeypatch.delattr(otel_context, "_SUPPRESS_HTTP_INSTRUMENTATION_KEY")
    keys = _otel_compat.suppress_keys()
    assert keys == (_otel_compat.PLAIN_SUPPRESS_KEY,)
    utils = pytest.importorskip("opentelemetry.instrumentation.utils")
    token = otel_context.attach(otel_context.set_value(keys[0], True))
    try:
        assert utils.is_instrumentation_enabled() is False
    finally:
        otel_context.detach(token)
