"""``llm-agent reprice``: recompute the stored costs (after a genai-prices upgrade or an override change).

Bounded memory and resumable: spans are read in rowid order, ``REPRICE_CHUNK_ROWS`` at a time, and
each chunk is one transaction that updates the spans' cost columns, recomputes the traces they
belong to and those traces' sessions (so the rollups are consistent after every chunk), and records
how far it got in ``meta``.  Run again with the same arguments after an interruption, and it goes on
from there.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from typing import Any, Final

from llm_agent._cost import Overrides, Pricer
from llm_agent.backends import _sqlite_rollups
from llm_agent.backends._sqlite_cost import cost_values

#: Spans per transaction.
REPRICE_CHUNK_ROWS: Final = 5000
_PROGRESS_KEY: Final = "reprice_progress"
_SELECT: Final = (
    "SELECT rowid, provider, response_model, request_model, operation, start_ns, input_tokens, output_tokens, "
    "cache_read_tokens, cache_creation_tokens, reasoning_tokens, trace_id FROM spans "
    "WHERE rowid > ? AND start_ns >= ? AND input_tokens IS NOT NULL ORDER BY rowid LIMIT ?"
)
_UPDATE: Final = "UPDATE spans SET cost_nusd = ?, cache_saved_nusd = ?, price_version = ? WHERE rowid = ?"


def _fingerprint(since_ns: int, pricer: Pricer) -> str:
    models = pricer.overrides.models if pricer.overrides is not None else {}
    text = json.dumps([since_ns, pricer.version, sorted((str(k), repr(v)) for k, v in models.items())])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def reprice_connection(
    conn: sqlite3.Connection,
    since_ns: int = 0,
    overrides: Overrides | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Reprice the spans that started at or after ``since_ns``; returns how many were repriced."""
    pricer = Pricer(overrides)
    mark = _fingerprint(since_ns, pricer)
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_PROGRESS_KEY,)).fetchone()
    last = 0
    if row is not None:
        saved = json.loads(row[0])
        if saved.get("run") == mark:  # the same reprice, interrupted: go on after its last chunk
            last = int(saved["rowid"])
    (total,) = conn.execute(
        "SELECT COUNT(*) FROM spans WHERE start_ns >= ? AND input_tokens IS NOT NULL", (since_ns,)
    ).fetchone()
    (done,) = conn.execute(
        "SELECT COUNT(*) FROM spans WHERE rowid <= ? AND start_ns >= ? AND input_tokens IS NOT NULL", (last, since_ns)
    ).fetchone()
    repriced = 0
    while True:
        rows = conn.execute(_SELECT, (last, since_ns, REPRICE_CHUNK_ROWS)).fetchall()
        if not rows:
            break
        updates: list[tuple[Any, ...]] = []
        traces: set[str] = set()
        for r in rows:
            # cost_values reads a converter row; the chunk's rows carry the same columns by name.
            values = cost_values(pricer, _as_span_row(r))
            updates.append((*values, r[0]))
            traces.add(r[11])
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(_UPDATE, updates)
            _recompute(conn, sorted(traces))
            last = rows[-1][0]
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (_PROGRESS_KEY, json.dumps({"run": mark, "rowid": last})),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        repriced += len(rows)
        done += len(rows)
        if progress is not None:
            progress(done, total)
    conn.execute("DELETE FROM meta WHERE key = ?", (_PROGRESS_KEY,))
    return repriced


def _recompute(conn: sqlite3.Connection, trace_ids: list[str]) -> None:
    conn.execute(_sqlite_rollups._RECOMPUTE_TRACES_SQL, (json.dumps(trace_ids),))
    (text,) = conn.execute(
        "SELECT json_group_array(DISTINCT session_id) FROM traces WHERE session_id IS NOT NULL "
        "AND trace_id IN (SELECT value FROM json_each(?))",
        (json.dumps(trace_ids),),
    ).fetchone()
    for session in json.loads(text):
        _sqlite_rollups.recompute_session(conn, session)


_ROW_INDEX: Final[dict[str, int]] = {}


def _as_span_row(r: tuple[Any, ...]) -> tuple[Any, ...]:
    """A sparse converter row holding the columns ``cost_values`` reads."""
    from llm_agent.backends._sqlite_rows import SPAN_COLUMNS

    if not _ROW_INDEX:
        _ROW_INDEX.update((name, i) for i, name in enumerate(SPAN_COLUMNS))
    row: list[Any] = [None] * len(SPAN_COLUMNS)
    for name, value in zip(
        ("provider", "response_model", "request_model", "operation", "start_ns", "input_tokens", "output_tokens",
         "cache_read_tokens", "cache_creation_tokens", "reasoning_tokens"),
        r[1:11],
        strict=True,
    ):  # fmt: skip
        row[_ROW_INDEX[name]] = value
    return tuple(row)
