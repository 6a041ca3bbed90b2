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


#: Columns schema version 5 added (USD cost): a version 1 to 4 file is the current schema without them.
V5_SPAN_COLUMNS = ("cost_nusd", "cache_saved_nusd", "price_version")
V5_ROLLUP_COLUMNS = ("cache_creation_tokens", "priced_calls", "unpriced_calls", "cost_nusd", "cache_saved_nusd")
#: A current file back to version 4 (the cost columns dropped).
V4_WITHOUT_COST = (
    *(f"ALTER TABLE spans DROP COLUMN {c}" for c in V5_SPAN_COLUMNS),
    *(f"ALTER TABLE {t} DROP COLUMN {c}" for t in ("traces", "sessions") for c in V5_ROLLUP_COLUMNS),
)


def _schema_before_cost() -> list[str]:
    out = []
    for stmt in SCHEMA:
        added = V5_SPAN_COLUMNS if "TABLE IF NOT EXISTS spans" in stmt else V5_ROLLUP_COLUMNS
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
    for stmt in (*_schema_before_cost(), *V1_EXTRA_INDEXES, *V2_SPANS_WITHOUT_FLAG):
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
        "sessions_start", "sessions_end", "sessions_user_start", "spans_error_type", "spans_tool", "spans_kind",
    }  # fmt: skip


def test_version_4_rows_are_unpriced_until_repriced(tmp_path):
    path = str(tmp_path / "v4.sqlite")
    conn = sqlite3.connect(path)
    for stmt in _schema_before_cost():
        conn.execute(stmt)
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '4')")
    conn.execute(
        "INSERT INTO spans (trace_id, span_id, name, kind, start_ns, end_ns, duration_ns, status, session_id, "
        "span_kind, provider, model, input_tokens, output_tokens, cache_creation_tokens, usage_counted) "
        "VALUES ('t1', 's1', 'chat m', 'CLIENT', 1, 2, 1, 'UNSET', 'sess', 'LLM', 'openai', 'm', 10, 5, 3, 1)"
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
    # Back to schema 2 (no cost columns, no flag), with the double-counted sums that version stored.
    for stmt in (*V4_WITHOUT_COST, *V2_SPANS_WITHOUT_FLAG):
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


def test_version_3_file_gains_the_trace_explorer_indexes(tmp_path, make_span, llm_attrs):
    """Version 3 -> 4 adds the partial span indexes the Trace Explorer's span tests read."""
    path = str(tmp_path / "v3.sqlite")
    conn = sqlite3.connect(path)
    trace_explorer = {"spans_error_type", "spans_tool", "spans_kind"}
    for stmt in _schema_before_cost():
        if not any(name in stmt for name in trace_explorer):
            conn.execute(stmt)
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '3')")
    conn.commit()
    conn.close()
    assert not trace_explorer & _indexes(path)
    backend = SQLiteBackend(path)  # migrates
    backend.export([to_record(make_span(attributes=llm_attrs(session="s1", user="u1")))])
    backend.shutdown(1.0)
    assert trace_explorer <= _indexes(path)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        assert conn.execute("SELECT session_id, trace_count FROM sessions").fetchall() == [("s1", 1)]
    finally:
        conn.close()


def test_a_tool_span_with_malformed_attributes_does_not_fail_the_batch(tmp_path):
    """The tool-name index reads the attributes JSON; text that is not JSON is no tool name, not an error."""
    path = str(tmp_path / "bad.sqlite")
    backend = SQLiteBackend(path)
    backend.shutdown(1.0)
    conn = sqlite3.connect(path)
    try:
        conn.execute(
            "INSERT INTO spans (trace_id, span_id, name, kind, start_ns, end_ns, duration_ns, status, span_kind, "
            "attributes) VALUES ('t', 's', 'execute_tool x', 'INTERNAL', 1, 2, 1, 'UNSET', 'TOOL', '{not json')"
        )
        conn.commit()
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
