"""An independent recomputation of the sink's rollups from its ``spans`` rows (the reference the
ingest-time rollups must equal), written straight from the definitions in docs/backends.md and,
for which spans' usage counts, docs/data-model.md."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

USAGE = {"LLM", "EMBEDDING"}
MAX_DEPTH = 64


def counted_span_ids(rows: list[Any]) -> set[str]:
    """The usage spans that count, straight from the rule in docs/data-model.md ("Usage counts once
    per model call"), written apart from the sink's implementation: pairwise, by recursion."""
    by_id = {r["span_id"]: r for r in rows}

    def ancestors(row: Any, depth: int = 0) -> list[str]:
        parent = row["parent_span_id"]
        if parent is None or depth == MAX_DEPTH:
            return []
        above = by_id.get(parent)
        return [parent] + (ancestors(above, depth + 1) if above is not None else [])

    usage = [r for r in rows if r["span_kind"] in USAGE]
    anc = {r["span_id"]: set(ancestors(r)) for r in usage}

    def known(r: Any) -> bool:
        return r["input_tokens"] is not None or r["output_tokens"] is not None

    def covers(o: Any, i: Any) -> bool:
        if o is i or i["span_id"] in anc[o["span_id"]]:  # i above o (or a cyclic chain)
            return False
        if o["span_id"] in anc[i["span_id"]]:  # i below o in the tree
            return True
        if o["kind"] == "CLIENT" or i["span_id"] in anc[o["span_id"]] or not anc[o["span_id"]] & anc[i["span_id"]]:
            return False
        inside = o["start_ns"] <= i["start_ns"] and i["end_ns"] <= o["end_ns"]
        if (o["start_ns"], o["end_ns"]) == (i["start_ns"], i["end_ns"]):
            return inside and o["span_id"] < i["span_id"]
        return inside

    counted_known = [o for o in usage if known(o) and not any(known(i) and covers(o, i) for i in usage)]
    out = {r["span_id"] for r in counted_known}
    for u in usage:
        if not known(u) and not any(covers(u, i) for i in usage) and not any(covers(o, u) for o in counted_known):
            out.add(u["span_id"])
    return out


def expected_traces(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    conn.row_factory = sqlite3.Row
    by_trace: dict[str, list[sqlite3.Row]] = defaultdict(list)
    for row in conn.execute("SELECT * FROM spans"):
        by_trace[row["trace_id"]].append(row)
    out = {}
    for trace_id, rows in by_trace.items():
        rows.sort(key=lambda r: (r["start_ns"], r["span_id"]))
        counted = counted_span_ids(rows)
        assert {r["span_id"] for r in rows if r["usage_counted"]} == counted
        usage = [r for r in rows if r["span_id"] in counted]
        root = min(rows, key=lambda r: (r["parent_span_id"] is not None, r["start_ns"], r["span_id"]))
        tin = sum(r["input_tokens"] or 0 for r in usage)
        tout = sum(r["output_tokens"] or 0 for r in usage)
        start, end = min(r["start_ns"] for r in rows), max(r["end_ns"] for r in rows)
        out[trace_id] = {
            "trace_id": trace_id,
            "session_id": next((r["session_id"] for r in rows if r["session_id"] is not None), None),
            "user_id": next((r["user_id"] for r in rows if r["user_id"] is not None), None),
            "service_name": root["service_name"],
            "name": root["name"],
            "start_ns": start,
            "end_ns": end,
            "duration_ns": end - start,
            "span_count": len(rows),
            "llm_calls": len(usage),
            "error_count": sum(r["status"] == "ERROR" for r in rows),
            "input_tokens": tin,
            "output_tokens": tout,
            "total_tokens": tin + tout,
            "cache_read_tokens": sum(r["cache_read_tokens"] or 0 for r in usage),
            "reasoning_tokens": sum(r["reasoning_tokens"] or 0 for r in usage),
            "usage_missing_calls": sum(bool(r["usage_missing"]) for r in usage),
            # Cost over exactly the spans the tokens are summed over; unknown costs counted apart.
            "cache_creation_tokens": sum(r["cache_creation_tokens"] or 0 for r in usage),
            "priced_calls": sum(r["cost_nusd"] is not None for r in usage),
            "unpriced_calls": sum(r["cost_nusd"] is None for r in usage),
            "cost_nusd": sum(r["cost_nusd"] or 0 for r in usage),
            "cache_saved_nusd": sum(r["cache_saved_nusd"] or 0 for r in usage),
            "ttft_s": next((r["ttft_s"] for r in usage if r["ttft_s"] is not None), None),
            "models": ",".join(sorted({r["model"] for r in rows if r["model"] is not None})),
        }
    conn.row_factory = None
    return out


def expected_sessions(traces: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    by_session: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in traces.values():
        if t["session_id"] is not None:
            by_session[t["session_id"]].append(t)
    out = {}
    sums = ("span_count", "llm_calls", "error_count", "input_tokens", "output_tokens", "total_tokens",
            "cache_read_tokens", "reasoning_tokens", "usage_missing_calls", "cache_creation_tokens", "priced_calls",
            "unpriced_calls", "cost_nusd", "cache_saved_nusd")  # fmt: skip
    for session, ts in by_session.items():
        ts.sort(key=lambda t: t["start_ns"])
        start, end = ts[0]["start_ns"], max(t["end_ns"] for t in ts)
        row = {
            "session_id": session,
            "user_id": next((t["user_id"] for t in ts if t["user_id"] is not None), None),
            "users": ",".join(sorted({t["user_id"] for t in ts if t["user_id"] is not None})),
            "service_name": next((t["service_name"] for t in ts if t["service_name"] is not None), None),
            "start_ns": start,
            "end_ns": end,
            "duration_ns": end - start,
            "trace_count": len(ts),
            "models": ",".join(sorted({m for t in ts for m in t["models"].split(",") if m})),
        }
        row.update({k: sum(t[k] for t in ts) for k in sums})
        out[session] = row
    return out


def actual(conn: sqlite3.Connection, table: str, key: str) -> dict[str, dict[str, Any]]:
    conn.row_factory = sqlite3.Row
    try:
        return {r[key]: dict(r) for r in conn.execute(f"SELECT * FROM {table}")}
    finally:
        conn.row_factory = None


def assert_rollups_match(path: str) -> None:
    conn = sqlite3.connect(path)
    try:
        traces = expected_traces(conn)
        assert actual(conn, "traces", "trace_id") == traces
        assert actual(conn, "sessions", "session_id") == expected_sessions(traces)
    finally:
        conn.close()
