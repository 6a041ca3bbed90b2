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

# Schema versions 1 and 2 had no usage_counted column.
V2_SPANS_WITHOUT_FLAG = ("ALTER TABLE spans DROP COLUMN usage_counted",)


def _indexes(path: str) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    finally:
        conn.close()


def test_version_1_file_is_migrated_and_keeps_its_data(tmp_path, make_span, llm_attrs):
    path = str(tmp_path / "v1.sqlite")
    conn = sqlite3.connect(path)
    for stmt in (*SCHEMA, *V1_EXTRA_INDEXES, *V2_SPANS_WITHOUT_FLAG):
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


def test_version_2_file_gets_the_usage_rule_for_its_stored_traces(tmp_path, make_span):
    """A sink written before the rule summed every usage span: the migration flags the stored
    spans and rebuilds the rollups of the traces (and sessions) it changes."""
    import usage_trees as trees
    from rollup_check import assert_rollups_match

    path = str(tmp_path / "v2.sqlite")
    backend = SQLiteBackend(path)
    backend.export([to_record(s) for case in trees.CASES for s in trees.make_spans(make_span, case)])
    backend.shutdown(1.0)
    conn = sqlite3.connect(path)
    # Back to schema 2, with the double-counted sums that version stored.
    for stmt in V2_SPANS_WITHOUT_FLAG:
        conn.execute(stmt)
    conn.execute("UPDATE traces SET llm_calls = 99, input_tokens = 99, total_tokens = 99")
    conn.execute("UPDATE sessions SET llm_calls = 99, input_tokens = 99, total_tokens = 99")
    conn.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    SQLiteBackend(path).shutdown(1.0)  # migrates
    assert_rollups_match(path)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        figures = conn.execute(
            "SELECT llm_calls, input_tokens, output_tokens, usage_missing_calls FROM traces ORDER BY trace_id"
        ).fetchall()
    finally:
        conn.close()
    assert figures == [c.figures for c in trees.CASES]
