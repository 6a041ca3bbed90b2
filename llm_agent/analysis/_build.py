"""Building result objects from plain rows: pure Python, shared by every store.

A store fetches rows in its own SQL and hands them over here, so session summaries, think time,
span trees with self time and the model analysis (exact percentiles, buckets) are computed the
same way whatever the database.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple, Protocol

from llm_agent import semconv
from llm_agent.analysis import _stats, _time
from llm_agent.analysis._cost import NANO_USD, cache_busts, column, hit_ratio, usd
from llm_agent.analysis._types import (
    ModelAnalysis,
    ModelBucket,
    ModelSummary,
    SessionSummary,
    SpanNode,
    TraceSummary,
    TraceTree,
    UserSummary,
)


class Row(Protocol):
    """A result row read by column name: a ``sqlite3.Row`` or a ClickHouse row dict."""

    def __getitem__(self, key: str, /) -> Any: ...


#: ``error_types`` key for a failed call that did not say why (the OTel ``error.type`` fallback).
UNKNOWN_ERROR_TYPE = "_OTHER"


def names(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Sorted distinct names from a comma-joined string or a sequence."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    return tuple(sorted({n for n in items if n}))


def session_summary(r: Row) -> SessionSummary:
    """From a mapping with the ``sessions`` table's column names (times in ns)."""
    return SessionSummary(
        session_id=r["session_id"],
        user_id=r["user_id"],
        users=names(r["users"]),
        start=_time.ns_to_datetime(r["start_ns"]),
        end=_time.ns_to_datetime(r["end_ns"]),
        duration_s=(r["end_ns"] - r["start_ns"]) / 1e9,
        traces=int(r["trace_count"]),
        spans=int(r["span_count"]),
        llm_calls=int(r["llm_calls"]),
        input_tokens=int(r["input_tokens"]),
        output_tokens=int(r["output_tokens"]),
        total_tokens=int(r["total_tokens"]),
        cache_read_tokens=int(r["cache_read_tokens"]),
        reasoning_tokens=int(r["reasoning_tokens"]),
        usage_missing_calls=int(r["usage_missing_calls"]),
        errors=int(r["error_count"]),
        models=names(r["models"]),
        service_name=r["service_name"],
        cost_usd=usd(column(r, "cost_nusd"), column(r, "priced_calls")),
        unpriced_calls=int(column(r, "unpriced_calls", 0) or 0),
        cache_creation_tokens=int(column(r, "cache_creation_tokens", 0) or 0),
        cache_hit_ratio=hit_ratio(r["cache_read_tokens"], r["input_tokens"]),
        cache_saved_usd=usd(column(r, "cache_saved_nusd"), column(r, "priced_calls")),
    )


def trace_summary(r: Row, gap_s: float | None = None, bust_tokens: int | None = None) -> TraceSummary:
    """From a mapping with the ``traces`` table's column names (times in ns)."""
    return TraceSummary(
        trace_id=r["trace_id"],
        session_id=r["session_id"],
        user_id=r["user_id"],
        name=r["name"],
        start=_time.ns_to_datetime(r["start_ns"]),
        end=_time.ns_to_datetime(r["end_ns"]),
        duration_s=(r["end_ns"] - r["start_ns"]) / 1e9,
        spans=int(r["span_count"]),
        llm_calls=int(r["llm_calls"]),
        input_tokens=int(r["input_tokens"]),
        output_tokens=int(r["output_tokens"]),
        total_tokens=int(r["total_tokens"]),
        usage_missing_calls=int(r["usage_missing_calls"]),
        errors=int(r["error_count"]),
        models=names(r["models"]),
        ttft_s=r["ttft_s"],
        gap_s=gap_s,
        cost_usd=usd(column(r, "cost_nusd"), column(r, "priced_calls")),
        unpriced_calls=int(column(r, "unpriced_calls", 0) or 0),
        cache_read_tokens=int(_optional(r, "cache_read_tokens") or 0),
        cache_bust=bust_tokens is not None,
        cache_bust_tokens=bust_tokens,
        reasoning_tokens=int(_optional(r, "reasoning_tokens") or 0),
        service_name=_optional(r, "service_name"),
        tool_names=names(_optional(r, "tool_names")),
    )


def _optional(r: Row, key: str) -> Any:
    """``r[key]``, None when the row has no such column (stores select the extra trace columns
    only where they list traces)."""
    try:
        return r[key]
    except (KeyError, IndexError):
        return None


def session_traces(rows: Iterable[Row]) -> tuple[TraceSummary, ...]:
    """Trace summaries in start order with think time: the gap since the previous trace's end.

    The gap is negative when a trace starts before the previous one finished (concurrent requests).
    """
    ordered = sorted(rows, key=lambda r: (r["start_ns"], r["trace_id"]))
    busts = cache_busts(
        [(names(r["models"]), int(r["input_tokens"]), int(column(r, "cache_read_tokens", 0) or 0)) for r in ordered]
    )
    out = []
    prev_end: int | None = None
    for r, bust in zip(ordered, busts, strict=True):
        gap = None if prev_end is None else (r["start_ns"] - prev_end) / 1e9
        out.append(trace_summary(r, gap, bust))
        prev_end = r["end_ns"]
    return tuple(out)


# --- trace trees ---------------------------------------------------------------------------------------


def trace_tree(
    trace_id: str, spans: Sequence[Mapping[str, Any]], session_id: str | None = None, user_id: str | None = None
) -> TraceTree | None:
    """The span tree of one trace (``None`` without spans).

    ``spans`` are mappings with the ``spans`` table's column names, ``attributes`` already a dict.
    A span whose parent is not in the trace (not arrived, or from another service) is a root.
    Built iteratively, so a deep chain of spans cannot exhaust the recursion limit.
    """
    if not spans:
        return None
    by_id = {s["span_id"]: s for s in spans}
    children: dict[str, list[Mapping[str, Any]]] = {}
    roots: list[Mapping[str, Any]] = []
    for s in spans:
        parent = s["parent_span_id"]
        if parent is not None and parent in by_id and parent != s["span_id"]:
            children.setdefault(parent, []).append(s)
        else:
            roots.append(s)
    order = lambda s: (s["start_ns"], s["span_id"])  # noqa: E731
    for kids in children.values():
        kids.sort(key=order)
    roots.sort(key=order)
    trace_start = min(s["start_ns"] for s in spans)
    trace_end = max(s["end_ns"] for s in spans)

    # Depth-first pre-order from the roots; spans caught in a parent cycle become roots too.
    preorder: list[tuple[Mapping[str, Any], int]] = []
    seen: set[str] = set()
    pending = list(roots)
    while pending or len(seen) < len(by_id):
        if not pending:
            rest = sorted((s for s in spans if s["span_id"] not in seen), key=order)
            roots.append(rest[0])
            pending = [rest[0]]
        stack = [(pending.pop(0), 0)]
        while stack:
            s, depth = stack.pop()
            if s["span_id"] in seen:
                continue
            seen.add(s["span_id"])
            preorder.append((s, depth))
            for kid in reversed(children.get(s["span_id"], ())):
                stack.append((kid, depth + 1))

    # Children follow their parent in pre-order, so building back to front sees them first.
    built: dict[str, SpanNode] = {}
    for s, depth in reversed(preorder):
        kid_rows = [k for k in children.get(s["span_id"], ()) if k["span_id"] in built]
        kids = tuple(built[k["span_id"]] for k in kid_rows)
        self_ns = _self_time_ns(s["start_ns"], s["end_ns"], [(k["start_ns"], k["end_ns"]) for k in kid_rows])
        built[s["span_id"]] = _span_node(s, depth, trace_start, self_ns, kids)
    nodes_in_order = tuple(built[s["span_id"]] for s, _ in preorder)
    root_nodes = tuple(built[s["span_id"]] for s in roots)
    return TraceTree(
        trace_id=trace_id,
        session_id=session_id,
        user_id=user_id,
        start=_time.ns_to_datetime(trace_start),
        end=_time.ns_to_datetime(trace_end),
        duration_s=(trace_end - trace_start) / 1e9,
        roots=root_nodes,
        spans=nodes_in_order,
    )


def _self_time_ns(start: int, end: int, intervals: Sequence[tuple[int, int]]) -> int:
    """The span's duration minus the union of its children's intervals (clipped to the span)."""
    covered = 0
    cur_start = cur_end = None
    for k_start, k_end in sorted(intervals):
        lo, hi = max(k_start, start), min(k_end, end)
        if hi <= lo:
            continue
        if cur_end is None or lo > cur_end:
            if cur_end is not None and cur_start is not None:
                covered += cur_end - cur_start
            cur_start, cur_end = lo, hi
        else:
            cur_end = max(cur_end, hi)
    if cur_end is not None and cur_start is not None:
        covered += cur_end - cur_start
    return max(0, (end - start) - covered)


def _span_node(
    s: Mapping[str, Any], depth: int, trace_start: int, self_ns: int, kids: tuple[SpanNode, ...]
) -> SpanNode:
    start, end = s["start_ns"], s["end_ns"]
    return SpanNode(
        span_id=s["span_id"],
        parent_span_id=s["parent_span_id"],
        name=s["name"],
        kind=s["kind"],
        span_kind=s.get("span_kind"),
        start=_time.ns_to_datetime(start),
        start_offset_s=(start - trace_start) / 1e9,
        duration_s=(end - start) / 1e9,
        self_time_s=self_ns / 1e9,
        depth=depth,
        status=s["status"],
        error_type=s.get("error_type"),
        operation=s.get("operation"),
        provider=s.get("provider"),
        model=s.get("model"),
        input_tokens=s.get("input_tokens"),
        output_tokens=s.get("output_tokens"),
        ttft_s=s.get("ttft_s"),
        attributes=current_names(s.get("attributes")),
        children=kids,
        cost_usd=None if s.get("cost_nusd") is None else s["cost_nusd"] / NANO_USD,
        usage_counted=bool(s.get("usage_counted")),
    )


#: Attribute names llm_agent wrote before it followed the conventions' name: (old, current).
_RENAMED: Final = ((semconv.LEGACY_EMBEDDINGS_DIMENSION_COUNT, semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT),)


def current_names(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored span's attributes with the names of older llm_agent versions read as today's
    (rows already in a sink keep what they were written with)."""
    out = dict(attributes or {})
    for old, new in _RENAMED:
        if old in out:
            value = out.pop(old)
            out.setdefault(new, value)
    return out


# --- model analysis ------------------------------------------------------------------------------------


class CallGroup(NamedTuple):
    """Calls of one model that share a bucket, outcome, error type, finish reasons and provider.

    A store aggregates its rows into these in SQL (one pass, ``GROUP BY``), handing over the raw
    durations and TTFTs so percentiles stay exact.  Token sums add known values only.
    """

    bucket: int  # index from the first bucket (window start aligned down to the bucket size)
    failed: bool
    error_type: str | None
    finish_reasons: str | Sequence[str] | None  # JSON array text or a sequence
    provider: str | None
    calls: int
    input_tokens: int | None
    input_known: int  # calls that reported input tokens
    output_tokens: int | None
    output_known: int
    cache_read_tokens: int | None
    reasoning_tokens: int | None
    usage_missing: int
    slow: int  # calls longer than the slow threshold
    rate_output_tokens: int | None  # output tokens of successful calls that reported them ...
    rate_duration_ns: int | None  # ... and those calls' total duration
    durations_ns: str | Sequence[int]  # comma-joined text (SQL group_concat) or a sequence
    ttfts_s: str | Sequence[float] | None
    cache_creation_tokens: int | None = None
    cost_nusd: int | None = None  # sum of the known costs
    priced: int = 0  # calls with a known cost
    cache_saved_nusd: int | None = None
    costs_nusd: str | Sequence[int] | None = None  # each priced call's cost, for percentiles


def ints(value: str | Sequence[int] | None) -> list[int]:
    if not value:
        return []
    return list(map(int, value.split(","))) if isinstance(value, str) else list(value)


def floats(value: str | Sequence[float] | None) -> list[float]:
    if not value:
        return []
    return list(map(float, value.split(","))) if isinstance(value, str) else list(value)


def model_analysis(
    name: str, window: _time.Window, bucket_s: int, slow_threshold_s: float, groups: Sequence[CallGroup]
) -> ModelAnalysis:
    """Totals, exact percentiles and the time series of one model's calls in the window."""
    starts = _time.bucket_starts(window, bucket_s)
    per_bucket: list[dict[str, Any]] = [
        {"requests": 0, "errors": 0, "in": 0, "out": 0, "durations": [], "ttfts": [], "cost": 0, "priced": 0}
        for _ in starts
    ]
    costs: list[float] = []
    write = cost = priced = saved = 0
    durations: list[float] = []
    ttfts: list[float] = []
    error_types: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    providers: set[str] = set()
    requests = errors = slow = missing = in_known = out_known = 0
    tin = tout = cache = reasoning = rate_tokens = rate_ns = 0
    for g in groups:
        d = [ns / 1e9 for ns in ints(g.durations_ns)]
        t = floats(g.ttfts_s)
        durations.extend(d)
        ttfts.extend(t)
        requests += g.calls
        slow += g.slow
        missing += g.usage_missing
        tin += g.input_tokens or 0
        tout += g.output_tokens or 0
        in_known += g.input_known
        out_known += g.output_known
        cache += g.cache_read_tokens or 0
        reasoning += g.reasoning_tokens or 0
        rate_tokens += g.rate_output_tokens or 0
        rate_ns += g.rate_duration_ns or 0
        write += g.cache_creation_tokens or 0
        cost += g.cost_nusd or 0
        priced += g.priced or 0
        saved += g.cache_saved_nusd or 0
        costs.extend(n / NANO_USD for n in ints(g.costs_nusd))
        if g.provider:
            providers.add(g.provider)
        if g.failed:
            errors += g.calls
            error_types[g.error_type or UNKNOWN_ERROR_TYPE] += g.calls
        for reason in _reason_list(g.finish_reasons):
            reasons[reason] += g.calls
        if 0 <= g.bucket < len(per_bucket):
            b = per_bucket[g.bucket]
            b["requests"] += g.calls
            b["errors"] += g.calls if g.failed else 0
            b["in"] += g.input_tokens or 0
            b["out"] += g.output_tokens or 0
            b["durations"].extend(d)
            b["ttfts"].extend(t)
            b["cost"] += g.cost_nusd or 0
            b["priced"] += g.priced or 0
    durations.sort()
    costs.sort()
    ttfts.sort()
    return ModelAnalysis(
        model=name,
        since=window.since,
        until=window.until,
        providers=tuple(sorted(providers)),
        requests=requests,
        errors=errors,
        error_rate=errors / requests if requests else 0.0,
        error_types=dict(sorted(error_types.items())),
        slow_calls=slow,
        slow_threshold_s=slow_threshold_s,
        latency=_stats.summarize(durations, presorted=True),
        ttft=_stats.summarize(ttfts, presorted=True),
        # Output speed: generated tokens over the time spent, for successful calls that reported them.
        output_tokens_per_s=rate_tokens / (rate_ns / 1e9) if rate_ns > 0 else None,
        input_tokens=tin,
        output_tokens=tout,
        cache_read_tokens=cache,
        reasoning_tokens=reasoning,
        avg_input_tokens=tin / in_known if in_known else None,
        avg_output_tokens=tout / out_known if out_known else None,
        usage_missing_calls=missing,
        finish_reasons=dict(sorted(reasons.items())),
        bucket_s=bucket_s,
        series=tuple(_bucket(start, b) for start, b in zip(starts, per_bucket, strict=True)),
        cost_usd=usd(cost, priced),
        unpriced_calls=requests - priced,
        cost_per_call=_stats.summarize(costs, presorted=True) if costs else None,
        cache_creation_tokens=write,
        cache_hit_ratio=hit_ratio(cache, tin),
        cache_saved_usd=usd(saved, priced),
    )


def _reason_list(value: str | Sequence[str] | None) -> list[str]:
    if not value:
        return []
    items = json.loads(value) if isinstance(value, str) else value
    return [str(r) for r in items or ()]


def _bucket(start: int, b: dict[str, Any]) -> ModelBucket:
    durations = sorted(b["durations"])
    ttfts = sorted(b["ttfts"])
    return ModelBucket(
        start=_time.ns_to_datetime(start),
        requests=b["requests"],
        errors=b["errors"],
        input_tokens=b["in"],
        output_tokens=b["out"],
        latency_p50_s=_stats.percentile(durations, 50),
        latency_p90_s=_stats.percentile(durations, 90),
        latency_p99_s=_stats.percentile(durations, 99),
        ttft_p50_s=_stats.percentile(ttfts, 50),
        ttft_p90_s=_stats.percentile(ttfts, 90),
        cost_usd=usd(b["cost"], b["priced"]),
    )


def model_summary(r: Row, durations_s: Sequence[float], ttfts_s: Sequence[float]) -> ModelSummary:
    """One row of ``models()`` from per-model sums and the sorted call durations / TTFTs.

    ``r`` keys: ``model``, ``providers`` (names), ``requests``, ``errors``, ``input_tokens`` /
    ``output_tokens`` (sums of known values), ``input_known`` / ``output_known`` (how many calls
    reported them), ``first_ns``, ``last_ns``.
    """
    requests = int(r["requests"])
    errors = int(r["errors"])
    tin, tout = int(r["input_tokens"] or 0), int(r["output_tokens"] or 0)
    priced = int(column(r, "priced_calls", 0) or 0)
    return ModelSummary(
        model=r["model"],
        providers=names(r["providers"]),
        requests=requests,
        errors=errors,
        error_rate=errors / requests if requests else 0.0,
        input_tokens=tin,
        output_tokens=tout,
        total_tokens=tin + tout,
        avg_input_tokens=tin / r["input_known"] if r["input_known"] else None,
        avg_output_tokens=tout / r["output_known"] if r["output_known"] else None,
        latency_p50_s=_stats.percentile(durations_s, 50),
        latency_p99_s=_stats.percentile(durations_s, 99),
        ttft_p50_s=_stats.percentile(ttfts_s, 50),
        first_seen=_time.ns_to_datetime(r["first_ns"]) if r["first_ns"] is not None else None,
        last_seen=_time.ns_to_datetime(r["last_ns"]) if r["last_ns"] is not None else None,
        cost_usd=usd(column(r, "cost_nusd"), priced),
        unpriced_calls=requests - priced,
        cost_per_1k_calls_usd=None if not priced else float(column(r, "cost_nusd")) / NANO_USD / priced * 1000,
        cache_read_tokens=int(column(r, "cache_read_tokens", 0) or 0),
        cache_hit_ratio=hit_ratio(column(r, "cache_read_tokens", 0), tin),
    )


def user_summary(r: Row, latencies_s: Sequence[float]) -> UserSummary:
    """From a mapping of per-user sums (``first_ns``, ``last_ns``, ``sessions``, ``traces`` ...)."""
    return UserSummary(
        user_id=r["user_id"],
        first_seen=_time.ns_to_datetime(r["first_ns"]),
        last_seen=_time.ns_to_datetime(r["last_ns"]),
        sessions=int(r["sessions"]),
        traces=int(r["traces"]),
        llm_calls=int(r["llm_calls"]),
        input_tokens=int(r["input_tokens"]),
        output_tokens=int(r["output_tokens"]),
        total_tokens=int(r["total_tokens"]),
        errors=int(r["errors"]),
        latency_p95_s=_stats.percentile(sorted(latencies_s), 95),
        cost_usd=usd(column(r, "cost_nusd"), column(r, "priced_calls")),
        unpriced_calls=int(column(r, "unpriced_calls", 0) or 0),
    )
