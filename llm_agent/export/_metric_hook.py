"""Hands ``_metric_store``'s aggregation to the OpenTelemetry SDK's readers at collection time.

The Python SDK has no public ``MetricProducer`` (the specification's hook for exactly this; the
SDK's ``MetricReader`` takes none up to 1.45), so each reader's collect callback — the private
``MetricReader._collect``, set by ``MeterProvider`` to its measurement consumer's ``collect`` —
is wrapped: the SDK collects its own instruments as before, and our scope's metrics are added to
the ``MetricsData`` it returns, in the SDK's own point classes.

The rule for which path records (``fast_path_blocker``): ours only when the provider is the SDK's
``MeterProvider`` and nothing it is configured with would make its instruments produce something
ours do not:

- no ``View`` (a view may rename, re-bucket, filter attributes or drop our instruments);
- no reader preferring an aggregation other than the default for histograms or counters;
- exemplars not forced on (``OTEL_METRICS_EXEMPLAR_FILTER=always_on``; with the default
  trace-based filter the SDK attaches none to our records: they come from the metrics worker,
  outside any span);
- our meter not disabled by a meter configurator, the SDK not disabled (``OTEL_SDK_DISABLED``);
- the SDK internals read here where we expect them (tests/contract/test_otel_internals.py).

Otherwise — another vendor's MeterProvider, one of the cases above, or an SDK release that moved
these internals — the metrics are recorded through the SDK's instruments as before (slower, the
same data).  Readers added to the provider later are served from the next batch on, removed ones
forgotten (the consumer's reader map is replaced, never mutated, so a changed identity says so).
"""

from __future__ import annotations

from typing import Any

from llm_agent import _errors
from llm_agent.export._metric_store import COUNTER, CUMULATIVE, DEFAULT_CARDINALITY_LIMIT, DELTA, HISTOGRAM, MetricStore

#: The reader's collect callback: ``MetricReader._collect`` (SDK 1.27-1.45).
COLLECT_FIELD = "_collect"


def _sdk_classes() -> tuple[type, type, type] | None:
    """The SDK's ``MeterProvider`` and the instrument classes keying its readers' preferences
    (private ``_Histogram``/``_Counter``, SDK 1.27-1.45); None without them."""
    try:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics._internal.instrument import _Counter, _Histogram
    except ImportError:
        return None
    return MeterProvider, _Histogram, _Counter


def overflow_attributes() -> dict[str, Any] | None:
    """The attribute set the SDK gives the point absorbing a stream's attribute sets beyond its
    cardinality limit (``_view_instrument_match._OVERFLOW_ATTRIBUTES``, SDK 1.40-1.45); None where
    not found (then the fast path is not taken)."""
    try:
        from opentelemetry.sdk.metrics._internal import _view_instrument_match
    except ImportError:
        return None
    found = getattr(_view_instrument_match, "_OVERFLOW_ATTRIBUTES", None)
    return dict(found) if isinstance(found, dict) else None


def reader_map(provider: Any) -> Any:
    """The provider's reader -> storage map (``MeterProvider._measurement_consumer._reader_storages``,
    SDK 1.27-1.45), or None."""
    consumer = getattr(provider, "_measurement_consumer", None)
    readers = getattr(consumer, "_reader_storages", None)
    return readers if isinstance(readers, dict) else None


def fast_path_blocker(provider: Any, scope: Any) -> str | None:
    """Why our aggregation cannot stand in for the SDK's instruments on ``provider`` (None: it can)."""
    classes = _sdk_classes()
    if classes is None:
        return "no opentelemetry-sdk metrics"
    sdk_provider, hist_cls, counter_cls = classes
    if not isinstance(provider, sdk_provider):
        return "not the SDK's MeterProvider"
    if getattr(provider, "_disabled", False):
        return "SDK disabled"
    config = getattr(provider, "_sdk_config", None)
    if config is None or not hasattr(config, "views") or not hasattr(config, "exemplar_filter"):
        return "SDK configuration not found"
    if config.views:
        return "views configured"
    if type(config.exemplar_filter).__name__ == "AlwaysOnExemplarFilter":
        return "exemplars always on"
    apply = getattr(provider, "_apply_meter_configurator", None)
    if apply is not None and not getattr(apply(scope), "is_enabled", True):
        return "meter disabled by the configurator"
    if overflow_attributes() is None:
        return "overflow attributes not found"
    readers = reader_map(provider)
    if readers is None:
        return "reader map not found"
    for reader in readers:
        blocker = _reader_blocker(reader, hist_cls, counter_cls)
        if blocker:
            return blocker
    return None


def _reader_blocker(reader: Any, hist_cls: type, counter_cls: type) -> str | None:
    if not callable(getattr(reader, COLLECT_FIELD, None)):
        return "reader collect callback not found"
    aggregation = getattr(reader, "_instrument_class_aggregation", None)
    temporality = getattr(reader, "_instrument_class_temporality", None)
    if not isinstance(aggregation, dict) or not isinstance(temporality, dict):
        return "reader preferences not found"
    for cls in (hist_cls, counter_cls):
        if type(aggregation.get(cls)).__name__ != "DefaultAggregation":
            return "reader prefers another aggregation"
        if getattr(temporality.get(cls), "name", None) not in ("CUMULATIVE", "DELTA"):
            return "reader temporality not readable"
    return None


def _preferences(reader: Any) -> tuple[dict[str, str], dict[str, int]]:
    classes = _sdk_classes()
    assert classes is not None  # checked by fast_path_blocker
    _, hist_cls, counter_cls = classes
    temporality = reader._instrument_class_temporality
    limits = getattr(reader, "_instrument_class_cardinality_limit", None) or {}
    pick = {HISTOGRAM: hist_cls, COUNTER: counter_cls}
    return (
        {kind: DELTA if temporality[cls].name == "DELTA" else CUMULATIVE for kind, cls in pick.items()},
        {kind: int(limits.get(cls, DEFAULT_CARDINALITY_LIMIT)) for kind, cls in pick.items()},
    )


class _Collect:
    """A reader's collect callback with our scope's metrics added to what the SDK returns."""

    def __init__(self, original: Any, hook: ProviderHook) -> None:
        self.original = original
        self.hook = hook

    def __call__(self, reader: Any, *args: Any, **kwargs: Any) -> Any:
        data = self.original(reader, *args, **kwargs)  # the app's metrics first, whatever we do
        try:
            return self.hook.add_to(reader, data)
        except Exception as exc:
            _errors.report("metrics.collect", exc)
            return data


class ProviderHook:
    """Our store attached to one SDK ``MeterProvider``'s readers."""

    def __init__(self, provider: Any, store: MetricStore, scope: Any) -> None:
        self.provider = provider
        self.store = store
        self.scope = scope
        self._seen: Any = None
        self._overflow = overflow_attributes() or {}
        self.refresh()

    def refresh(self) -> None:
        """Serve readers added since the last call, forget removed ones (cheap when none changed)."""
        readers = reader_map(self.provider)
        if readers is self._seen or readers is None:
            return
        self._seen = readers
        current = list(readers)
        self.store.keep_readers(current)
        for reader in current:
            if self.store.serves(reader):
                continue
            temporality, limits = _preferences(reader)
            self.store.add_reader(reader, temporality, limits, self._overflow)
            callback = getattr(reader, COLLECT_FIELD)
            if not (isinstance(callback, _Collect) and callback.hook is self):
                setattr(reader, COLLECT_FIELD, _Collect(callback, self))

    def add_to(self, reader: Any, data: Any) -> Any:
        from opentelemetry.sdk.metrics.export import MetricsData, ResourceMetrics, ScopeMetrics

        metrics = [_metric(inst, temporality, points) for inst, temporality, points in self.store.collect(reader)]
        if not metrics:
            return data
        ours = ScopeMetrics(scope=self.scope, metrics=metrics, schema_url=self.scope.schema_url)
        if data is None or not data.resource_metrics:
            resource = self.provider._sdk_config.resource
            alone = ResourceMetrics(resource=resource, scope_metrics=[ours], schema_url=resource.schema_url)
            return MetricsData(resource_metrics=[alone])
        first, *rest = data.resource_metrics
        merged = ResourceMetrics(
            resource=first.resource, scope_metrics=[*first.scope_metrics, ours], schema_url=first.schema_url
        )
        return MetricsData(resource_metrics=[merged, *rest])


def _metric(inst: Any, temporality: str, points: list[dict[str, Any]]) -> Any:
    from opentelemetry.sdk.metrics.export import (
        AggregationTemporality,
        Histogram,
        HistogramDataPoint,
        Metric,
        NumberDataPoint,
        Sum,
    )

    sdk_temporality = AggregationTemporality.DELTA if temporality == DELTA else AggregationTemporality.CUMULATIVE
    data: Any
    if inst.kind == HISTOGRAM:
        data = Histogram(
            data_points=[HistogramDataPoint(exemplars=[], **p) for p in points],
            aggregation_temporality=sdk_temporality,
        )
    else:
        data = Sum(
            data_points=[NumberDataPoint(exemplars=[], **p) for p in points],
            aggregation_temporality=sdk_temporality,
            is_monotonic=True,
        )
    return Metric(name=inst.name, description=inst.description, unit=inst.unit, data=data)


def sdk_scope(name: str, version: str) -> Any:
    """The instrumentation scope the SDK gives ``get_meter(name, version)``."""
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope

    return InstrumentationScope(name, version, None, None)


__all__ = ["COLLECT_FIELD", "ProviderHook", "fast_path_blocker", "overflow_attributes", "reader_map", "sdk_scope"]
