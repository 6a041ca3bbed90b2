"""A fork while the sink's writer holds its lock: the child starts with a fresh lock and writes."""

from __future__ import annotations

import os
import sqlite3
import time

from llm_agent.backends.sqlite import SQLiteBackend
from llm_agent.export import to_record


def test_forked_child_writes_even_if_the_parent_held_the_backend_lock(tmp_path, make_span, llm_attrs):
    path = str(tmp_path / "sink.sqlite")
    backend = SQLiteBackend(path)
    record = to_record(make_span(attributes=llm_attrs(session="child")))
    backend._lock.acquire()  # as if the writer thread were committing at the moment of the fork
    try:
        pid = os.fork()
        if pid == 0:  # the child: a held lock here would block forever
            code = 0 if backend.export([record]).name == "SUCCESS" else 1
            os._exit(code)
    finally:
        backend._lock.release()
    deadline = time.monotonic() + 20
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise AssertionError("the child blocked on the parent's lock")
        time.sleep(0.01)
    assert os.waitstatus_to_exitcode(status) == 0
    backend.shutdown(1.0)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT session_id FROM spans").fetchall() == [("child",)]
    finally:
        conn.close()
