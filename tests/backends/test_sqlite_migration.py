"""Schema migrations: a file written by an older llm_agent is migrated forward at open, data intact."""

from __future__ import annotations

import sqlite3

from llm_agent.backends._sqlite_schema import SCHEMA, SCHEMA_VERSION
from llm_agent.backends.sqlite import SQLiteBackend
from llm_agent.export import to_record

# Schema version 1 had two more span indexes (no query used them; they cost ingest time).
V1_EXTRA_INDEXES = (
    "CREATE INDEX IF NOT EXISTS spans_session ON spans (session_id)",
    "CREATE INDEX IF NOT EXISTS spans_user_start ON spans (user_id, start_ns)",
)


#: Columns schema version 3 added (USD cost): a version 1 or 2 file is the current schema without them.
V3_SPAN_COLUMNS = ("cost_nusd", "cache_saved_nusd", "price_version")
V3_ROLLUP_COLUMNS = ("cache_creation_tokens", "priced_calls", "unpriced_calls", "cost_nusd", "cache_saved_nusd")


def _schema_before_cost() -> list[str]:
    out = []
    for stmt in SCHEMA:
        added = V3_SPAN_COLUMNS if "TABLE IF NOT EXISTS spans" in stmt else V3_ROLLUP_COLUMNS
        out.append("\n".join(line for line in stmt.splitlines() if line.strip().split(" ", 1)[0] not in added))
    return out


def _indexes(path: str) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    finally:
        conn.close()


def test_version_1_file_is_migrated_and_keeps_its_data(tmp_path, make_span, llm_attrs):
    path = str(tmp_path / "v1.sqlite")
    conn = sqlite3.connect(path)
    for stmt in (*_schema_before_cost(), *V1_EXTRA_INDEXES):
        conn.execute(stmt)
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
    conn.commit()
    conn.close()
    old = SQLiteBackend(path)  # migrates
    old.export([to_record(make_span(attributes=llm_attrs(session="s1", user="u1")))])
    old.shutdown(1.0)
    assert "spans_session" not in _indexes(path) and "spans_user_start" not in _indexes(path)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        assert conn.execute("SELECT session_id, user_id, input_tokens FROM spans").fetchall() == [("s1", "u1", 10)]
        assert conn.execute("SELECT session_id, trace_count, input_tokens FROM sessions").fetchall() == [("s1", 1, 10)]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()


def test_new_file_has_the_current_schema(tmp_path):
    path = str(tmp_path / "new.sqlite")
    SQLiteBackend(path).shutdown(1.0)
    assert _indexes(path) == {
        "spans_model_start", "spans_start", "traces_session_start", "traces_start",
        "sessions_start", "sessions_end", "sessions_user_start",
    }  # fmt: skip


def test_version_2_rows_are_unpriced_until_repriced(tmp_path):
    path = str(tmp_path / "v2.sqlite")
    conn = sqlite3.connect(path)
    for stmt in _schema_before_cost():
        conn.execute(stmt)
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '2')")
    conn.execute(
        "INSERT INTO spans (trace_id, span_id, name, kind, start_ns, end_ns, duration_ns, status, session_id, "
        "span_kind, provider, model, input_tokens, output_tokens, cache_creation_tokens) "
        "VALUES ('t1', 's1', 'chat m', 'CLIENT', 1, 2, 1, 'UNSET', 'sess', 'LLM', 'openai', 'm', 10, 5, 3)"
    )
    conn.execute(
        "INSERT INTO traces (trace_id, session_id, start_ns, end_ns, duration_ns, span_count, llm_calls, error_count, "
        "input_tokens, output_tokens, total_tokens, cache_read_tokens, reasoning_tokens, usage_missing_calls) "
        "VALUES ('t1', 'sess', 1, 2, 1, 1, 1, 0, 10, 5, 15, 0, 0, 0)"
    )
    conn.execute(
        "INSERT INTO sessions (session_id, start_ns, end_ns, duration_ns, trace_count, span_count, llm_calls, "
        "error_count, input_tokens, output_tokens, total_tokens, cache_read_tokens, reasoning_tokens, "
        "usage_missing_calls) VALUES ('sess', 1, 2, 1, 1, 1, 1, 0, 10, 5, 15, 0, 0, 0)"
    )
    conn.commit()
    conn.close()
    SQLiteBackend(path).shutdown(1.0)  # migrates
    conn = sqlite3.connect(path)
    try:
        # No cost until `llm-agent reprice`: the call counts as unpriced, never as $0.
        assert conn.execute("SELECT cost_nusd, cache_saved_nusd, price_version FROM spans").fetchall() == [
            (None, None, None)
        ]
        for table in ("traces", "sessions"):
            assert conn.execute(
                f"SELECT cache_creation_tokens, priced_calls, unpriced_calls, cost_nusd FROM {table}"
            ).fetchall() == [(3, 0, 1, 0)]
    finally:
        conn.close()
