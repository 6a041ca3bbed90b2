"""``SQLiteStore``: the analysis API over the local sink (schema: llm_agent/backends/_sqlite_schema.py).

Opened read-only (``mode=ro``), so the CLI and the web page can never change the sink; the sink's
WAL mode lets them read while apps keep writing.  Listing sessions reads only the ``sessions``
rollup (it scales with sessions, not spans), a session detail the ``traces`` rollup, and model
analysis the ``spans`` rows of one model through the ``spans_model_start`` index.  Multi-statement
reads run in one read transaction, so they see one consistent snapshot.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any, Final

from llm_agent import semconv
from llm_agent.analysis import _build, _sql, _sqlite_traces, _time
from llm_agent.analysis._query import ModelQuery, SessionQuery
from llm_agent.analysis._sql import SESSION_COLUMNS
from llm_agent.analysis._store import Store, TraceOwner
from llm_agent.analysis._time import TimeLike
from llm_agent.analysis._traces import TraceQuery
from llm_agent.analysis._types import (
    ModelSummary,
    SessionDetail,
    SessionSummary,
    TraceSummary,
    UserSummary,
)
from llm_agent.backends._sqlite_schema import COST_VERSION, SCHEMA_VERSION, USAGE_COUNTED_VERSION

#: How long a read waits when a writer holds an exclusive lock (checkpoints, schema migration).
DEFAULT_BUSY_TIMEOUT_S: Final = 5.0
#: A sessions page of at most this many rows is read in one go; a longer listing streams.
MAX_PAGE_ROWS: Final = 10_000
#: Rows fetched at a time while streaming a long listing.
STREAM_BATCH_ROWS: Final = 1000

_USAGE_KINDS_SQL: Final = "(" + ",".join(f"'{k}'" for k in sorted(semconv.USAGE_SPAN_KINDS)) + ")"

#: Rollup cost columns (schema version 5, docs/cost.md), read as "nothing priced" from older files.
_COST_ROLLUP: Final = _sqlite_traces.COST_ROLLUP
_COST_ROLLUP_V2: Final = (
    "0 AS priced_calls, llm_calls AS unpriced_calls, 0 AS cost_nusd, 0 AS cache_creation_tokens, 0 AS cache_saved_nusd"
)
_SESSION_SELECT: Final = (
    "session_id, user_id, users, service_name, start_ns, end_ns, trace_count, span_count, llm_calls, "
    "input_tokens, output_tokens, total_tokens, cache_read_tokens, reasoning_tokens, usage_missing_calls, "
    "error_count, models, " + _COST_ROLLUP
)
_TRACE_SELECT: Final = _sqlite_traces.TRACE_LIST_SELECT
_SPAN_SELECT: Final = (
    "span_id, parent_span_id, name, kind, span_kind, start_ns, end_ns, status, error_type, operation, provider, "
    "model, input_tokens, output_tokens, ttft_s, attributes, session_id, user_id, cost_nusd"
)
#: A cost column read (not an alias named so) in a query, for files before ``COST_VERSION``.
_OLD_COST_COLUMN: Final = re.compile(r"(?<!AS )\b(?:cost_nusd|cache_saved_nusd)\b")
# One pass over the model's rows (spans_model_start index): everything model() needs, grouped
# by bucket and outcome, with raw durations / TTFTs for exact percentiles.
_USAGE_COND: Final = "status <> 'ERROR' AND output_tokens IS NOT NULL AND duration_ns > 0"
_MODEL_GROUPS_SQL: Final = f"""
SELECT (start_ns - :first) / :step AS bucket, status = 'ERROR' AS failed, error_type, finish_reasons, provider,
  COUNT(*), SUM(input_tokens), COUNT(input_tokens), SUM(output_tokens), COUNT(output_tokens),
  SUM(cache_read_tokens), SUM(reasoning_tokens), SUM(usage_missing), SUM(duration_ns > :slow),
  SUM(CASE WHEN {_USAGE_COND} THEN output_tokens END), SUM(CASE WHEN {_USAGE_COND} THEN duration_ns END),
  group_concat(duration_ns), group_concat(CASE WHEN ttft_s IS NOT NULL THEN printf('%!.17g', ttft_s) END),
  SUM(cache_creation_tokens), SUM(cost_nusd), COUNT(cost_nusd), SUM(cache_saved_nusd), group_concat(cost_nusd)
FROM spans WHERE model = :model AND start_ns BETWEEN :since AND :until AND {{counted}}
GROUP BY bucket, failed, error_type, finish_reasons, provider
"""


class MissingDatabaseError(FileNotFoundError):
    """The sink file does not exist (nothing recorded yet, or a wrong path)."""


class SQLiteStore(Store):
    """Read-only analysis of a SQLite sink file.  Thread-safe (one connection, one lock)."""

    def __init__(self, path: str | os.PathLike[str], busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> None:
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise MissingDatabaseError(
                f"no llm_agent sink at {self.path!r}: nothing has been recorded there yet "
                "(run an app with llm_agent.init(), or pass the right path / --db)"
            )
        if os.path.isdir(self.path):
            raise IsADirectoryError(f"{self.path!r} is a directory, not an llm_agent sink file")
        uri = pathlib.Path(self.path).resolve().as_uri() + "?mode=ro"
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            uri, uri=True, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        try:
            self.schema_version = self._read_schema_version()
        except BaseException:
            self.close()
            raise
        #: Whether the file has cost columns (a file written before them reads as nothing priced
        #: until an app's sink migrates it and ``llm-agent reprice`` prices it).
        self.has_costs = self.schema_version >= COST_VERSION or self.schema_version == 0
        # The spans a model query counts: each model call once (the sink's usage rule).
        self._counted = (
            "usage_counted" if self.schema_version >= USAGE_COUNTED_VERSION else f"span_kind IN {_USAGE_KINDS_SQL}"
        )

    def _sql(self, sql: str) -> str:
        """``sql`` for this file's schema version: cost columns as "unpriced" before they existed."""
        if self.has_costs:
            return sql
        return _COST_ROLLUP_V2.join(_OLD_COST_COLUMN.sub("NULL", part) for part in sql.split(_COST_ROLLUP))

    def _read_schema_version(self) -> int:
        conn = self._connection()
        try:
            has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{self.path!r} is not an llm_agent sink: {exc}") from exc
        if not has_meta:
            return 0
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"{self.path!r} has schema version {version}, newer than this llm_agent reads "
                f"({SCHEMA_VERSION}); upgrade llm-agent"
            )
        return version

    @property
    def empty(self) -> bool:
        """True when the file holds no sink schema yet (created but never written)."""
        return self.schema_version == 0

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("the store is closed")
        return self._conn

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._connection().execute(self._sql(sql), params).fetchall()

    # --- sessions --------------------------------------------------------------------------------------

    def _select_sessions(self, query: SessionQuery) -> Iterator[SessionSummary]:
        if self.empty:
            return iter(())
        dialect = _sql.Dialect()
        where_sql = _sql.compile_node(query.filter, SESSION_COLUMNS, dialect)
        sql = (
            f"SELECT {_SESSION_SELECT} FROM sessions WHERE {where_sql} "
            f"ORDER BY {_sql.session_order(query.sort_field, query.descending, dialect)} LIMIT ? OFFSET ?"
        )
        params = [*dialect.params, -1 if query.limit is None else query.limit, query.offset]
        return self._stream(sql, params, paged=query.limit is not None and query.limit <= MAX_PAGE_ROWS)

    def _stream(self, sql: str, params: list[Any], paged: bool, build: Any = _build.session_summary) -> Iterator[Any]:
        # A page is read in one go under the lock; a longer listing streams from its own
        # connection, so a long export neither holds the lock nor sees a changing table.
        if paged:
            for row in self._query(sql, params):
                yield build(row)
            return
        conn = sqlite3.connect(pathlib.Path(self.path).resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            cursor = conn.execute(self._sql(sql), params)
            while True:
                rows = cursor.fetchmany(STREAM_BATCH_ROWS)
                if not rows:
                    return
                for row in rows:
                    yield build(row)
        finally:
            conn.close()

    def session(self, session_id: str) -> SessionDetail | None:
        if self.empty:
            return None
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN")
            try:
                row = conn.execute(
                    self._sql(f"SELECT {_SESSION_SELECT} FROM sessions WHERE session_id = ?"), (session_id,)
                ).fetchone()
                traces = (
                    conn.execute(
                        self._sql(
                            f"SELECT {_TRACE_SELECT} FROM traces WHERE session_id = ? ORDER BY start_ns, trace_id"
                        ),
                        (session_id,),
                    ).fetchall()
                    if row is not None
                    else []
                )
            finally:
                conn.execute("COMMIT")
        if row is None:
            return None
        return SessionDetail(summary=_build.session_summary(row), traces=_build.session_traces(traces))

    # --- traces ----------------------------------------------------------------------------------------

    def _select_traces(self, query: TraceQuery) -> Iterator[TraceSummary]:
        if self.empty:
            return iter(())
        sql, params = _sqlite_traces.select_traces_sql(query, self._count)
        paged = query.limit is not None and query.limit <= MAX_PAGE_ROWS
        return self._stream(sql, params, paged=paged, build=_build.trace_summary)

    def _count_traces(self, query: TraceQuery) -> int:
        if self.empty:
            return 0
        sql, params = _sqlite_traces.count_traces_sql(query, self._count)
        return self._count(sql, params)

    def _count(self, sql: str, params: list[Any]) -> int:
        return int(self._query(sql, params)[0][0])

    def _select_trace(self, trace_id: str) -> tuple[list[dict[str, Any]], TraceOwner | None]:
        if self.empty:
            return [], None
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN")
            try:
                rows = conn.execute(
                    self._sql(f"SELECT {_SPAN_SELECT}, {self._counted} AS usage_counted FROM spans WHERE trace_id = ?"),
                    (trace_id,),
                ).fetchall()
                head = conn.execute("SELECT session_id, user_id FROM traces WHERE trace_id = ?", (trace_id,)).fetchone()
            finally:
                conn.execute("COMMIT")
        spans = []
        for r in rows:
            d = dict(r)
            d["attributes"] = json.loads(d["attributes"]) if d["attributes"] else {}
            spans.append(d)
        # No rollup row yet (the trace is still being written): trace() derives them from the spans.
        owner = None if head is None else TraceOwner(head["session_id"], head["user_id"])
        return spans, owner

    # --- models ----------------------------------------------------------------------------------------

    def _select_models(self, window: _time.Window) -> list[ModelSummary]:
        if self.empty:
            return []
        sql = f"""SELECT model, group_concat(DISTINCT provider) AS providers, COUNT(*) AS requests,
            SUM(status = 'ERROR') AS errors, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
            COUNT(input_tokens) AS input_known, COUNT(output_tokens) AS output_known, MIN(start_ns) AS first_ns,
            MAX(start_ns) AS last_ns, group_concat(duration_ns) AS durations,
            group_concat(CASE WHEN ttft_s IS NOT NULL THEN printf('%!.17g', ttft_s) END) AS ttfts,
            SUM(cost_nusd) AS cost_nusd, COUNT(cost_nusd) AS priced_calls, SUM(cache_read_tokens) AS cache_read_tokens
            FROM spans WHERE start_ns BETWEEN ? AND ? AND model IS NOT NULL AND {self._counted}
            GROUP BY model"""
        rows = self._query(sql, (window.since_ns, window.until_ns))
        return [
            _build.model_summary(
                r,
                sorted(ns / 1e9 for ns in _build.ints(r["durations"])),
                sorted(_build.floats(r["ttfts"])),
            )
            for r in rows
        ]

    def _select_model_groups(self, query: ModelQuery) -> list[_build.CallGroup]:
        if self.empty:
            return []
        with self._lock:
            sql = self._sql(_MODEL_GROUPS_SQL.format(counted=self._counted))
            cursor = self._connection().execute(sql, query.params)
            cursor.row_factory = None  # plain tuples
            rows = cursor.fetchall()
        return [_build.CallGroup(*r) for r in rows]

    # --- users -----------------------------------------------------------------------------------------

    def users(self, since: TimeLike | None = None, until: TimeLike | None = None) -> list[UserSummary]:
        window = _time.resolve_window(since, until)
        if self.empty:
            return []
        where = "start_ns BETWEEN ? AND ? AND user_id IS NOT NULL"
        params = (window.since_ns, window.until_ns)
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN")
            try:
                sums = conn.execute(
                    self._sql(f"""SELECT user_id, MIN(start_ns) AS first_ns, MAX(end_ns) AS last_ns,
                        COUNT(DISTINCT session_id) AS sessions, COUNT(*) AS traces, SUM(llm_calls) AS llm_calls,
                        SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
                        SUM(total_tokens) AS total_tokens, SUM(error_count) AS errors,
                        SUM(priced_calls) AS priced_calls, SUM(unpriced_calls) AS unpriced_calls,
                        SUM(cost_nusd) AS cost_nusd
                        FROM traces WHERE {where} GROUP BY user_id"""),
                    params,
                ).fetchall()
                values = conn.execute(f"SELECT user_id, duration_ns FROM traces WHERE {where}", params).fetchall()
            finally:
                conn.execute("COMMIT")
        latencies: dict[str, list[float]] = {}
        for user_id, duration_ns in values:
            latencies.setdefault(user_id, []).append(duration_ns / 1e9)
        out = [_build.user_summary(r, latencies.get(r["user_id"], ())) for r in sums]
        out.sort(key=lambda u: (-_time.datetime_to_ns(u.last_seen), u.user_id))
        return out
