"""The analysis API over ClickHouse: the ``otel_traces`` table the OpenTelemetry Collector writes.

    import llm_agent.analysis

    with llm_agent.analysis.open("clickhouse://user:pass@ch.internal:8123/otel?table=otel_traces") as store:
        store.sessions(since="1h", min_duration_s=30)
    llm_agent.analysis.open("chdb:///var/lib/otel-ch?table=otel_traces")     # embedded (chdb), a data dir
    llm_agent.analysis.open("chdb://:memory:")                              # embedded, in memory

Drivers are optional extras: ``pip install 'llm-agent[clickhouse]'`` (clickhouse-connect, for a
server over HTTP) or ``'llm-agent[chdb]'`` (the embedded engine).  See docs/at-scale.md.
"""

from __future__ import annotations

from typing import Any

from llm_agent.analysis.clickhouse._client import DEFAULT_DATABASE, DEFAULT_TABLE, parse_url
from llm_agent.analysis.clickhouse._rows import TRACES_DDL, attribute_string, insert_sql, rows_from_spans
from llm_agent.analysis.clickhouse._store import ClickHouseStore
from llm_agent.analysis.clickhouse._views import create_statements as sessions_rollup_statements


def open(url: str, **options: Any) -> ClickHouseStore:
    """A store over ``url`` (``clickhouse://``, ``clickhouses://`` or ``chdb://``).

    Options: ``use_views=False`` ignores the sessions rollup; for servers, ``query_timeout_s`` and
    any ``clickhouse_connect.get_client`` keyword.
    """
    return ClickHouseStore(url, **options)


__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_TABLE",
    "TRACES_DDL",
    "ClickHouseStore",
    "attribute_string",
    "insert_sql",
    "open",
    "parse_url",
    "rows_from_spans",
    "sessions_rollup_statements",
]
