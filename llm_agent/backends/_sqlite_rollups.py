"""Maintaining the ``traces`` and ``sessions`` rollups at ingest, correct in any arrival order.

Definitions (the analysis reads these; the tests recompute them from ``spans``):

* trace: start = min span start, end = max span end; ``session_id`` / ``user_id`` from the earliest
  span (by start, then span id) that has one; ``name`` / ``service_name`` from the root span (the
  earliest span without a parent; the earliest span when the root has not arrived); ``llm_calls``
  and every token sum count the spans whose usage counts (``usage_counted``: LLM and EMBEDDING
  spans, each model call once, ``_usage_rule``; known values only); ``ttft_s`` of the earliest such
  span that has one; ``models`` the sorted distinct span models.
* session: the traces whose ``session_id`` it is; sums and counts add up their traces; ``user_id``
  / ``service_name`` of the earliest trace having one; ``users`` / ``models`` sorted distinct.

How: a batch's spans are inserted first. The ``usage_counted`` flags of a trace with two usage spans
or more are then recomputed by the rule from all its spans (the batch's alone for a new trace), and
the changed ones written back, before its rollup row is computed from them. A trace seen for the
first time (no ``traces`` row, so no stored spans) is computed from the batch in Python; a trace
that already has a row is recomputed from all its stored spans in SQL. Sessions are updated by the
difference between each trace's old and new row, so a session with a million traces costs the same
per batch as a new one; the rare case where that cannot work (a late span moves a trace to another
session or user) recomputes the session from its traces. Everything runs inside the batch's ``BEGIN
IMMEDIATE`` transaction, so concurrent writer processes serialise on it and always see each other's
committed spans.

Why single-row JSON results and multi-row INSERTs: Python's sqlite3 releases the GIL around every
``sqlite3_step``, and getting it back can take a whole switch interval (5 ms) while the app's
thread is busy, so a statement per row (``executemany``, iterating a cursor) would let a
CPU-bound app starve the sink.  Each batch therefore runs a handful of statements, each stepped
once: rows go in as one multi-row ``INSERT`` per chunk, and lookups come back as one
``json_group_array`` row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from itertools import chain
from typing import Any, Final

from llm_agent import semconv
from llm_agent.backends._usage_rule import UsageSpan, uncounted
from llm_agent.instrumentation._values import INT64_MAX

TRACE_COLUMNS: Final = (
    "trace_id", "session_id", "user_id", "service_name", "name", "start_ns", "end_ns", "duration_ns",
    "span_count", "llm_calls", "error_count", "input_tokens", "output_tokens", "total_tokens",
    "cache_read_tokens", "reasoning_tokens", "usage_missing_calls", "cache_creation_tokens", "priced_calls",
    "unpriced_calls", "cost_nusd", "cache_saved_nusd", "ttft_s", "models",
)  # fmt: skip
SESSION_COLUMNS: Final = (
    "session_id", "user_id", "users", "service_name", "start_ns", "end_ns", "duration_ns", "trace_count",
    "span_count", "llm_calls", "error_count", "input_tokens", "output_tokens", "total_tokens",
    "cache_read_tokens", "reasoning_tokens", "usage_missing_calls", "cache_creation_tokens", "priced_calls",
    "unpriced_calls", "cost_nusd", "cache_saved_nusd", "models",
)  # fmt: skip
# Trace row indexes.
T_ID, T_SESSION, T_USER, T_SERVICE, T_NAME, T_START, T_END = 0, 1, 2, 3, 4, 5, 6
T_SPANS, T_LLM, T_ERRORS, T_IN, T_OUT, T_TOTAL, T_CACHE, T_REASONING, T_MISSING = range(8, 17)
T_WRITE, T_PRICED, T_UNPRICED, T_COST, T_SAVED, T_TTFT, T_MODELS = range(17, 24)
#: Trace columns that add up into the session (same names in both tables).
_ADDITIVE: Final = (
    T_SPANS, T_LLM, T_ERRORS, T_IN, T_OUT, T_TOTAL, T_CACHE, T_REASONING, T_MISSING,
    T_WRITE, T_PRICED, T_UNPRICED, T_COST, T_SAVED,
)  # fmt: skip
_ADD_FIRST, _ADD_END = T_SPANS, T_SAVED + 1
#: Index of ``models`` and ``users`` in a ``sessions`` row.
_S_MODELS: Final = SESSION_COLUMNS.index("models")
_S_USERS: Final = SESSION_COLUMNS.index("users")
assert _ADDITIVE == tuple(range(_ADD_FIRST, _ADD_END))
_USAGE_KINDS: Final = tuple(sorted(semconv.USAGE_SPAN_KINDS))
_KINDS_SQL: Final = "(" + ",".join(f"'{k}'" for k in _USAGE_KINDS) + ")"
#: Most rows per multi-row INSERT (within the bound-variable limit, 32766 since SQLite 3.32):
#: every statement costs the writer a GIL hand-over.
_MAX_ROWS_PER_INSERT: Final = 1024
_ROW_GRANULE: Final = 64

# Span row indexes (the order of sqlite.SPAN_COLUMNS).
S_TRACE, S_SPAN, S_PARENT, S_NAME, S_OTELKIND = 0, 1, 2, 3, 4
S_START, S_END, S_STATUS = 5, 6, 8
S_SERVICE, S_SESSION, S_USER, S_KIND = 11, 12, 13, 14
S_MODEL, S_IN, S_OUT, S_CACHE, S_WRITE, S_REASONING, S_TTFT, S_MISSING = 19, 20, 21, 22, 23, 24, 25, 27
S_COUNTED = 30
# The sink's own columns after the converter's (``_sqlite_rows.COST_COLUMNS``, right after
# ``usage_counted``, the last of ``SPAN_COLUMNS``: len(SPAN_COLUMNS), checked by tests/export, not
# imported, which would load the export pipeline on the analysis side): the call's cost in nano-USD
# (integers, so rollup sums are exact and the same in any arrival order) and what caching saved.
S_COST, S_SAVED = S_COUNTED + 1, S_COUNTED + 2

_INT64_MAX: Final = INT64_MAX
#: Bits of a count summed apart from the rest (``_sat_sum``): counts are below 2**40
#: (``MAX_TOKEN_COUNT``), so neither partial SUM can overflow before 2**43 rows.
_LOW_BITS: Final = 20
_LOW_MASK: Final = (1 << _LOW_BITS) - 1
#: ``high`` sums at or past this are a total of at least 2**63: saturated.
_HIGH_LIMIT: Final = 1 << (63 - _LOW_BITS)


def _sat_sum(expr: str) -> str:
    """SQL for ``COALESCE(SUM(expr), 0)``, exact below 2**63 and saturated at it, never an error.

    SQLite's ``SUM`` raises "integer overflow" past int64 (which fails the whole batch), and
    ``TOTAL`` is a float (inexact past 2**53); so the high and low bits are summed apart, neither
    of which can overflow, and recombined only when the result fits."""
    high = f"COALESCE(SUM(({expr}) >> {_LOW_BITS}), 0)"
    low = f"COALESCE(SUM(({expr}) & {_LOW_MASK}), 0)"
    carried = f"({high} + ({low} >> {_LOW_BITS}))"
    return (
        f"(CASE WHEN {carried} >= {_HIGH_LIMIT} THEN {_INT64_MAX} "
        f"ELSE {carried} * {1 << _LOW_BITS} + ({low} & {_LOW_MASK}) END)"
    )


def _sat_add(a: str, b: str) -> str:
    """SQL for ``a + b`` saturated at int64 (SQLite turns an overflowing sum into a float)."""
    return f"MIN({a} + {b}, {_INT64_MAX})"


def _sat(value: int) -> int:
    return value if value <= INT64_MAX else INT64_MAX


_IN_SUM: Final = _sat_sum("CASE WHEN s.usage_counted THEN s.input_tokens END")
_OUT_SUM: Final = _sat_sum("CASE WHEN s.usage_counted THEN s.output_tokens END")
_CACHE_SUM: Final = _sat_sum("CASE WHEN s.usage_counted THEN s.cache_read_tokens END")
_REASONING_SUM: Final = _sat_sum("CASE WHEN s.usage_counted THEN s.reasoning_tokens END")
_WRITE_SUM: Final = _sat_sum("CASE WHEN s.usage_counted THEN s.cache_creation_tokens END")
# Costs are summed over exactly the spans whose tokens are (the same predicate); a saving may be
# negative (cache writes cost more than input), so it is a plain SUM, bounded by the per-call clamp.
_COST_SUM: Final = _sat_sum("CASE WHEN s.usage_counted THEN s.cost_nusd END")
_SAVED_SUM: Final = "COALESCE(SUM(CASE WHEN s.usage_counted THEN s.cache_saved_nusd END), 0)"
_SINGLE_TOTAL: Final = _sat_add("COALESCE(input_tokens, 0)", "COALESCE(output_tokens, 0)")
_RECOMPUTE_TRACES_SQL: Final = f"""
INSERT OR REPLACE INTO traces ({", ".join(TRACE_COLUMNS)})
SELECT s.trace_id,
  (SELECT x.session_id FROM spans x WHERE x.trace_id = s.trace_id AND x.session_id IS NOT NULL
     ORDER BY x.start_ns, x.span_id LIMIT 1),
  (SELECT x.user_id FROM spans x WHERE x.trace_id = s.trace_id AND x.user_id IS NOT NULL
     ORDER BY x.start_ns, x.span_id LIMIT 1),
  (SELECT x.service_name FROM spans x WHERE x.trace_id = s.trace_id
     ORDER BY x.parent_span_id IS NOT NULL, x.start_ns, x.span_id LIMIT 1),
  (SELECT x.name FROM spans x WHERE x.trace_id = s.trace_id
     ORDER BY x.parent_span_id IS NOT NULL, x.start_ns, x.span_id LIMIT 1),
  MIN(s.start_ns), MAX(s.end_ns), MAX(s.end_ns) - MIN(s.start_ns), COUNT(*),
  SUM(s.usage_counted),
  SUM(CASE WHEN s.status = 'ERROR' THEN 1 ELSE 0 END),
  {_IN_SUM},
  {_OUT_SUM},
  {_sat_add(_IN_SUM, _OUT_SUM)},
  {_CACHE_SUM},
  {_REASONING_SUM},
  SUM(CASE WHEN s.usage_counted AND s.usage_missing THEN 1 ELSE 0 END),
  {_WRITE_SUM},
  SUM(CASE WHEN s.usage_counted AND s.cost_nusd IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN s.usage_counted AND s.cost_nusd IS NULL THEN 1 ELSE 0 END),
  {_COST_SUM},
  {_SAVED_SUM},
  (SELECT x.ttft_s FROM spans x WHERE x.trace_id = s.trace_id AND x.usage_counted
     AND x.ttft_s IS NOT NULL ORDER BY x.start_ns, x.span_id LIMIT 1),
  COALESCE((SELECT group_concat(m, ',') FROM (SELECT DISTINCT x.model AS m FROM spans x
     WHERE x.trace_id = s.trace_id AND x.model IS NOT NULL ORDER BY m)), '')
FROM spans s WHERE s.trace_id IN (SELECT value FROM json_each(?)) GROUP BY s.trace_id
"""
# A fresh one-span trace from its span row: exactly ``trace_from_rows`` for one row.
_COPY_SINGLE_SPAN_TRACES_SQL: Final = f"""
INSERT OR REPLACE INTO traces ({", ".join(TRACE_COLUMNS)})
SELECT trace_id, session_id, user_id, service_name, name, start_ns, end_ns, end_ns - start_ns, 1,
  usage_counted,
  CASE WHEN status = 'ERROR' THEN 1 ELSE 0 END,
  CASE WHEN usage_counted THEN COALESCE(input_tokens, 0) ELSE 0 END,
  CASE WHEN usage_counted THEN COALESCE(output_tokens, 0) ELSE 0 END,
  CASE WHEN usage_counted THEN {_SINGLE_TOTAL} ELSE 0 END,
  CASE WHEN usage_counted THEN COALESCE(cache_read_tokens, 0) ELSE 0 END,
  CASE WHEN usage_counted THEN COALESCE(reasoning_tokens, 0) ELSE 0 END,
  CASE WHEN usage_counted AND usage_missing THEN 1 ELSE 0 END,
  CASE WHEN usage_counted THEN COALESCE(cache_creation_tokens, 0) ELSE 0 END,
  CASE WHEN usage_counted AND cost_nusd IS NOT NULL THEN 1 ELSE 0 END,
  CASE WHEN usage_counted AND cost_nusd IS NULL THEN 1 ELSE 0 END,
  CASE WHEN usage_counted THEN COALESCE(cost_nusd, 0) ELSE 0 END,
  CASE WHEN usage_counted THEN COALESCE(cache_saved_nusd, 0) ELSE 0 END,
  CASE WHEN usage_counted THEN ttft_s END,
  COALESCE(model, '')
FROM spans WHERE trace_id IN (SELECT value FROM json_each(?))
"""
_INSERT_TRACE_HEAD: Final = f"INSERT OR REPLACE INTO traces ({', '.join(TRACE_COLUMNS)}) VALUES "
_INSERT_SESSION_HEAD: Final = f"INSERT OR REPLACE INTO sessions ({', '.join(SESSION_COLUMNS)}) VALUES "
_INSERT_SESSION_SQL: Final = _INSERT_SESSION_HEAD + "(" + ", ".join("?" * len(SESSION_COLUMNS)) + ")"
_FETCH_TRACES_SQL: Final = (
    f"SELECT json_group_array(json_array({', '.join(TRACE_COLUMNS)})) FROM traces "
    "WHERE trace_id IN (SELECT value FROM json_each(?))"
)
# Per session: the first user and service (from its traces) and the current row, in one step.
_FETCH_SESSIONS_SQL: Final = f"""
SELECT json_group_array(json_array(j.value,
  (SELECT user_id FROM traces WHERE session_id = j.value AND user_id IS NOT NULL ORDER BY start_ns LIMIT 1),
  (SELECT service_name FROM traces WHERE session_id = j.value AND service_name IS NOT NULL
     ORDER BY start_ns LIMIT 1),
  (SELECT json_array({", ".join(SESSION_COLUMNS)}) FROM sessions WHERE session_id = j.value)))
FROM json_each(?) j
"""
_FIRST_USER_SERVICE_SQL: Final = """
SELECT (SELECT user_id FROM traces WHERE session_id = ?1 AND user_id IS NOT NULL ORDER BY start_ns LIMIT 1),
       (SELECT service_name FROM traces WHERE session_id = ?1 AND service_name IS NOT NULL
          ORDER BY start_ns LIMIT 1)
"""


# The rule's view of every span of the given traces that have two usage spans or more.
_FETCH_RULE_SPANS_SQL: Final = f"""
SELECT json_group_array(json_array(trace_id, span_id, parent_span_id, start_ns, end_ns, kind = 'CLIENT',
  span_kind IN {_KINDS_SQL}, input_tokens IS NOT NULL OR output_tokens IS NOT NULL, usage_counted))
FROM spans WHERE trace_id IN (SELECT trace_id FROM spans WHERE trace_id IN (SELECT value FROM json_each(?))
  AND span_kind IN {_KINDS_SQL} GROUP BY trace_id HAVING COUNT(*) >= 2)
"""
_SET_COUNTED_SQL: Final = """
UPDATE spans SET usage_counted = ?1 WHERE (trace_id, span_id) IN
  (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?2))
"""


_insert_sql_cache: dict[tuple[str, int, int], str] = {}
_chain = chain.from_iterable


def insert_rows(conn: sqlite3.Connection, head: str, rows: Sequence[Sequence[Any]], ncols: int) -> None:
    """``head`` + one multi-row VALUES list per chunk: one step per chunk instead of one per row.

    Chunk sizes are powers of two from ``_ROW_GRANULE`` up to ``_MAX_ROWS_PER_INSERT`` (largest
    first), the last chunk padded to ``_ROW_GRANULE`` rows by repeating its final row (harmless for
    ``INSERT OR IGNORE`` / ``OR REPLACE`` of identical rows).  So a table has at most five distinct
    statements, all kept in the connection's statement cache: preparing one hands the GIL over
    like a step, and a prepared statement of a thousand rows holds about 1.5 MB, so one per
    multiple of 64 rows (the earlier scheme) grew the process by ~50 MB as batch sizes varied.
    """
    cap = min(_MAX_ROWS_PER_INSERT, _max_variables(conn) // ncols)
    if cap < _ROW_GRANULE:  # an SQLite built with a tiny variable limit: plain small chunks
        sizes = [max(1, cap)]
    else:
        sizes = []
        size = _ROW_GRANULE
        while size * 2 <= cap:
            size *= 2
        while size >= _ROW_GRANULE:
            sizes.append(size)
            size //= 2
    i = 0
    n = len(rows)
    while i < n:
        remaining = n - i
        size = next((s for s in sizes if s <= remaining), sizes[-1])
        chunk = list(rows[i : i + size])
        i += size
        if size > len(chunk):
            chunk.extend([chunk[-1]] * (size - len(chunk)))
        key = (head, ncols, size)
        sql = _insert_sql_cache.get(key)
        if sql is None:
            one = "(" + ",".join("?" * ncols) + ")"
            sql = _insert_sql_cache[key] = head + ",".join([one] * size)
        conn.execute(sql, list(_chain(chunk)))


def _max_variables(conn: sqlite3.Connection) -> int:
    try:
        return int(conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))  # type: ignore[attr-defined]
    except AttributeError:  # Python < 3.11: the compile-time default of SQLite >= 3.32
        return 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999


def _fetch_traces(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    (text,) = conn.execute(_FETCH_TRACES_SQL, (json.dumps(list(ids)),)).fetchone()
    return {row[0]: tuple(row) for row in json.loads(text)}


def _merge_names(*lists: str) -> str:
    names = {n for text in lists if text for n in text.split(",")}
    return ",".join(sorted(names))


def trace_from_rows(trace_id: str, rows: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """A trace row from all of its span rows (already de-duplicated by span id)."""
    if len(rows) == 1:  # the common case: an LLM call outside any llm_agent.trace()
        r = rows[0]
        usage = r[S_COUNTED]
        tin, tout = (r[S_IN] or 0, r[S_OUT] or 0) if usage else (0, 0)
        cost = r[S_COST]
        return (
            trace_id, r[S_SESSION], r[S_USER], r[S_SERVICE], r[S_NAME], r[S_START], r[S_END], r[S_END] - r[S_START],
            1, 1 if usage else 0, 1 if r[S_STATUS] == "ERROR" else 0, tin, tout, tin + tout,
            (r[S_CACHE] or 0) if usage else 0, (r[S_REASONING] or 0) if usage else 0,
            1 if usage and r[S_MISSING] else 0, (r[S_WRITE] or 0) if usage else 0,
            1 if usage and cost is not None else 0, 1 if usage and cost is None else 0,
            (cost or 0) if usage else 0, (r[S_SAVED] or 0) if usage else 0,
            r[S_TTFT] if usage else None, r[S_MODEL] or "",
        )  # fmt: skip
    rows.sort(key=lambda r: (r[S_START], r[S_SPAN]))
    session = user = ttft = None
    start = rows[0][S_START]
    end = max(r[S_END] for r in rows)
    llm = errors = tin = tout = cache = reasoning = missing = write = priced = unpriced = cost = saved = 0
    models: set[str] = set()
    root = min(rows, key=lambda r: (r[S_PARENT] is not None, r[S_START], r[S_SPAN]))
    for r in rows:
        if session is None:
            session = r[S_SESSION]
        if user is None:
            user = r[S_USER]
        if r[S_STATUS] == "ERROR":
            errors += 1
        if r[S_MODEL] is not None:
            models.add(r[S_MODEL])
        if r[S_COUNTED]:
            llm += 1
            tin += r[S_IN] or 0
            tout += r[S_OUT] or 0
            cache += r[S_CACHE] or 0
            reasoning += r[S_REASONING] or 0
            if r[S_MISSING]:
                missing += 1
            write += r[S_WRITE] or 0
            if r[S_COST] is None:
                unpriced += 1
            else:
                priced += 1
                cost += r[S_COST]
            saved += r[S_SAVED] or 0
            if ttft is None:
                ttft = r[S_TTFT]
    # Counts are bounded at ingest, so only a trace of millions of huge calls reaches the limit.
    return (
        trace_id, session, user, root[S_SERVICE], root[S_NAME], start, end, end - start, len(rows), llm, errors,
        _sat(tin), _sat(tout), _sat(tin + tout), _sat(cache), _sat(reasoning), missing, _sat(write), priced, unpriced,
        _sat(cost), saved, ttft, ",".join(sorted(models)),
    )  # fmt: skip


def update_rollups(conn: sqlite3.Connection, span_rows: Sequence[tuple[Any, ...]]) -> None:
    """Bring ``traces`` and ``sessions`` up to date after ``span_rows`` were inserted (same transaction)."""
    # Most traces have one span in a batch (LLM calls outside llm_agent.trace()): group cheaply,
    # with a dict per trace only for traces that have several.
    first: dict[str, tuple[Any, ...]] = {}
    several: dict[str, dict[str, tuple[Any, ...]]] = {}
    setdefault = first.setdefault
    for r in span_rows:
        prev = setdefault(r[S_TRACE], r)
        if prev is not r:
            spans = several.get(r[S_TRACE])
            if spans is None:
                spans = several[r[S_TRACE]] = {prev[S_SPAN]: prev}
            spans.setdefault(r[S_SPAN], r)  # INSERT OR IGNORE kept the first copy
    trace_ids = list(first)
    old = _fetch_traces(conn, trace_ids)
    new: dict[str, tuple[Any, ...]] = {}
    # The usage rule: (spans whose flag goes to 0, to 1), as [trace_id, span_id] pairs.  A new
    # trace of one usage span (the fast path) has nothing to decide.
    changes: tuple[list[tuple[str, str]], list[tuple[str, str]]] = ([], [])
    for t, spans in several.items():
        if t not in old and sum(1 for r in spans.values() if r[S_COUNTED]) >= 2:
            for span_id in uncounted(_rule_span(r) for r in spans.values()):
                r = spans[span_id]
                spans[span_id] = (*r[:S_COUNTED], 0, *r[S_COUNTED + 1 :])
                changes[0].append((t, span_id))
    existing = [t for t in trace_ids if t in old]
    if existing:
        _recount(conn, existing, changes)
    for value, pairs in enumerate(changes):
        if pairs:
            conn.execute(_SET_COUNTED_SQL, (value, json.dumps(pairs)))
    fresh = [
        trace_from_rows(t, list(several[t].values()) if t in several else [first[t]]) for t in trace_ids if t not in old
    ]
    if fresh:
        # A new trace of one span: its row is copied from that span's row by SQLite (one bound
        # parameter for all of them, the work done without the GIL) rather than bound column by
        # column (19 parameters per trace, all bound holding the GIL).  The Python rows above are
        # identical (tests/backends compare both with a recomputation) and feed the session deltas.
        single = [row[T_ID] for row in fresh if row[T_SPANS] == 1]
        if single:
            conn.execute(_COPY_SINGLE_SPAN_TRACES_SQL, (json.dumps(single),))
        if len(single) < len(fresh):
            insert_rows(conn, _INSERT_TRACE_HEAD, [row for row in fresh if row[T_SPANS] != 1], len(TRACE_COLUMNS))
        new.update((row[T_ID], row) for row in fresh)
    if existing:
        conn.execute(_RECOMPUTE_TRACES_SQL, (json.dumps(existing),))
        new.update(_fetch_traces(conn, existing))
    _update_sessions(conn, old, new)


def _rule_span(r: tuple[Any, ...]) -> UsageSpan:
    return UsageSpan(
        r[S_SPAN], r[S_PARENT], r[S_START], r[S_END], r[S_OTELKIND] == "CLIENT", r[S_KIND] in _USAGE_KINDS,
        r[S_IN] is not None or r[S_OUT] is not None,
    )  # fmt: skip


def _recount(
    conn: sqlite3.Connection, trace_ids: Sequence[str], changes: tuple[list[tuple[str, str]], list[tuple[str, str]]]
) -> None:
    """Add to ``changes`` the stored flags of these traces that the rule, over all their spans, changes."""
    (text,) = conn.execute(_FETCH_RULE_SPANS_SQL, (json.dumps(list(trace_ids)),)).fetchone()
    by_trace: dict[str, list[tuple[UsageSpan, int]]] = {}
    for t, span_id, parent, start, end, client, usage, known, counted in json.loads(text):
        span = UsageSpan(span_id, parent, start, end, bool(client), bool(usage), bool(known))
        by_trace.setdefault(t, []).append((span, counted))
    for t, spans in by_trace.items():
        gone = uncounted(span for span, _ in spans)
        for span, counted in spans:
            if span.usage:
                want = 0 if span.span_id in gone else 1
                if want != counted:
                    changes[want].append((t, span.span_id))


#: The rollup columns the usage rule changes (all of them exist from schema 3 on; the cost columns
#: come later, so the 2 -> 3 migration must not name them: it updates these in place).
_RECOUNT_TRACE_COLUMNS: Final = (
    "llm_calls", "input_tokens", "output_tokens", "total_tokens", "cache_read_tokens", "reasoning_tokens",
    "usage_missing_calls", "ttft_s",
)  # fmt: skip
_RECOUNT_SESSION_COLUMNS: Final = _RECOUNT_TRACE_COLUMNS[:-1]
_RECOUNT_TRACES_SQL: Final = f"""
UPDATE traces SET ({", ".join(_RECOUNT_TRACE_COLUMNS)}) = (SELECT
  SUM(s.usage_counted), {_IN_SUM}, {_OUT_SUM}, {_sat_add(_IN_SUM, _OUT_SUM)}, {_CACHE_SUM}, {_REASONING_SUM},
  SUM(CASE WHEN s.usage_counted AND s.usage_missing THEN 1 ELSE 0 END),
  (SELECT x.ttft_s FROM spans x WHERE x.trace_id = traces.trace_id AND x.usage_counted
     AND x.ttft_s IS NOT NULL ORDER BY x.start_ns, x.span_id LIMIT 1)
  FROM spans s WHERE s.trace_id = traces.trace_id)
WHERE trace_id IN (SELECT value FROM json_each(?))
"""


def recount_all(conn: sqlite3.Connection) -> None:
    """Apply the usage rule to every stored trace and rebuild the rollup sums it changes (the schema
    2 -> 3 migration, inside its transaction; ``usage_counted`` starts as "is a usage span").

    Only the columns of ``_RECOUNT_TRACE_COLUMNS`` are rewritten, in place: later migrations (cost,
    schema 5) add columns this step's database does not have yet, and compute them from the flags."""
    conn.execute(f"UPDATE spans SET usage_counted = span_kind IN {_KINDS_SQL}")
    traces = [
        r[0]
        for r in conn.execute(
            f"SELECT trace_id FROM spans WHERE span_kind IN {_KINDS_SQL} GROUP BY trace_id HAVING COUNT(*) >= 2"
        )
    ]
    for i in range(0, len(traces), _MAX_ROWS_PER_INSERT):
        chunk = traces[i : i + _MAX_ROWS_PER_INSERT]
        changes: tuple[list[tuple[str, str]], list[tuple[str, str]]] = ([], [])
        _recount(conn, chunk, changes)
        for value, pairs in enumerate(changes):
            if pairs:
                conn.execute(_SET_COUNTED_SQL, (value, json.dumps(pairs)))
        conn.execute(_RECOUNT_TRACES_SQL, (json.dumps(chunk),))
    sessions = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT session_id FROM traces WHERE session_id IS NOT NULL AND trace_id IN "
            "(SELECT value FROM json_each(?))",
            (json.dumps(traces),),
        )
    }
    columns = ", ".join(_RECOUNT_SESSION_COLUMNS)
    assignments = ", ".join(f"{c} = ?" for c in _RECOUNT_SESSION_COLUMNS)
    for session in sorted(sessions):
        rows = conn.execute(f"SELECT {columns} FROM traces WHERE session_id = ?", (session,)).fetchall()
        sums = [_sat(sum(col)) for col in zip(*rows, strict=True)]
        conn.execute(f"UPDATE sessions SET {assignments} WHERE session_id = ?", (*sums, session))


def _update_sessions(
    conn: sqlite3.Connection, old: dict[str, tuple[Any, ...]], new: dict[str, tuple[Any, ...]]
) -> None:
    recompute: set[str] = set()
    # session -> (new trace rows, (old, new) pairs of traces that already existed)
    groups: dict[str, tuple[list[tuple[Any, ...]], list[tuple[tuple[Any, ...], tuple[Any, ...]]]]] = {}
    for trace_id, row in new.items():
        before = old.get(trace_id)
        session = row[T_SESSION]
        if before is not None and (
            before[T_SESSION] != session or (before[T_USER] is not None and before[T_USER] != row[T_USER])
        ):
            # A late, earlier span changed the trace's session or user: differences cannot express
            # "remove from there", so both sessions are rebuilt from their traces.
            if before[T_SESSION] is not None:
                recompute.add(before[T_SESSION])
            if session is not None:
                recompute.add(session)
            continue
        if session is None:
            continue
        group = groups.get(session)
        if group is None:
            group = groups[session] = ([], [])
        if before is None:
            group[0].append(row)
        else:
            group[1].append((before, row))
    deltas: dict[str, list[Any]] = {}
    for session, (fresh, changed) in groups.items():
        if session in recompute:
            continue
        rows = fresh + [after for _, after in changed]
        # The additive columns are contiguous (T_SPANS..T_SAVED): sum them column-wise.
        sums = [sum(col) for col in zip(*(r[_ADD_FIRST:_ADD_END] for r in rows), strict=True)]
        for before, _ in changed:
            for i, v in enumerate(before[_ADD_FIRST:_ADD_END]):
                sums[i] -= v
        models = {m for r in rows if r[T_MODELS] for m in r[T_MODELS].split(",")}
        users = {r[T_USER] for r in rows if r[T_USER] is not None}
        deltas[session] = [len(fresh), *sums, min(r[T_START] for r in rows), max(r[T_END] for r in rows), models, users]
    if deltas:
        _apply_deltas(conn, deltas)
    for session in recompute:
        recompute_session(conn, session)


def _apply_deltas(conn: sqlite3.Connection, deltas: dict[str, list[Any]]) -> None:
    n = len(_ADDITIVE)
    (text,) = conn.execute(_FETCH_SESSIONS_SQL, (json.dumps(list(deltas)),)).fetchone()
    rows = []
    for session, first_user, first_service, before in json.loads(text):
        d = deltas[session]
        if isinstance(before, str):  # the nested array may come back as JSON text
            before = json.loads(before)
        models = ",".join(sorted(d[n + 3]))
        users = ",".join(sorted(d[n + 4]))
        if before is None:
            trace_count, sums, start, end = d[0], [_sat(v) for v in d[1 : n + 1]], d[n + 1], d[n + 2]
        else:
            # sessions columns 7.. are trace_count then the additive sums, in _ADDITIVE's order
            trace_count = before[7] + d[0]
            # Saturated (not failed) past int64; a saturated sum stays an upper bound after that.
            sums = [_sat(before[8 + i] + d[1 + i]) for i in range(n)]
            start, end = min(before[4], d[n + 1]), max(before[5], d[n + 2])
            models = _merge_names(before[_S_MODELS], models)
            users = _merge_names(before[_S_USERS], users)
        rows.append((session, first_user, users, first_service, start, end, end - start, trace_count, *sums, models))
    insert_rows(conn, _INSERT_SESSION_HEAD, rows, len(SESSION_COLUMNS))


def recompute_session(conn: sqlite3.Connection, session_id: str) -> None:
    """Rebuild one session row from its traces (or delete it when none is left)."""
    traces = conn.execute(
        f"SELECT {', '.join(TRACE_COLUMNS)} FROM traces WHERE session_id = ?", (session_id,)
    ).fetchall()
    if not traces:
        conn.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))
        return
    first_user, first_service = conn.execute(_FIRST_USER_SERVICE_SQL, (session_id,)).fetchone()
    start = min(t[T_START] for t in traces)
    end = max(t[T_END] for t in traces)
    sums = [_sat(sum(t[c] for t in traces)) for c in _ADDITIVE]
    users = ",".join(sorted({t[T_USER] for t in traces if t[T_USER] is not None}))
    models = _merge_names(*(t[T_MODELS] for t in traces))
    conn.execute(
        _INSERT_SESSION_SQL,
        (session_id, first_user, users, first_service, start, end, end - start, len(traces), *sums, models),
    )
