"""WAL checkpoints run on their own thread, off the writer's commit."""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from llm_agent.backends._sqlite_checkpoint import Checkpointer
from llm_agent.backends.sqlite import SQLiteBackend
from llm_agent.export import to_record


def test_background_thread_checkpoints_the_wal_into_the_database(tmp_path, make_span, llm_attrs):
    path = str(tmp_path / "sink.sqlite")
    backend = SQLiteBackend(path)
    backend._checkpointer = Checkpointer(path, 10.0, after_bytes=64 * 1024)  # a small WAL is enough
    size_before = os.path.getsize(path)
    records = [to_record(make_span(attributes=llm_attrs(session=f"s{i % 5}"))) for i in range(600)]
    for i in range(0, len(records), 100):
        assert backend.export(records[i : i + 100]).name == "SUCCESS"
    deadline = time.monotonic() + 10
    while os.path.getsize(path) <= size_before and time.monotonic() < deadline:
        time.sleep(0.01)
    # The automatic checkpoint (16k pages) never ran: only the background one can have grown the file.
    assert os.path.getsize(path) > size_before
    assert any(t.name == "llm_agent-sqlite-checkpoint" for t in threading.enumerate())
    backend.shutdown(2.0)
    assert not any(t.name == "llm_agent-sqlite-checkpoint" for t in threading.enumerate())
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM spans").fetchone() == (600,)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()


def test_no_thread_while_the_wal_is_small(tmp_path, make_span, llm_attrs):
    path = str(tmp_path / "sink.sqlite")
    backend = SQLiteBackend(path)
    backend.export([to_record(make_span(attributes=llm_attrs()))])
    assert backend._checkpointer._thread is None
    backend.shutdown(1.0)

