"""Result types of ``llm_agent.analysis``: frozen dataclasses with ``to_dict()``.

Shared by every store (SQLite, ClickHouse), the CLI and the web page.  Datetimes are timezone-aware
UTC; durations are seconds (float); token sums add known values only (``usage_missing_calls``
counts calls whose usage the provider did not report).  ``None`` means unknown / not applicable.
Costs are USD (``cost_usd``): the sum of the calls that could be priced, ``None`` when none could;
``unpriced_calls`` counts the others (unknown is never $0; docs/cost.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


class _Result:
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (datetimes as ISO 8601 strings)."""
        return _jsonable(self)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class SessionSummary(_Result):
    session_id: str
    user_id: str | None
    users: tuple[str, ...]
    start: datetime
    end: datetime
    duration_s: float
    traces: int
    spans: int
    llm_calls: int
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cache_read_tokens: int
    reasoning_tokens: int
    usage_missing_calls: int
    errors: int
    models: tuple[str, ...]
    service_name: str | None = None
    cost_usd: float | None = None
    unpriced_calls: int = 0
    cache_creation_tokens: int = 0
    #: Prompt-cache health: cache-read input / all input (None without input), and what caching
    #: saved in USD (cost at uncached prices minus the cost; negative when writes cost more).
    cache_hit_ratio: float | None = None
    cache_saved_usd: float | None = None


@dataclass(frozen=True, slots=True)
class TraceSummary(_Result):
    trace_id: str
    session_id: str | None
    user_id: str | None
    name: str | None
    start: datetime
    end: datetime
    duration_s: float
    spans: int
    llm_calls: int
    input_tokens: int
    output_tokens: int
    total_tokens: int
    usage_missing_calls: int
    errors: int
    models: tuple[str, ...]
    ttft_s: float | None
    #: Think time: seconds from the previous trace's end to this one's start (None for the first).
    gap_s: float | None = None
    cost_usd: float | None = None
    unpriced_calls: int = 0
    cache_read_tokens: int = 0
    #: A cache bust (docs/cost.md): this turn's cache reads fell to near zero after earlier turns of
    #: the session had hits while its prompt kept growing; the input billed uncached as a result.
    cache_bust: bool = False
    cache_bust_tokens: int | None = None
    reasoning_tokens: int = 0
    service_name: str | None = None
    #: Distinct ``gen_ai.tool.name`` of the trace's TOOL spans, sorted.
    tool_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionDetail(_Result):
    summary: SessionSummary
    traces: tuple[TraceSummary, ...]


@dataclass(frozen=True, slots=True)
class SpanNode(_Result):
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str  # OTel span kind
    span_kind: str | None  # gen_ai.span.kind
    start: datetime
    start_offset_s: float  # from the trace's start
    duration_s: float
    self_time_s: float  # duration minus the union of its children's time inside it
    depth: int
    status: str
    error_type: str | None
    operation: str | None
    provider: str | None
    model: str | None
    input_tokens: int | None
    output_tokens: int | None
    ttft_s: float | None
    attributes: dict[str, Any]
    children: tuple[SpanNode, ...] = ()
    cost_usd: float | None = None
    #: Whether this span's usage is summed in the figures: each model call counts once, on the
    #: innermost span that reports it (an outer span keeps its tokens above, not summed).
    usage_counted: bool = False


@dataclass(frozen=True, slots=True)
class TraceTree(_Result):
    trace_id: str
    session_id: str | None
    user_id: str | None
    start: datetime
    end: datetime
    duration_s: float
    roots: tuple[SpanNode, ...]
    #: Every span, depth-first in start order (what a waterfall draws row by row).
    spans: tuple[SpanNode, ...]


@dataclass(frozen=True, slots=True)
class Percentiles(_Result):
    avg: float | None
    p50: float | None
    p90: float | None
    p99: float | None
    max: float | None
    count: int = 0


@dataclass(frozen=True, slots=True)
class ModelSummary(_Result):
    model: str
    providers: tuple[str, ...]
    requests: int
    errors: int
    error_rate: float
    input_tokens: int
    output_tokens: int
    total_tokens: int
    avg_input_tokens: float | None
    avg_output_tokens: float | None
    latency_p50_s: float | None
    latency_p99_s: float | None
    ttft_p50_s: float | None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    cost_usd: float | None = None
    unpriced_calls: int = 0
    cost_per_1k_calls_usd: float | None = None  # over the priced calls
    cache_read_tokens: int = 0
    cache_hit_ratio: float | None = None


@dataclass(frozen=True, slots=True)
class ModelBucket(_Result):
    start: datetime
    requests: int
    errors: int
    input_tokens: int
    output_tokens: int
    latency_p50_s: float | None
    latency_p90_s: float | None
    latency_p99_s: float | None
    ttft_p50_s: float | None
    ttft_p90_s: float | None
    cost_usd: float | None = None


@dataclass(frozen=True, slots=True)
class ModelAnalysis(_Result):
    model: str
    since: datetime
    until: datetime
    providers: tuple[str, ...]
    requests: int
    errors: int
    error_rate: float
    error_types: dict[str, int]
    slow_calls: int
    slow_threshold_s: float
    latency: Percentiles
    ttft: Percentiles
    output_tokens_per_s: float | None  # over successful calls with known output tokens
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    reasoning_tokens: int
    avg_input_tokens: float | None
    avg_output_tokens: float | None
    usage_missing_calls: int
    finish_reasons: dict[str, int]
    bucket_s: int
    series: tuple[ModelBucket, ...] = field(default=())
    cost_usd: float | None = None
    unpriced_calls: int = 0
    cost_per_call: Percentiles | None = None  # USD, over the priced calls
    cache_creation_tokens: int = 0
    cache_hit_ratio: float | None = None
    cache_saved_usd: float | None = None


@dataclass(frozen=True, slots=True)
class UserSummary(_Result):
    user_id: str
    first_seen: datetime
    last_seen: datetime
    sessions: int
    traces: int
    llm_calls: int
    input_tokens: int
    output_tokens: int
    total_tokens: int
    errors: int
    latency_p95_s: float | None
    cost_usd: float | None = None
    unpriced_calls: int = 0
