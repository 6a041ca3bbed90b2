"""``sqlite`` backend: the local sink that ``llm_agent.analysis``, the CLI and the web page read.

One file, WAL mode (readers never block the writer), one ``BEGIN IMMEDIATE`` transaction per batch
(spans + rollups together, so a crash never leaves a half-counted batch), a busy timeout so that
several processes (gunicorn workers, a batch job, a web app) can write the same file.  The schema
is versioned (``meta.schema_version``) and migrated forward at open.  Problems with the file itself
(unwritable path, not a database, a newer schema) fail at ``init()``; problems while exporting
(disk full, file locked for too long) drop or retry the batch and never reach the app.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Any, Final

from llm_agent._ratelog import RateLimitedLog
from llm_agent._secrets import get_logger
from llm_agent.backends import _sqlite_rollups
from llm_agent.backends._sqlite_checkpoint import Checkpointer
from llm_agent.backends._sqlite_cost import RowPricer
from llm_agent.backends._sqlite_rows import INSERT_SPANS_HEAD as _INSERT_SPANS_HEAD
from llm_agent.backends._sqlite_rows import STORED_COLUMNS, RowConverter, rows_from_values
from llm_agent.backends._sqlite_rows import fast_encode as _fast_encode
from llm_agent.backends._sqlite_schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION
from llm_agent.backends._types import ExportResult, SpanRecord
from llm_agent.config import ConfigError, Settings

logger = get_logger("llm_agent.backends.sqlite")

#: How long a writer waits for another process's transaction before the batch is retried.
DEFAULT_BUSY_TIMEOUT_S: Final = 10.0
#: WAL pages (4 KiB each) after which the writer checkpoints itself: only a safety net, since a
#: background thread checkpoints at a quarter of this (``_sqlite_checkpoint``); the WAL file
#: stays under ~64 MiB either way.
DEFAULT_WAL_AUTOCHECKPOINT_PAGES: Final = 16000
#: With ``retention_days`` set, spans older than that are deleted this often (and at start).
DEFAULT_PRUNE_INTERVAL_S: Final = 3600.0
#: At most one "cannot write to the SQLite sink" warning per sink in this many seconds.
WRITE_ERROR_LOG_INTERVAL_S: Final = 60.0
# Result codes (module constants only from Python 3.11 on).
_SQLITE_BUSY: Final = getattr(sqlite3, "SQLITE_BUSY", 5)
_SQLITE_LOCKED: Final = getattr(sqlite3, "SQLITE_LOCKED", 6)
_SQLITE_FULL: Final = getattr(sqlite3, "SQLITE_FULL", 13)
_SQLITE_TOOBIG: Final = getattr(sqlite3, "SQLITE_TOOBIG", 18)


def _sink_error(path: str, reason: str) -> ConfigError:
    return ConfigError(f"option 'sink_path' (env LLM_AGENT_SINK_PATH): cannot use the SQLite sink {path!r}: {reason}")


def connect(path: str, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """A connection with the sink's pragmas (autocommit mode: transactions are explicit)."""
    conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        logger.warning("llm_agent: %s is not in WAL mode (%s); concurrent readers may block the writer", path, mode)
    # NORMAL in WAL mode: a committed batch survives an app crash (it is in the WAL); only an OS
    # crash or power loss can lose the last batches, never corrupt the file.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA wal_autocheckpoint = {DEFAULT_WAL_AUTOCHECKPOINT_PAGES}")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA cache_size = -65536")
    return conn


def ensure_schema(conn: sqlite3.Connection) -> int:
    """Create or migrate the schema; returns the version.  Raises sqlite3 errors for a bad file."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        version = 0
        if has_meta:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
        if version == 0:
            for stmt in SCHEMA:
                conn.execute(stmt)
            version = SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"schema version {version} is newer than this llm_agent's ({SCHEMA_VERSION}); upgrade llm-agent"
            )
        while version < SCHEMA_VERSION:
            for step in MIGRATIONS[version]:
                if isinstance(step, str):
                    conn.execute(step)
                else:
                    step(conn)
            version += 1
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(version),))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version


def open_sink(path: str, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """Open (creating directories, schema, migrations) or raise ``ConfigError`` saying why not."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as exc:
        raise _sink_error(path, f"cannot create directory {directory!r}: {exc.strerror or exc}") from exc
    if os.path.isdir(path):
        raise _sink_error(path, "it is a directory")
    conn = None
    try:
        conn = connect(path, busy_timeout_s)
        ensure_schema(conn)
        return conn
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        msg = str(exc)
        if "not a database" in msg or "malformed" in msg:
            reason = f"the file is not a valid SQLite database ({msg}); move it away or choose another sink_path"
        elif "readonly" in msg or "unable to open" in msg:
            reason = f"not writable ({msg}); check the permissions of the file and its directory"
        else:
            reason = msg
        raise _sink_error(path, reason) from exc
    except ValueError as exc:
        if conn is not None:
            conn.close()
        raise _sink_error(path, str(exc)) from exc


def file_identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path``; None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def values_from_record(r: SpanRecord) -> tuple[Any, ...]:
    return tuple(getattr(r, name) for name in SpanRecord.__dataclass_fields__)


class SQLiteBackend:
    name = "sqlite"

    def __init__(
        self,
        path: str,
        retention_days: float = 0.0,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        prices: Any = None,
    ) -> None:
        self.path = path
        # USD cost per call, priced on the export worker (``prices``: validated overrides, docs/cost.md).
        self._pricer = RowPricer(prices)
        self.retention_days = retention_days
        self.busy_timeout_s = busy_timeout_s
        # Opened here so a bad path fails at init(); the worker thread reuses it in this process.
        self._conn: sqlite3.Connection | None = open_sink(path, busy_timeout_s)
        self._pid = os.getpid()
        # Which file the connection writes: a sink deleted (or moved away) while the app runs
        # would otherwise take every later span into an unlinked file, counted as exported.
        self._identity = file_identity(path)
        self._lock = threading.Lock()
        if hasattr(os, "register_at_fork"):
            # The writer thread may hold the lock at the moment of a fork; the child has no such
            # thread, so it starts with a fresh lock (and its own connection, see _connection).
            ref = weakref.ref(self)

            def _after_fork_in_child() -> None:
                backend = ref()
                if backend is not None:
                    backend._lock = threading.Lock()

            os.register_at_fork(after_in_child=_after_fork_in_child)
        self._next_prune = 0.0
        self._write_errors = RateLimitedLog(logger, WRITE_ERROR_LOG_INTERVAL_S)
        self._checkpointer = Checkpointer(path, busy_timeout_s)

    @classmethod
    def from_settings(cls, settings: Settings) -> SQLiteBackend:
        return cls(settings.sink_path, settings.retention_days, prices=settings.prices)

    def _connection(self) -> sqlite3.Connection:
        """The writer's connection to the file now at ``path`` (one ``stat`` per transaction)."""
        pid = os.getpid()
        conn = self._conn
        if conn is not None and self._pid == pid and file_identity(self.path) == self._identity:
            return conn
        if conn is not None and self._pid == pid:
            logger.warning(
                "llm_agent: the SQLite sink %s was deleted or replaced while the app ran; "
                "spans go to a new file at that path from now on",
                self.path,
            )
            self._close_file()
        # (After fork the parent's connection must not be touched, not even closed, in the child.)
        self._conn = None
        self._conn = open_sink(self.path, self.busy_timeout_s)  # the schema, should the file be new
        self._pid = pid
        self._identity = file_identity(self.path)
        return self._conn

    def _close_file(self) -> None:
        # Both connections to the old file are closed before the new one is opened: the last one
        # to close takes the old file's -wal and -shm with it, which the new file must not inherit.
        self._checkpointer.close(1.0)
        self._checkpointer = Checkpointer(self.path, self.busy_timeout_s)
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass

    def export(self, records: Sequence[SpanRecord]) -> ExportResult:
        return self.export_values([values_from_record(r) for r in records])

    def export_values(self, values: Sequence[tuple[Any, ...]]) -> ExportResult:
        """Converter field tuples (``SpanRecord`` order), no ``SpanRecord`` objects."""
        return self.export_rows(rows_from_values(values))

    def row_converter(self) -> RowConverter:
        """The pipeline's fast path: its worker converts SDK spans straight to rows for ``export_rows``."""
        return RowConverter(_fast_encode)

    def export_rows(self, rows: list[tuple[Any, ...]]) -> ExportResult:
        """Write ``spans`` rows (``SPAN_COLUMNS`` order) and update the rollups, in one transaction."""
        with self._lock:
            try:
                rows = self._pricer.extend(rows)
                conn = self._connection()
                if self.retention_days > 0 and time.monotonic() >= self._next_prune:
                    self._next_prune = time.monotonic() + DEFAULT_PRUNE_INTERVAL_S
                    prune_connection(conn, self.retention_days * 86400.0)
                result = self._write(conn, rows)
                if file_identity(self.path) != self._identity:
                    # Deleted during the transaction: what it committed is not at ``path``, so the
                    # batch goes again, into the new file.
                    result = self._write(self._connection(), rows)
            except ConfigError as exc:  # the sink was deleted and cannot be made again
                self._write_errors.warning(
                    self.path, "llm_agent: cannot write to the SQLite sink %s: %s (batch dropped)", self.path, exc
                )
                return ExportResult.FAILURE
            except sqlite3.Error as exc:
                return self._classify(exc)
            except (OverflowError, ValueError, TypeError) as exc:
                # A value that SQLite cannot bind (an int past int64, text it cannot encode):
                # the batch fails for that row's sake, so the pipeline splits it (``INVALID``).
                self._write_errors.warning(
                    f"{self.path}:invalid", "llm_agent: the SQLite sink %s refused a span: %r", self.path, exc
                )
                return ExportResult.INVALID
        self._checkpointer.after_commit()
        return result

    def _write(self, conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> ExportResult:
        conn.execute("BEGIN IMMEDIATE")
        try:
            _sqlite_rollups.insert_rows(conn, _INSERT_SPANS_HEAD, rows, len(STORED_COLUMNS))
            _sqlite_rollups.update_rollups(conn, rows)
            conn.execute("COMMIT")
        except BaseException:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise
        return ExportResult.SUCCESS

    def _classify(self, exc: sqlite3.Error) -> ExportResult:
        code = getattr(exc, "sqlite_errorcode", None)
        msg = str(exc)
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in msg or "busy" in msg:
            return ExportResult.RETRYABLE
        if isinstance(exc, (sqlite3.DataError, sqlite3.InterfaceError)) or code == _SQLITE_TOOBIG:
            return ExportResult.INVALID  # one row's value (a string or blob too big...): split
        what = "the disk is full" if code == _SQLITE_FULL or "full" in msg else msg
        self._write_errors.warning(
            self.path, "llm_agent: cannot write to the SQLite sink %s: %s (batch dropped)", self.path, what
        )
        return ExportResult.FAILURE

    def flush(self, timeout_s: float) -> bool:
        return True  # every export commits

    def shutdown(self, timeout_s: float) -> None:
        self._checkpointer.close(min(1.0, timeout_s))
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None and self._pid == os.getpid():
                try:
                    conn.close()
                except sqlite3.Error:
                    pass


def prune_connection(conn: sqlite3.Connection, older_than_s: float) -> int:
    """Delete the traces that ended more than ``older_than_s`` ago with their spans; update sessions."""
    cutoff = time.time_ns() - int(older_than_s * 1e9)
    conn.execute("BEGIN IMMEDIATE")
    try:
        sessions = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT session_id FROM traces WHERE end_ns < ? AND session_id IS NOT NULL", (cutoff,)
            )
        ]
        deleted = conn.execute(
            "DELETE FROM spans WHERE trace_id IN (SELECT trace_id FROM traces WHERE end_ns < ?)", (cutoff,)
        ).rowcount
        conn.execute("DELETE FROM traces WHERE end_ns < ?", (cutoff,))
        for session in sessions:
            _sqlite_rollups.recompute_session(conn, session)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return deleted


def prune(path: str, older_than_s: float) -> int:
    """Retention: delete traces (and their spans) that ended more than ``older_than_s`` seconds ago.

    Returns the number of spans deleted.  Used by ``llm-agent prune --older-than 30d`` and by the
    sink itself when ``retention_days`` is set.
    """
    if older_than_s < 0:
        raise ValueError(f"older_than_s must be >= 0, got {older_than_s!r}")
    conn = open_sink(path)
    try:
        return prune_connection(conn, older_than_s)
    finally:
        conn.close()


def reprice(
    path: str,
    since_s: float | None = None,
    prices: Any = None,
    progress: Any = None,
) -> int:
    """Recompute the stored USD costs of the calls that started in the last ``since_s`` seconds
    (all when ``None``) with the installed genai-prices and ``prices`` (overrides: a file, a dict).

    Returns the number of calls repriced.  Used by ``llm-agent reprice``; resumable (docs/cost.md).
    """
    from llm_agent import _cost
    from llm_agent.backends._sqlite_reprice import reprice_connection

    overrides = _cost.load(prices)
    since_ns = 0 if since_s is None else time.time_ns() - int(since_s * 1e9)
    conn = open_sink(path)
    try:
        return reprice_connection(conn, since_ns, overrides, progress)
    finally:
        conn.close()
