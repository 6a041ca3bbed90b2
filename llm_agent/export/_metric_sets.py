"""The instruments recorded from one finished LLM/EMBEDDING span, and exactly their attributes.

Each metric carries the attributes the conventions list for it (v1.41 ``metric_attributes.gen_ai``:
operation, provider, request and response model, ``server.address`` with ``server.port``), plus
its own (``error.type`` on the duration only, ``gen_ai.token.type`` on the token metric) and, on
OpenAI's spans, the OpenAI refinement (``openai.response.service_tier`` / ``system_fingerprint``)
where the conventions add it (duration and tokens).  Never session or user IDs: one series per
user would explode any metrics backend.

Three sets, chosen when the consumer is built:

- ``GenAIMetrics``: the released conventions (v1.41), the default;
- ``LatestTokenMetrics``: with ``OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental``, the
  unreleased token counters replace the ``gen_ai.client.token.usage`` histogram;
- ``ArmsMetrics``: with ``arms_compat``, the metric names and labels the ARMS agent exports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from opentelemetry import metrics

from llm_agent import semconv

Attrs = Mapping[str, Any]

#: ``metric_attributes.gen_ai``, in the conventions' order (``server.port`` only with an address).
_BASE: Final = (
    semconv.GEN_AI_OPERATION_NAME,
    semconv.GEN_AI_PROVIDER_NAME,
    semconv.GEN_AI_REQUEST_MODEL,
    semconv.GEN_AI_RESPONSE_MODEL,
    semconv.SERVER_ADDRESS,
)
#: ``metric_attributes.openai``: the OpenAI refinement of the duration and token metrics.
_OPENAI: Final = (semconv.GEN_AI_OPENAI_RESPONSE_SERVICE_TIER, semconv.GEN_AI_OPENAI_RESPONSE_SYSTEM_FINGERPRINT)
_TOKEN_TYPES: Final = (
    (semconv.GEN_AI_USAGE_INPUT_TOKENS, semconv.TOKEN_TYPE_INPUT),
    (semconv.GEN_AI_USAGE_OUTPUT_TOKENS, semconv.TOKEN_TYPE_OUTPUT),
)
_SECONDS: Final = "s"
_TOKENS: Final = "{token}"


def histogram(meter: metrics.Meter, name: str, unit: str, description: str, buckets: tuple[float, ...]) -> Any:
    try:
        return meter.create_histogram(
            name, unit=unit, description=description, explicit_bucket_boundaries_advisory=list(buckets)
        )
    except TypeError:  # opentelemetry-api older than 1.23 has no bucket advice
        return meter.create_histogram(name, unit=unit, description=description)


def _count(value: Any) -> int | None:
    return value if type(value) is int and value >= 0 else None


def _seconds(value: Any) -> float | None:
    return float(value) if (type(value) is float or type(value) is int) and value >= 0 else None


def base_labels(attrs: Attrs) -> dict[str, Any]:
    """The attributes every GenAI client metric carries, those the span has."""
    labels = {key: attrs[key] for key in _BASE if attrs.get(key) is not None}
    if semconv.SERVER_ADDRESS in labels:
        port = attrs.get(semconv.SERVER_PORT)
        if type(port) is int:
            labels[semconv.SERVER_PORT] = port
    return labels


def openai_labels(attrs: Attrs, labels: dict[str, Any]) -> dict[str, Any]:
    """``labels`` plus the OpenAI refinement, on the spans of the ``openai`` provider only."""
    if attrs.get(semconv.GEN_AI_PROVIDER_NAME) != semconv.PROVIDER_OPENAI:
        return labels
    extra = {key: attrs[key] for key in _OPENAI if type(attrs.get(key)) is str}
    return {**labels, **extra} if extra else labels


#: Every attribute the label sets above are built from.
_SIGNATURE: Final = (*_BASE, semconv.SERVER_PORT, *_OPENAI)
#: Distinct label-value sets remembered at most (a bound on memory, not on correctness: past it the
#: cache starts over).  Metrics backends see far fewer series than this.
LABEL_CACHE_SIZE: Final = 1024


class Labels:
    """The label dicts of one distinct set of label values, built once and shared (never mutated).

    Building them per span (dict comprehensions and merges for every record) was most of the
    metrics' cost once the records themselves became cheap (``_metric_store``)."""

    __slots__ = ("_with", "base", "refined")

    def __init__(self, attrs: Attrs) -> None:
        self.base = base_labels(attrs)
        self.refined = openai_labels(attrs, self.base)
        self._with: dict[tuple[str, Any], dict[str, Any]] = {}

    def refined_with(self, key: str, value: Any) -> dict[str, Any]:
        """``refined`` plus ``key: value`` (``error.type``, ``gen_ai.token.type``...)."""
        found = self._with.get((key, value))
        if found is None:
            found = self._with[(key, value)] = {**self.refined, key: value}
        return found


class LabelCache:
    """``Labels`` per distinct label-value set (one per metrics consumer: its worker's only)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Any, ...], Labels] = {}

    def get(self, attrs: Attrs) -> Labels:
        values = tuple(map(attrs.get, _SIGNATURE))
        # the types too: 1 == 1.0 == True as keys, but not as labels (``server.port`` must be an int)
        key = (values, tuple(map(type, values)))
        try:
            found = self._cache.get(key)
        except TypeError:  # an unhashable attribute value: built for this span alone
            return Labels(attrs)
        if found is None:
            if len(self._cache) >= LABEL_CACHE_SIZE:
                self._cache.clear()
            found = self._cache[key] = Labels(attrs)
        return found


class GenAIMetrics:
    """The released GenAI client metrics (v1.41)."""

    def __init__(self, meter: metrics.Meter, token_histogram: bool = True) -> None:
        buckets = semconv.DURATION_BUCKETS_S
        self.duration = histogram(
            meter, semconv.METRIC_OPERATION_DURATION, _SECONDS, "GenAI operation duration.", buckets
        )
        self.tokens: Any = None  # None: replaced by the opt-in's token counters
        if token_histogram:
            self.tokens = histogram(
                meter, semconv.METRIC_TOKEN_USAGE, _TOKENS, "Number of input and output tokens used.",
                semconv.TOKEN_BUCKETS,
            )  # fmt: skip
        self.ttft = histogram(
            meter,
            semconv.METRIC_TIME_TO_FIRST_CHUNK,
            _SECONDS,
            "Time from the request to the first chunk of a streamed response.",
            buckets,
        )
        self.per_chunk = histogram(
            meter,
            semconv.METRIC_TIME_PER_OUTPUT_CHUNK,
            _SECONDS,
            "Time per output chunk after the first one of a streamed response.",
            buckets,
        )

    def record(self, attrs: Attrs, duration_s: float | None, cached: Labels | None = None) -> None:
        cached = cached or Labels(attrs)
        labels = cached.base
        refined = cached.refined
        if duration_s is not None:
            error = attrs.get(semconv.ERROR_TYPE)
            self.duration.record(duration_s, cached.refined_with(semconv.ERROR_TYPE, error) if error else refined)
        if self.tokens is not None:
            for key, token_type in _TOKEN_TYPES:
                value = _count(attrs.get(key))
                if value is not None:
                    self.tokens.record(value, cached.refined_with(semconv.GEN_AI_TOKEN_TYPE, token_type))
        ttft = _seconds(attrs.get(semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK))
        if ttft is not None:
            self.ttft.record(ttft, labels)
        per_chunk = _seconds(attrs.get(semconv.STREAM_TIME_PER_CHUNK))
        if per_chunk is not None:
            # One value per stream, its mean gap between chunks after the first.  The conventions
            # record one per chunk; the stream proxy keeps no per-chunk times (no clock read per
            # chunk on the app's thread), and recording the same mean once per chunk would cost
            # the export thread a histogram update per chunk (measured: as much as the rest of
            # the call's metrics every few chunks) for no more information.
            self.per_chunk.record(per_chunk, labels)


class LatestTokenMetrics:
    """The unreleased token counters (semantic-conventions-genai), used with the opt-in.

    ``gen_ai.client.inference.tokens`` by type and modality (none of our providers reports a
    modality breakdown: ``unknown``), input tokens by cache status and output tokens by phase,
    each only where the provider reported the breakdown (unknown is never recorded as a count).
    """

    def __init__(self, meter: metrics.Meter) -> None:
        self.tokens = meter.create_counter(
            semconv.METRIC_INFERENCE_TOKENS, unit=_TOKENS, description="Number of input and output tokens used."
        )
        self.by_cache = meter.create_counter(
            semconv.METRIC_INPUT_TOKENS_BY_CACHE, unit=_TOKENS, description="Input tokens by cache status."
        )
        self.by_phase = meter.create_counter(
            semconv.METRIC_OUTPUT_TOKENS_BY_PHASE, unit=_TOKENS, description="Output tokens by generation phase."
        )

    def record(self, attrs: Attrs, cached: Labels | None = None) -> None:
        labels = (cached or Labels(attrs)).refined
        unknown = semconv.TOKEN_MODALITY_UNKNOWN
        tokens_in = _count(attrs.get(semconv.GEN_AI_USAGE_INPUT_TOKENS))
        tokens_out = _count(attrs.get(semconv.GEN_AI_USAGE_OUTPUT_TOKENS))
        for value, token_type in ((tokens_in, semconv.TOKEN_TYPE_INPUT), (tokens_out, semconv.TOKEN_TYPE_OUTPUT)):
            if value:
                labelled = {**labels, semconv.GEN_AI_TOKEN_TYPE: token_type, semconv.GEN_AI_TOKEN_MODALITY: unknown}
                self.tokens.add(value, labelled)
        read = _count(attrs.get(semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS))
        creation = _count(attrs.get(semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS))
        if tokens_in is not None and (read is not None or creation is not None):
            parts = (
                (tokens_in - (read or 0) - (creation or 0), semconv.TOKEN_CACHE_NONE),
                (read, semconv.TOKEN_CACHE_READ),
                (creation, semconv.TOKEN_CACHE_CREATION),
            )
            for value, status in parts:
                if value:  # the parts sum to the input count (additive series)
                    self.by_cache.add(value, {**labels, semconv.GEN_AI_TOKEN_CACHE: status})
        reasoning = _count(attrs.get(semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS))
        if tokens_out is not None and reasoning is not None:
            for value, phase in (
                (tokens_out - reasoning, semconv.TOKEN_PHASE_RESPONSE),
                (reasoning, semconv.TOKEN_PHASE_REASONING),
            ):
                if value:
                    self.by_phase.add(value, {**labels, semconv.GEN_AI_TOKEN_PHASE: phase})


class ArmsMetrics:
    """What the ARMS agent (loongsuite-python's ``ExtendedInvocationMetricsRecorder``) exports for
    ARMS's Model analysis: call, error and slow-call counts, duration, first-token latency and
    token counts, labelled ``spanKind`` / ``modelName`` (and ``usageType`` for tokens)."""

    def __init__(self, meter: metrics.Meter) -> None:
        self.calls = meter.create_counter(semconv.ARMS_METRIC_CALLS, unit="1", description="GenAI calls.")
        self.errors = meter.create_counter(semconv.ARMS_METRIC_ERRORS, unit="1", description="GenAI call errors.")
        self.slow = meter.create_counter(semconv.ARMS_METRIC_SLOW_CALLS, unit="1", description="Slow GenAI calls.")
        self.tokens = meter.create_counter(semconv.ARMS_METRIC_USAGE_TOKENS, unit="1", description="Token usage.")
        self.duration = histogram(
            meter, semconv.ARMS_METRIC_DURATION, _SECONDS, "GenAI call duration.", semconv.DURATION_BUCKETS_S
        )
        self.first_token = histogram(
            meter, semconv.ARMS_METRIC_FIRST_TOKEN, _SECONDS, "Time to first token.", semconv.DURATION_BUCKETS_S
        )

        #: (kind, model) -> (labels, {token type: labels with it}); built once per pair.
        self._labels: dict[tuple[str, Any], tuple[dict[str, Any], dict[str, dict[str, Any]]]] = {}

    def _labels_for(self, kind: str, model: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        found = self._labels.get((kind, model))
        if found is None:
            labels = {semconv.ARMS_LABEL_SPAN_KIND: kind}
            if type(model) is str:
                labels[semconv.ARMS_LABEL_MODEL_NAME] = model
            by_type = {t: {**labels, semconv.ARMS_LABEL_USAGE_TYPE: t} for _, t in _TOKEN_TYPES}
            if len(self._labels) >= LABEL_CACHE_SIZE:
                self._labels.clear()
            found = self._labels[(kind, model)] = (labels, by_type)
        return found

    def record(self, attrs: Attrs, kind: str, duration_s: float | None) -> None:
        model = attrs.get(semconv.GEN_AI_REQUEST_MODEL) or attrs.get(semconv.GEN_AI_RESPONSE_MODEL)
        if type(model) is not str:
            model = None  # no model label: one entry for all of them
        labels, by_type = self._labels_for(kind, model)
        self.calls.add(1, labels)
        if attrs.get(semconv.ERROR_TYPE):
            self.errors.add(1, labels)
        if duration_s is not None:
            self.duration.record(duration_s, labels)
            if duration_s > semconv.ARMS_SLOW_CALL_S:
                self.slow.add(1, labels)
        for key, token_type in _TOKEN_TYPES:
            value = _count(attrs.get(key))
            if value:
                self.tokens.add(value, by_type[token_type])
        ttft = _seconds(attrs.get(semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK))
        if ttft is not None:
            self.first_token.record(ttft, labels)


__all__ = [
    "LABEL_CACHE_SIZE",
    "ArmsMetrics",
    "GenAIMetrics",
    "LabelCache",
    "Labels",
    "LatestTokenMetrics",
    "base_labels",
    "histogram",
    "openai_labels",
]
