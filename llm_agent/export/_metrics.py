"""GenAI client metrics, recorded from finished spans on a worker thread (never the app's).

The instruments come from the global OpenTelemetry ``MeterProvider``: with none configured they are
no-ops, and they start recording as soon as the app installs one.  Attributes are the low-cardinality
span fields only; session and user IDs are never metric attributes (one series per user would
explode any metrics backend).
"""

from __future__ import annotations

from typing import Any, Final

from opentelemetry import metrics
from opentelemetry.sdk.trace import ReadableSpan

from llm_agent import _otel_compat, semconv
from llm_agent._otel_compat import METER_PROVIDER_SLOT
from llm_agent._version import __version__
from llm_agent.backends._types import ExportResult, RetryAfter
from llm_agent.export._convert import _INFERRED_KINDS
from llm_agent.export._processor import BatchingProcessor

#: Span attributes copied to metric attributes (when present).
_METRIC_ATTRS: Final = (
    semconv.GEN_AI_OPERATION_NAME,
    semconv.GEN_AI_PROVIDER_NAME,
    semconv.GEN_AI_REQUEST_MODEL,
    semconv.GEN_AI_RESPONSE_MODEL,
    semconv.SERVER_ADDRESS,
    semconv.ERROR_TYPE,
)
_TOKEN_TYPES: Final = (
    (semconv.GEN_AI_USAGE_INPUT_TOKENS, semconv.TOKEN_TYPE_INPUT),
    (semconv.GEN_AI_USAGE_OUTPUT_TOKENS, semconv.TOKEN_TYPE_OUTPUT),
)


def _create_histogram(meter: metrics.Meter, name: str, unit: str, description: str, buckets: tuple[float, ...]) -> Any:
    try:
        return meter.create_histogram(
            name, unit=unit, description=description, explicit_bucket_boundaries_advisory=list(buckets)
        )
    except TypeError:  # opentelemetry-api older than 1.23 has no bucket advice
        return meter.create_histogram(name, unit=unit, description=description)


class MetricsTarget:
    """Consumes spans like a backend; records the three GenAI histograms for LLM/EMBEDDING spans."""

    name = "metrics"

    def __init__(self, meter_provider: metrics.MeterProvider | None = None) -> None:
        self._explicit_provider = meter_provider is not None
        meter = metrics.get_meter(semconv.INSTRUMENTATION_SCOPE, __version__, meter_provider=meter_provider)
        self.duration = _create_histogram(
            meter,
            semconv.METRIC_OPERATION_DURATION,
            "s",
            "GenAI operation duration.",
            semconv.DURATION_BUCKETS_S,
        )
        self.tokens = _create_histogram(
            meter,
            semconv.METRIC_TOKEN_USAGE,
            "{token}",
            "Number of input and output tokens used.",
            semconv.TOKEN_BUCKETS,
        )
        self.ttft = _create_histogram(
            meter,
            semconv.METRIC_TIME_TO_FIRST_CHUNK,
            "s",
            "Time from the request to the first chunk of a streamed response.",
            semconv.DURATION_BUCKETS_S,
        )

    def prepare(self, spans: list[ReadableSpan]) -> tuple[list[Any], int]:
        """Only LLM and EMBEDDING spans are measured; the others are skipped (not lost)."""
        if not self._explicit_provider and not _otel_compat.meter_provider_installed():
            return [], 0  # instruments would discard everything: spare the app's GIL the work
        out = []
        for span in spans:
            attrs = span.attributes or {}
            kind = attrs.get(semconv.ARMS_SPAN_KIND)
            if kind is None:
                op = attrs.get(semconv.GEN_AI_OPERATION_NAME)
                kind = _INFERRED_KINDS.get(op) if op is not None else None
            if kind in semconv.USAGE_SPAN_KINDS:
                out.append(span)
        return out, 0

    def export(self, items: list[Any]) -> ExportResult | RetryAfter:
        for span in items:
            self.record(span)
        return ExportResult.SUCCESS

    def record(self, span: ReadableSpan) -> None:
        attrs = span.attributes or {}
        labels = {k: attrs[k] for k in _METRIC_ATTRS if attrs.get(k) is not None}
        if span.end_time is not None and span.start_time is not None:
            self.duration.record((span.end_time - span.start_time) / 1e9, labels)
        for key, token_type in _TOKEN_TYPES:
            value = attrs.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                self.tokens.record(value, {**labels, semconv.GEN_AI_TOKEN_TYPE: token_type})
        ttft = attrs.get(semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK)
        if isinstance(ttft, (int, float)) and not isinstance(ttft, bool):
            self.ttft.record(float(ttft), labels)

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
