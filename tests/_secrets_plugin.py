"""Session-wide collector for the secrets scan (tests/test_zz_secrets.py).

Loaded from tests/conftest.py with ``pytest_plugins = ["_secrets_plugin"]``. From the moment it is
imported until the scan runs it keeps:

* every span any SDK ``TracerProvider`` ends in this session (ours and other instrumentations'),
  as one JSON text per span: name, attributes, events with their attributes, resource, status;
* every record a llm_agent backend receives (``SpanRecord.to_dict()``);
* the path of every SQLite file opened in the session, to read every row of every table at the end;
* every log line emitted in the session (a handler on the root logger).

It also moves the scan test to the very end of the run, whatever the collection order.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

#: The test keys (tests/conftest.py) and the header names that must never be recorded.
NEEDLES = (
    "test_openai_api_key",
    "test_anthropic_api_key",
    "test_aws_access_key_id",  # tests/bedrock: the fake static AWS credentials
    "test_aws_secret_access_key",
    "AWS4-HMAC-SHA256",  # a SigV4 Authorization header value
    "Bearer ",
    "Authorization",
)
SCAN_NODE_SUFFIX = "test_zz_secrets.py"


class Collected:
    lock = threading.Lock()
    spans: list[str] = []
    records: list[str] = []
    logs: list[str] = []
    sqlite_paths: set[str] = set()
    active = False


def _remember(bucket: list[str], text: str) -> None:
    with Collected.lock:
        bucket.append(text)


def _span_text(span: Any) -> str:
    events = [{"name": e.name, "attributes": dict(e.attributes or {})} for e in getattr(span, "events", ())]
    return json.dumps(
        {
            "name": span.name,
            "attributes": dict(span.attributes or {}),
            "events": events,
            "resource": dict(span.resource.attributes) if span.resource is not None else {},
            "status": span.status.description,
        },
        default=repr,
    )


def _install_span_hook() -> None:
    from opentelemetry.sdk import trace as sdk_trace

    for cls in (sdk_trace.SynchronousMultiSpanProcessor, sdk_trace.ConcurrentMultiSpanProcessor):
        original = cls.on_end

        def on_end(self: Any, span: Any, _original: Any = original) -> None:
            try:
                _remember(Collected.spans, _span_text(span))
            except Exception as exc:  # the collector must never change a test's outcome
                _remember(Collected.spans, f"<unreadable span: {exc!r}>")
            _original(self, span)

        cls.on_end = on_end


def _install_record_hook() -> None:
    try:
        from llm_agent.export import _send as send_module
    except ImportError:
        return
    cls = getattr(send_module, "Sender", None)
    send = getattr(cls, "send", None) if cls is not None else None
    if send is None:
        return

    def _send(self: Any, items: Any, *args: Any, **kwargs: Any) -> Any:
        # items are SpanRecords (llm_agent backends) or SDK spans (plain SpanExporters)
        try:
            for item in items:
                to_dict = getattr(item, "to_dict", None)
                text = json.dumps(to_dict(), default=repr) if to_dict else _span_text(item)
                _remember(Collected.records, text)
        except Exception as exc:
            _remember(Collected.records, f"<unreadable records: {exc!r}>")
        return send(self, items, *args, **kwargs)

    cls.send = _send


def _install_sqlite_hook() -> None:
    original = sqlite3.connect

    def connect(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if (
            isinstance(database, (str, Path))
            and str(database) not in ("", ":memory:")
            and "mode=memory" not in str(database)
        ):
            with Collected.lock:
                Collected.sqlite_paths.add(str(database))
        return original(database, *args, **kwargs)

    sqlite3.connect = connect  # type: ignore[assignment]


class _LogCollector(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                text += " " + repr(record.exc_info[1])
        except Exception as exc:
            text = f"<unformattable log record: {exc!r}>"
        _remember(Collected.logs, f"{record.name}: {text}")


def sqlite_rows() -> list[str]:
    """Every row of every table of every SQLite file opened in the session that still exists."""
    out: list[str] = []
    for path in sorted(Collected.sqlite_paths):
        file = Path(path.removeprefix("file:").split("?", 1)[0])
        if not file.is_file():
            continue
        try:
            with sqlite3.connect(f"file:{file}?mode=ro", uri=True) as db:
                tables = [r[0] for r in db.execute("select name from sqlite_master where type = 'table'")]
                for table in tables:
                    for row in db.execute(f'select * from "{table}"'):
                        out.append(f"{file.name}:{table}: " + " ".join(map(str, row)))
        except sqlite3.Error:
            continue  # not a database we can read (corruption tests): nothing to scan
    return out


def scan(texts: list[str]) -> list[str]:
    """The texts that contain a needle (each cut to 300 characters around the first hit)."""
    hits = []
    for text in texts:
        for needle in NEEDLES:
            at = text.find(needle)
            if at >= 0:
                hits.append(f"{needle!r} in ...{text[max(0, at - 120) : at + 180]}...")
                break
    return hits


def pytest_configure(config: pytest.Config) -> None:
    if Collected.active:
        return
    Collected.active = True
    _install_span_hook()
    _install_record_hook()
    _install_sqlite_hook()
    logging.getLogger().addHandler(_LogCollector(level=logging.NOTSET))


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """The scan runs after everything else."""
    last = [i for i in items if i.nodeid.split("::")[0].endswith(SCAN_NODE_SUFFIX)]
    if last:
        items[:] = [i for i in items if i not in last] + last
