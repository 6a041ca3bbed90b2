"""The SQLite sink: schema, rollups in any arrival order, failures at init and during export."""

from __future__ import annotations

import os
import random
import sqlite3
import stat

import pytest
from rollup_check import assert_rollups_match

from llm_agent import _cost
from llm_agent.backends import ExportResult
from llm_agent.backends._sqlite_schema import SCHEMA_VERSION
from llm_agent.backends.sqlite import SQLiteBackend, prune
from llm_agent.config import ConfigError
from llm_agent.export import to_record

T0 = 1_700_000_000_000_000_000


def _rows(path: str, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


_PRICES = _cost.load({"models": {
    "gpt-4o": {"input": 2.0, "output": 8.0, "cache_read": 1.0},
    "gpt-4o-mini": {"input": 1.0, "output": 1.0},
    "text-embedding-3-small": {"input": 1.0, "output": 0.0},
}})  # fmt: skip


def _agent_trace(make_span, llm_attrs, trace_id: int, base_id: int, start: int, session: str, user: str) -> list:
    """A CHAIN root carrying its children's totals, two LLM calls, a tool call and an error."""
    root = make_span(
        "answer",
        trace_id=trace_id,
        span_id=base_id,
        start_ns=start,
        duration_ns=10_000,
        attributes={"gen_ai.span.kind": "CHAIN", "session.id": session, "user.id": user,
                    "gen_ai.usage.input_tokens": 999, "gen_ai.usage.output_tokens": 999},
    )  # fmt: skip
    llm1 = make_span(
        trace_id=trace_id, span_id=base_id + 1, parent_id=base_id, start_ns=start + 100, duration_ns=1000,
        attributes=llm_attrs("gpt-4o", 10, 5, session=session, user=user,
                             **{"gen_ai.response.time_to_first_chunk": 0.25,
                                "gen_ai.usage.cache_read.input_tokens": 4}),
    )  # fmt: skip
    llm2 = make_span(
        trace_id=trace_id, span_id=base_id + 2, parent_id=base_id, start_ns=start + 2000, duration_ns=1000,
        attributes={**llm_attrs("gpt-4o-mini", None, None, session=session), "llm_agent.usage.missing": True},
        error="boom",
    )  # fmt: skip
    tool = make_span(
        "execute_tool search", trace_id=trace_id, span_id=base_id + 3, parent_id=base_id, start_ns=start + 3000,
        duration_ns=1000,
        attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.conversation.id": session},
    )  # fmt: skip
    emb = make_span(
        "embeddings text-embedding-3-small", trace_id=trace_id, span_id=base_id + 4, parent_id=base_id,
        start_ns=start + 4000, duration_ns=1000,
        attributes={"gen_ai.operation.name": "embeddings", "gen_ai.request.model": "text-embedding-3-small",
                    "gen_ai.usage.input_tokens": 7, "gen_ai.session.id": session, "enduser.id": user},
    )  # fmt: skip
    return [root, llm1, llm2, tool, emb]


def test_rollups_count_usage_spans_only_in_any_arrival_order(tmp_path, make_span, llm_attrs):
    spans = []
    for t in range(6):
        session = f"s{t % 2}"
        spans += _agent_trace(make_span, llm_attrs, 100 + t, 1000 * (t + 1), T0 + t * 1_000_000, session, f"u{t % 3}")
    expected_trace = None
    for seed in range(3):
        path = str(tmp_path / f"sink{seed}.sqlite")
        # Declared prices, so the costs below do not depend on the installed price table.
        backend = SQLiteBackend(path, prices=_PRICES)
        order = spans[:]
        random.Random(seed).shuffle(order)
        records = [to_record(s) for s in order]
        for i in range(0, len(records), 4):  # many small batches: traces complete over several
            assert backend.export(records[i : i + 4]) is ExportResult.SUCCESS
        backend.export(records[:7])  # duplicates are ignored
        backend.shutdown(1.0)
        assert_rollups_match(path)
        trace = _rows(path, "SELECT * FROM traces WHERE trace_id = ?", (format(100, "032x"),))
        if expected_trace is None:
            expected_trace = trace
        assert trace == expected_trace
    assert expected_trace == [(
        format(100, "032x"), "s0", "u0", "svc-test", "answer", T0, T0 + 10_000, 10_000,
        5,  # spans
        3,  # llm_calls: 2 LLM + 1 EMBEDDING (the CHAIN root's 999 tokens are not counted)
        1,  # errors
        17, 5, 22, 4, 0,  # input, output, total, cache read, reasoning
        1,  # usage missing calls
        0,  # cache creation tokens
        2, 1,  # priced calls (gpt-4o, the embedding), unpriced (gpt-4o-mini: usage missing)
        # gpt-4o: 6 uncached input x $2 + 4 cache reads x $1 + 5 output x $8 per million; embedding 7 x $1
        6 * 2000 + 4 * 1000 + 5 * 8000 + 7 * 1000,  # nano-USD
        4 * 1000,  # cache savings: 4 cache reads at $2 instead of $1
        0.25, "gpt-4o,gpt-4o-mini,text-embedding-3-small",
    )]  # fmt: skip
    sessions = _rows(str(tmp_path / "sink0.sqlite"), "SELECT session_id, user_id, users, trace_count, span_count, "
                     "input_tokens, models FROM sessions ORDER BY session_id")  # fmt: skip
    assert sessions == [
        ("s0", "u0", "u0,u1,u2", 3, 15, 51, "gpt-4o,gpt-4o-mini,text-embedding-3-small"),
        ("s1", "u1", "u0,u1,u2", 3, 15, 51, "gpt-4o,gpt-4o-mini,text-embedding-3-small"),
    ]


def test_late_earlier_span_moves_trace_to_its_session(tmp_path, make_span, llm_attrs):
    path = str(tmp_path / "sink.sqlite")
    backend = SQLiteBackend(path)
    late = make_span(trace_id=7, span_id=2, parent_id=1, start_ns=T0 + 500, attributes=llm_attrs(session="b"))
    early = make_span("root", trace_id=7, span_id=1, start_ns=T0, duration_ns=10_000,
                      attributes={"session.id": "a", "user.id": "x"})  # fmt: skip
    backend.export([to_record(late)])
    assert _rows(path, "SELECT session_id, trace_count FROM sessions") == [("b", 1)]
    backend.export([to_record(early)])
    backend.shutdown(1.0)
    assert _rows(path, "SELECT session_id, user_id, trace_count, input_tokens FROM sessions") == [("a", "x", 1, 10)]
    assert_rollups_match(path)


def test_schema_version_wal_and_typed_columns(tmp_path, make_span, llm_attrs):
    path = str(tmp_path / "deep" / "dir" / "sink.sqlite")
    backend = SQLiteBackend(path)
    span = make_span(attributes=llm_attrs(session="s", user="u", **{"gen_ai.response.finish_reasons": ("stop",)}))
    assert backend.export([to_record(span)]) is ExportResult.SUCCESS
    backend.shutdown(1.0)
    assert _rows(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    assert _rows(path, "PRAGMA journal_mode") == [("wal",)]
    row = _rows(path, "SELECT session_id, user_id, span_kind, model, input_tokens, output_tokens, "
                "cache_read_tokens, finish_reasons, usage_missing, kind, service_name FROM spans")  # fmt: skip
    assert row == [("s", "u", "LLM", "gpt-4o", 10, 5, None, '["stop"]', 0, "CLIENT", "svc-test")]


def test_corrupt_file_fails_at_init_with_clear_message(tmp_path):
    path = tmp_path / "sink.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError) as info:
        SQLiteBackend(str(path))
    message = str(info.value)
    assert message.startswith("option 'sink_path' (env LLM_AGENT_SINK_PATH): cannot use the SQLite sink ")
    assert "not a valid SQLite database" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_unwritable_directory_fails_at_init(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(ConfigError, match="LLM_AGENT_SINK_PATH"):
            SQLiteBackend(str(locked / "sink.sqlite"))
    finally:
        locked.chmod(stat.S_IRWXU)


def test_path_that_cannot_be_a_file_fails_at_init(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="cannot create directory"):
        SQLiteBackend(str(blocker / "sub" / "sink.sqlite"))
    with pytest.raises(ConfigError, match="it is a directory"):
        SQLiteBackend(str(tmp_path))


def test_newer_schema_fails_at_init(tmp_path):
    path = str(tmp_path / "sink.sqlite")
    SQLiteBackend(path).shutdown(1.0)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(ConfigError, match="schema version 99 is newer"):
        SQLiteBackend(path)


class _SmallDiskSQLite(SQLiteBackend):
    """The real backend on a database capped at a few pages: SQLite reports SQLITE_FULL exactly as
    for a full disk."""

    def _connection(self) -> sqlite3.Connection:
        conn = super()._connection()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        return conn


def test_full_disk_drops_the_batch_and_keeps_the_file_usable(tmp_path, make_span, llm_attrs, caplog):
    path = str(tmp_path / "sink.sqlite")
    backend = _SmallDiskSQLite(path)
    big = [to_record(make_span(attributes=llm_attrs(blob="x" * 4000))) for _ in range(50)]
    assert backend.export(big) is ExportResult.FAILURE
    assert "the disk is full" in caplog.text
    assert backend.export(big[:1]) is ExportResult.SUCCESS  # smaller batches still fit
    backend.shutdown(1.0)
    assert _rows(path, "SELECT count(*) FROM spans") == [(1,)]
    assert _rows(path, "PRAGMA integrity_check") == [("ok",)]
    assert_rollups_match(path)


def test_prune_deletes_old_traces_and_updates_sessions(tmp_path, make_span, llm_attrs):
    import time

    path = str(tmp_path / "sink.sqlite")
    backend = SQLiteBackend(path)
    now = time.time_ns()
    old = [make_span(trace_id=1, span_id=i, start_ns=now - 40 * 86400 * 10**9 + i, attributes=llm_attrs(session="s"))
           for i in range(1, 4)]  # fmt: skip
    new = [make_span(trace_id=2, span_id=10, start_ns=now - 10**9, attributes=llm_attrs(session="s"))]
    backend.export([to_record(s) for s in old + new])
    backend.shutdown(1.0)
    assert prune(path, 30 * 86400) == 3
    assert _rows(path, "SELECT trace_id FROM traces") == [(format(2, "032x"),)]
    assert _rows(path, "SELECT trace_count, span_count, input_tokens FROM sessions") == [(1, 1, 10)]
    assert_rollups_match(path)
    assert prune(path, 0) == 1
    assert _rows(path, "SELECT count(*) FROM sessions") == [(0,)]


def test_retention_days_prunes_at_export(tmp_path, make_span, llm_attrs):
    import time

    path = str(tmp_path / "sink.sqlite")
    backend = SQLiteBackend(path)
    backend.export([to_record(make_span(start_ns=time.time_ns() - 3 * 86400 * 10**9, attributes=llm_attrs()))])
    backend.shutdown(1.0)
    backend = SQLiteBackend(path, retention_days=1)
    backend.export([to_record(make_span(attributes=llm_attrs()))])
    backend.shutdown(1.0)
    assert _rows(path, "SELECT count(*) FROM spans") == [(1,)]


def test_file_locked_by_another_process_is_retryable(tmp_path, make_span, llm_attrs):
    path = str(tmp_path / "sink.sqlite")
    backend = SQLiteBackend(path, busy_timeout_s=0.1)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    record = to_record(make_span(attributes=llm_attrs()))
    assert backend.export([record]) is ExportResult.RETRYABLE
    other.execute("COMMIT")
    other.close()
    assert backend.export([record]) is ExportResult.SUCCESS
    backend.shutdown(1.0)
    assert _rows(path, "SELECT count(*) FROM spans") == [(1,)]
