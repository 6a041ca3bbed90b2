"""``traces()`` returns identical rows from SQLite and ClickHouse (chdb) on the same spans.

The spans are the Trace Explorer's scenario (tests/analysis/trace_scenario.py: the shared
scenario plus sessionless traces with tools, agents and errors), written to a SQLite sink
through its write path and to an ``otel_traces`` table as the Collector's exporter would.  Every
filter case of tests/analysis/test_traces.py runs on both; SQLite is checked against the
reference rows there, so equality here pins ClickHouse to the same numbers.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from clickhouse_support import needs_chdb

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "analysis"))

from analysis_scenario import PRICES
from test_traces import CASES, W, _case_id
from trace_scenario import SESSIONLESS_IDS, build_trace_sink, trace_records

import llm_agent.analysis

pytestmark = needs_chdb


def _load_chdb(directory: str, records: list[Any]) -> str:
    """``otel_traces`` (the exporter's DDL) in a chdb data dir holding ``records`` as exporter rows."""
    from llm_agent.analysis.clickhouse import TRACES_DDL, insert_sql, rows_from_spans
    from llm_agent.analysis.clickhouse._client import ChdbConnection

    conn = ChdbConnection(directory)
    try:
        conn.execute(TRACES_DDL.format(table="`default`.`otel_traces`"))
        conn.execute(insert_sql("`default`.`otel_traces`", rows_from_spans(records)))
    finally:
        conn.close()
    return f"chdb://{directory}?table=otel_traces"


@pytest.fixture(scope="module")
def trace_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    base = tmp_path_factory.mktemp("ch-traces")
    path = str(base / "sink.sqlite")
    build_trace_sink(path)
    url = _load_chdb(str(base / "chdb"), trace_records())
    with contextlib.closing(llm_agent.analysis.open(path)) as lite:
        # The sink priced its calls with the scenario's declared prices: the store prices the same way.
        with contextlib.closing(llm_agent.analysis.open(url, prices=PRICES)) as ch:
            yield lite, ch


@pytest.mark.parametrize("query,pred", CASES, ids=_case_id)
def test_traces_parity(trace_stores: tuple[Any, Any], query: dict[str, Any], pred: Any) -> None:
    lite, ch = trace_stores
    expected = lite.traces(**W, **query, limit=None)
    assert ch.traces(**W, **query, limit=None) == expected
    assert ch.count_traces(**W, **query) == len(expected)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"order_by": "-duration_s", "limit": 3},
        {"order_by": "user", "limit": 5, "offset": 2},
        {"order_by": "-ttft_s"},
        {"order_by": "models"},
        {"order_by": "start", "offset": 12},
        {"since": "2026-03-01T10:33:25Z", "until": "2026-03-01T10:33:26Z"},  # inside one trace
        {"since": "2026-05-01T00:00:00Z", "until": "2026-05-02T00:00:00Z"},
    ],
    ids=_case_id,
)
def test_traces_order_paging_window_parity(trace_stores: tuple[Any, Any], kwargs: dict[str, Any]) -> None:
    lite, ch = trace_stores
    query = {**W, **kwargs}
    expected = lite.traces(**query)
    assert ch.traces(**query) == expected
    assert list(ch.iter_traces(**query)) == expected


def test_clickhouse_sees_the_sessionless_traces(trace_stores: tuple[Any, Any]) -> None:
    _, ch = trace_stores
    rows = ch.traces(**W, where="session_id is null", limit=None)
    assert [t.trace_id for t in rows] == list(reversed(SESSIONLESS_IDS))
    assert rows[2].tool_names == ("refund", "search_orders")
