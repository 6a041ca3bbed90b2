"""WAL checkpoints for the SQLite sink, on a thread of their own.

SQLite's automatic checkpoint runs inside the ``COMMIT`` that crosses the threshold: copying the
WAL back into the database and the ``fsync`` that follows cost that one batch tens of
milliseconds, during which the writer holds the write lock and converts nothing.  Here the writer
only looks at the WAL file's size after each commit (one ``stat``) and, past
``DEFAULT_CHECKPOINT_AFTER_BYTES``, wakes this thread, which runs a ``PASSIVE`` checkpoint on its own
connection: passive checkpoints never block the writer or readers, and the copy and ``fsync``
happen while the writer commits the next batch (SQLite releases the GIL for both).

The writer connection keeps a larger automatic checkpoint as a safety net, so the WAL stays
bounded even if this thread falls behind.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Final

from llm_agent._secrets import get_logger

logger = get_logger("llm_agent.backends.sqlite")

#: A background checkpoint starts once the WAL file is larger than this.
DEFAULT_CHECKPOINT_AFTER_BYTES: Final = 16 * 1024 * 1024


class Checkpointer:
    """One daemon thread per sink (per process) running passive checkpoints on request."""

    def __init__(self, path: str, busy_timeout_s: float, after_bytes: int = DEFAULT_CHECKPOINT_AFTER_BYTES) -> None:
        self._path = path
        self._wal = path + "-wal"
        self._busy_timeout_s = busy_timeout_s
        self._after_bytes = after_bytes
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def after_commit(self) -> None:
        """Called by the writer after each commit: wake the thread when the WAL has grown."""
        try:
            size = os.stat(self._wal).st_size
        except OSError:
            return
        if self._pid != os.getpid():
            # A forked child: the parent's thread does not exist here, and its event's lock may have
            # been held at the moment of the fork.
            self._pid = os.getpid()
            self._wake = threading.Event()
            self._thread = None
        if size < self._after_bytes or self._wake.is_set():
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="llm_agent-sqlite-checkpoint", daemon=True)
            self._thread.start()
        self._wake.set()

    def close(self, timeout_s: float) -> None:
        self._closed = True
        self._wake.set()
        thread = self._thread
        if thread is not None and self._pid == os.getpid() and thread is not threading.current_thread():
            thread.join(max(0.0, timeout_s))

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(self._path, timeout=self._busy_timeout_s, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_s * 1000)}")
            while True:
                self._wake.wait()
                if self._closed:
                    return
                # Cleared before the checkpoint: growth during it asks for another one.
                self._wake.clear()
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:
            # Not fatal: the writer's automatic checkpoint still bounds the WAL.
            logger.warning("llm_agent: background checkpoint of %s failed: %s", self._path, exc)
        finally:
            if conn is not None:
                conn.close()
