"""GenAI client metrics, recorded from finished spans on a worker thread (never the app's).

They go to the global OpenTelemetry ``MeterProvider`` (or the one given): with none configured
nothing is recorded, and recording starts as soon as the app installs one.  Which metrics, with
exactly which attributes (never session or user IDs): ``_metric_sets``; how they reach the
provider's readers (our aggregation, or the SDK's instruments): ``MetricsTarget``.
"""

from __future__ import annotations

from typing import Any, Final

from opentelemetry import metrics
from opentelemetry.sdk.trace import ReadableSpan

from llm_agent import _otel_compat, semconv
from llm_agent._otel_compat import METER_PROVIDER_SLOT
from llm_agent._secrets import get_logger
from llm_agent._stability import latest_gen_ai
from llm_agent._version import __version__
from llm_agent.backends._types import ExportResult, RetryAfter
from llm_agent.export import _metric_hook
from llm_agent.export._convert import _INFERRED_KINDS
from llm_agent.export._metric_hook import ProviderHook
from llm_agent.export._metric_sets import ArmsMetrics, GenAIMetrics, LabelCache, LatestTokenMetrics
from llm_agent.export._metric_store import FastMeter, MetricStore
from llm_agent.export._processor import BatchingProcessor

_NS_PER_S: Final = 1e9
_UNSET: Final = object()
_log = get_logger("llm_agent.metrics")


def _kind(attrs: Any) -> str | None:
    """The span's ``gen_ai.span.kind``, else the kind its operation implies."""
    kind = attrs.get(semconv.ARMS_SPAN_KIND)
    if kind is None:
        op = attrs.get(semconv.GEN_AI_OPERATION_NAME)
        kind = _INFERRED_KINDS.get(op) if op is not None else None
    return kind if type(kind) is str else None


class _Recorders:
    """One set of the recorders of ``_metric_sets``, on one meter (the SDK's, or our store's)."""

    def __init__(self, meter: Any, arms: bool, latest: bool, store: MetricStore | None = None) -> None:
        # With the opt-in the token counters replace the histogram (the conventions' transition
        # plan: emit the latest version *and not* the old one).
        self.genai = GenAIMetrics(meter, token_histogram=not latest)
        self.latest = LatestTokenMetrics(meter) if latest else None
        self.arms = ArmsMetrics(meter) if arms else None
        self.labels = LabelCache()
        #: Our store when these record into it (its lock held per batch), else None.
        self.store = store

    def record(self, span: ReadableSpan) -> None:
        attrs = _otel_compat.span_attributes(span)
        duration_s = None
        if span.end_time is not None and span.start_time is not None:
            duration_s = (span.end_time - span.start_time) / _NS_PER_S
        labels = self.labels.get(attrs)
        self.genai.record(attrs, duration_s, labels)
        if self.latest is not None:
            self.latest.record(attrs, labels)
        if self.arms is not None:
            kind = _kind(attrs)
            if kind is not None:
                self.arms.record(attrs, kind, duration_s)


class MetricsTarget:
    """Consumes spans like a backend; records the GenAI metrics of LLM/EMBEDDING spans
    (``_metric_sets``: which metrics, with which attributes).

    Two paths record the same data.  On the SDK's ``MeterProvider`` (the usual case), into our
    own aggregation (``_metric_store``), handed to the provider's readers when they collect
    (``_metric_hook``): a tenth of the SDK histogram's cost per record.  Otherwise — another
    MeterProvider, or one configured so that its instruments would differ from ours (views,
    preferred aggregations, exemplars always on: ``_metric_hook.fast_path_blocker``) — through the
    SDK's instruments from the API's meter, as before.  The choice is made per provider, on the
    worker thread at the first batch that provider sees, and logged at DEBUG.

    ``latest``: the opt-in to the latest experimental conventions (``_stability.latest_gen_ai()``
    when not given), read once here; ``arms``: also the ARMS agent's metrics (``arms_compat``).
    """

    name = "metrics"

    def __init__(
        self, meter_provider: metrics.MeterProvider | None = None, *, arms: bool = False, latest: bool | None = None
    ) -> None:
        self._explicit_provider = meter_provider is not None
        self._provider = meter_provider
        self._arms = arms
        self._latest = latest_gen_ai() if latest is None else latest
        self._scope = None
        self._slots = None if self._explicit_provider else _otel_compat.meter_provider_slot()
        #: The provider the current recorders are for, and those recorders.
        self._for: Any = _UNSET
        self._recorders: _Recorders | None = None
        self._hook: ProviderHook | None = None
        self._sdk_recorders: _Recorders | None = None
        #: Why the last provider is recorded through the SDK's instruments (None: our store).
        self.fallback_reason: str | None = None

    def _current(self) -> _Recorders:
        """The recorders for the provider in force now (worker thread, once per batch)."""
        if self._explicit_provider:
            provider = self._provider
        elif self._slots is not None:
            provider = self._slots[METER_PROVIDER_SLOT]
        else:
            provider = metrics.get_meter_provider()
        if provider is self._for and self._recorders is not None:
            if self._hook is not None:
                self._hook.refresh()
            return self._recorders
        scope = _metric_hook.sdk_scope(semconv.INSTRUMENTATION_SCOPE, __version__)
        reason = _metric_hook.fast_path_blocker(provider, scope)
        if reason is None:
            store = MetricStore()
            self._hook = _metric_hook.ProviderHook(provider, store, scope)
            self._recorders = _Recorders(FastMeter(store), self._arms, self._latest, store)
        else:
            self._hook = None
            if self._sdk_recorders is None:
                meter = metrics.get_meter(semconv.INSTRUMENTATION_SCOPE, __version__, meter_provider=self._provider)
                self._sdk_recorders = _Recorders(meter, self._arms, self._latest)
            self._recorders = self._sdk_recorders
        self._for = provider
        self.fallback_reason = reason
        _log.debug("GenAI metrics through %s", f"the SDK's instruments ({reason})" if reason else "our aggregation")
        return self._recorders

    def prepare(self, spans: list[ReadableSpan]) -> tuple[list[Any], int]:
        """Only LLM and EMBEDDING spans are measured; the others are skipped (not lost)."""
        if not self._explicit_provider and not _otel_compat.meter_provider_installed():
            return [], 0  # instruments would discard everything: spare the app's GIL the work
        out = []
        for span in spans:
            kind = _kind(_otel_compat.span_attributes(span))
            if kind in semconv.USAGE_SPAN_KINDS:
                out.append(span)
        return out, 0

    def export(self, items: list[Any]) -> ExportResult | RetryAfter:
        if not items:
            return ExportResult.SUCCESS
        recorders = self._current()
        if recorders.store is None:
            for span in items:
                recorders.record(span)
        else:
            with recorders.store.lock:  # once per batch: the reader's collection waits at most a batch
                for span in items:
                    recorders.record(span)
        return ExportResult.SUCCESS

    def record(self, span: ReadableSpan) -> None:
        """One span's metrics (tests and benchmarks; the worker records whole batches)."""
        self.export([span])

    def flush(self, timeout_s: float) -> bool:
        return True

    def shutdown(self, timeout_s: float) -> None:
        return None


class MetricsProcessor(BatchingProcessor):
    """The metrics consumer's processor: spans are not even queued while no MeterProvider is set.

    Without one, the API's instruments discard every record, so queueing the span on the app's
    thread (a lock and an append) and converting it on the worker would be work for nothing.  The
    check reads the API's global provider slot (``_otel_compat.meter_provider_slot``:
    ``metrics.get_meter_provider()`` itself would look up an environment variable, raising and
    catching a ``KeyError``, on every span); once the app installs a provider the slot is filled
    and spans flow again.  Where the API has no such slot (a future version), every span is queued
    and ``MetricsTarget.prepare`` skips them instead.
    """

    def __init__(self, target: MetricsTarget, **options: Any) -> None:
        super().__init__(target, **options)
        explicit = getattr(target, "_explicit_provider", False)
        #: The metrics API's globals holding the slot, or None: not watched (an explicit provider,
        #: or an API that keeps it elsewhere).
        self._slots = None if explicit else _otel_compat.meter_provider_slot()

    def on_end(self, span: ReadableSpan) -> None:
        slots = self._slots
        if slots is not None and slots[METER_PROVIDER_SLOT] is None:
            return
        super().on_end(span)
