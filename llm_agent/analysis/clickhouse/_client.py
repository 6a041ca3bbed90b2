"""Connections: ``clickhouse://`` (a server, via clickhouse-connect) and ``chdb://`` (embedded, via chdb).

Both drivers are optional and imported only when a URL asks for them.  Every query goes through
``Connection.query(sql, params)``: values travel as server-side bound parameters (``{p0:String}``
placeholders in the SQL text, the values beside it), never pasted into the SQL.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any, Final, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from llm_agent._secrets import redact_url, scrub_secrets

#: The table the Collector's ClickHouse exporter writes spans to (its ``traces_table_name`` default).
DEFAULT_TABLE: Final = "otel_traces"
DEFAULT_DATABASE: Final = "default"
#: clickhouse-connect's HTTP request timeout for one analysis query.
DEFAULT_QUERY_TIMEOUT_S: Final = 30.0
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Inputs the queries depend on: 64-bit integers as JSON numbers (not quoted strings), UTC.
_CHDB_SETTINGS: Final = (
    "SET output_format_json_quote_64bit_integers = 0",
    "SET session_timezone = 'UTC'",
)


class Connection(Protocol):
    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed store URL."""

    scheme: str  # "clickhouse", "clickhouses" or "chdb"
    host: str | None
    port: int | None
    database: str
    table: str
    path: str | None  # chdb: the data directory, None = in memory
    username: str | None
    password: str | None
    options: dict[str, str]

    @property
    def qualified_table(self) -> str:
        return f"`{self.database}`.`{self.table}`"


def identifier(value: str, what: str) -> str:
    """A database / table name, checked: names are part of the SQL text, so only plain ones pass."""
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise ValueError(f"{what} must be a plain identifier (letters, digits, _), got {value!r}")
    return value


def parse_url(url: str) -> Target:
    """``clickhouse://user:pass@host:8123/db?table=otel_traces``, ``chdb:///data/dir?table=...``,
    ``chdb://:memory:``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    table = identifier(query.pop("table", DEFAULT_TABLE), "table")
    if scheme == "chdb":
        raw = unquote(parts.netloc + parts.path)
        path = None if raw in ("", ":memory:", "/:memory:") else raw
        database = identifier(query.pop("database", DEFAULT_DATABASE), "database")
        return Target(scheme, None, None, database, table, path, None, None, query)
    if scheme not in ("clickhouse", "clickhouses"):
        raise ValueError(f"not a ClickHouse URL: {redact_url(url)!r} (use clickhouse://host:8123/db or chdb:///dir)")
    if not parts.hostname:
        raise ValueError(f"no host in {redact_url(url)!r} (use clickhouse://host:8123/db)")
    database = identifier(unquote(parts.path.lstrip("/")) or query.pop("database", DEFAULT_DATABASE), "database")
    return Target(
        scheme,
        parts.hostname,
        parts.port,
        database,
        table,
        None,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
        query,
    )


def connect(target: Target, **options: Any) -> Connection:
    if target.scheme == "chdb":
        return ChdbConnection(target.path)
    return ServerConnection(target, **options)


class ChdbConnection:
    """An embedded ClickHouse (chdb) session over a data directory, or in memory."""

    def __init__(self, path: str | None) -> None:
        try:
            from chdb import session as chdb_session
        except ImportError as exc:
            raise ImportError("chdb:// URLs need chdb: pip install 'llm-agent[chdb]'") from exc
        self._session: Any = chdb_session.Session(path) if path else chdb_session.Session()
        self._lock = threading.Lock()  # one chdb session serves one query at a time
        for statement in _CHDB_SETTINGS:
            self._session.query(statement)

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            if self._session is None:
                raise ValueError("the store is closed")
            result = self._session.query(sql, "JSONCompact", params=params or None)
        text = result.bytes() if hasattr(result, "bytes") else bytes(result)
        if not text.strip():
            return []
        doc = json.loads(text)
        names = [m["name"] for m in doc["meta"]]
        return [dict(zip(names, row, strict=True)) for row in doc["data"]]

    def execute(self, sql: str) -> None:
        """Run a statement (DDL, ``INSERT ... FORMAT JSONEachRow``): for setting up tables and tests."""
        with self._lock:
            if self._session is None:
                raise ValueError("the store is closed")
            self._session.query(sql)

    def close(self) -> None:
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            session.close()


class ServerConnection:
    """A ClickHouse server over HTTP(S) through clickhouse-connect (server-side parameter binding)."""

    def __init__(self, target: Target, query_timeout_s: float = DEFAULT_QUERY_TIMEOUT_S, **kwargs: Any) -> None:
        try:
            import clickhouse_connect
        except ImportError as exc:
            raise ImportError(
                "clickhouse:// URLs need clickhouse-connect: pip install 'llm-agent[clickhouse]'"
            ) from exc
        secure = target.scheme == "clickhouses" or target.options.get("secure", "").lower() in ("1", "true")
        port = target.port or (8443 if secure else 8123)
        self._where = f"{target.host}:{port}"
        try:  # clickhouse-connect asks the server for its version here: an unreachable one fails now
            self._client: Any = clickhouse_connect.get_client(
                host=target.host,
                port=port,
                username=target.username or "default",
                password=target.password or "",
                database=target.database,
                secure=secure,
                send_receive_timeout=query_timeout_s,
                settings={"session_timezone": "UTC"},
                # No server session: the web page queries from several threads at once, and one
                # ClickHouse session runs one query at a time.
                autogenerate_session_id=False,
                **kwargs,
            )
        except Exception as exc:
            raise _unreachable(exc, self._where) from exc

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            result = self._client.query(sql, parameters=params or None)
        except Exception as exc:  # the server went away between queries
            raise _unreachable(exc, self._where) from exc
        names = list(result.column_names)
        return [dict(zip(names, row, strict=True)) for row in result.result_rows]

    def execute(self, sql: str) -> None:
        self._client.command(sql)

    def close(self) -> None:
        self._client.close()


def _unreachable(exc: Exception, where: str) -> Exception:
    """A ``ConnectionError`` with one clear line for a server that cannot be reached; any other
    error (a query the server refused, a bug) unchanged.

    clickhouse-connect reports a refused or timed-out connection as its ``OperationalError``
    (wrapping urllib3's), with the whole retry history in the message.
    """
    if not isinstance(exc, OSError) and type(exc).__name__ != "OperationalError":
        return exc
    first = scrub_secrets(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    return ConnectionError(f"cannot reach ClickHouse at {where}: {first}")
