"""URLs, parameter binding, the exporter's value formatting, and failure modes of the ClickHouse store."""

from __future__ import annotations

import json
from typing import Any

import pytest
from clickhouse_support import needs_chdb

import llm_agent.analysis
from llm_agent.analysis import _sql, parse
from llm_agent.analysis.clickhouse import TRACES_DDL, attribute_string, insert_sql, parse_url, rows_from_spans
from llm_agent.analysis.clickhouse._client import ChdbConnection
from llm_agent.analysis.clickhouse._queries import Dialect
from llm_agent.analysis.sqlite import SESSION_COLUMNS
from llm_agent.backends._types import SpanRecord


def test_parse_urls() -> None:
    t = parse_url("clickhouse://bob:s%40cret@ch.internal:8124/otel?table=llm_traces")
    assert (t.scheme, t.host, t.port, t.database, t.table, t.username, t.password) == (
        "clickhouse",
        "ch.internal",
        8124,
        "otel",
        "llm_traces",
        "bob",
        "s@cret",
    )
    assert t.qualified_table == "`otel`.`llm_traces`"
    d = parse_url("chdb:///var/data/ch")
    assert (d.scheme, d.path, d.database, d.table) == ("chdb", "/var/data/ch", "default", "otel_traces")
    assert parse_url("chdb://:memory:").path is None
    assert parse_url("clickhouses://ch.example/db").scheme == "clickhouses"


@pytest.mark.parametrize(
    "url",
    [
        "clickhouse://h/db?table=x;DROP",
        "clickhouse://h/db`x",
        "chdb:///d?database=a b",
        "clickhouse:///db",
        "mysql://h/db",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_url(url)


def test_filter_values_are_bound_never_pasted() -> None:
    evil = "x' OR 1=1 --"
    node = parse(f"user == \"{evil}\" and duration_s > 2m and traces in (1, 2.5) and session_id contains '%_'")
    dialect = Dialect()
    sql = _sql.compile_node(node, SESSION_COLUMNS, dialect)
    assert sql == (
        "(has(splitByChar(',', users), {p0:String}) AND duration_ns > {p1:Int64} AND trace_count IN "
        "({p2:Int64}, {p3:Float64}) AND position(session_id, {p4:String}) > 0)"
    )
    assert dialect.params == {"p0": evil, "p1": 120_000_000_000, "p2": 1, "p3": 2.5, "p4": "%_"}


def test_not_equal_keeps_sessions_without_the_field() -> None:
    dialect = Dialect()
    assert _sql.compile_node(parse("user_id != 'alice'"), SESSION_COLUMNS, dialect) == (
        "(user_id IS NULL OR user_id <> {p0:String})"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (-7, "-7"),
        (1.0, "1"),
        (0.25, "0.25"),
        (100.0, "100"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e-5, "0.00001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (1e21, "1e+21"),
        (123456789012.5, "123456789012.5"),
        (["stop", "length"], '["stop","length"]'),
        ((1, 2), "[1,2]"),
        ({"a": 1}, '{"a":1}'),
    ],
)
def test_attribute_values_as_the_exporter_writes_them(value: Any, text: str) -> None:
    # pdata Value.AsString: Go strconv for ints / bools, ES6 number formatting for doubles, JSON for arrays.
    assert attribute_string(value) == text


def test_row_shape_matches_the_exporter() -> None:
    record = SpanRecord(
        trace_id="0" * 31 + "1",
        span_id="0" * 15 + "2",
        parent_span_id=None,
        name="chat gpt-4o",
        kind="CLIENT",
        start_ns=1_772_359_200_123_456_789,
        end_ns=1_772_359_201_000_000_000,
        status="ERROR",
        status_message="boom",
        service_name="svc",
        scope_name="llm_agent",
        attributes={"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 12, "session.id": "s1"},
        resource={"service.name": "svc"},
        events=({"name": "exception", "time_ns": 1_772_359_200_500_000_000, "attributes": {"exception.type": "E"}},),
    )
    (row,) = rows_from_spans([record])
    assert row == {
        "Timestamp": "1772359200.123456789",
        "TraceId": "0" * 31 + "1",
        "SpanId": "0" * 15 + "2",
        "ParentSpanId": "",
        "TraceState": "",
        "SpanName": "chat gpt-4o",
        "SpanKind": "Client",
        "ServiceName": "svc",
        "ResourceAttributes": {"service.name": "svc"},
        "ScopeName": "llm_agent",
        "ScopeVersion": "",
        "SpanAttributes": {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": "12", "session.id": "s1"},
        "Duration": 876_543_211,
        "StatusCode": "Error",
        "StatusMessage": "boom",
        "Events.Timestamp": ["1772359200.500000000"],
        "Events.Name": ["exception"],
        "Events.Attributes": [{"exception.type": "E"}],
        "Links.TraceId": [],
        "Links.SpanId": [],
        "Links.TraceState": [],
        "Links.Attributes": [],
    }
    assert json.loads(insert_sql("t", [row]).split("\n", 1)[1]) == row


@needs_chdb
def test_missing_table_is_a_clear_error(tmp_path: Any) -> None:
    with pytest.raises(LookupError, match=r"no table default\.otel_traces"):
        llm_agent.analysis.open(f"chdb://{tmp_path}/empty")


@needs_chdb
def test_empty_table_answers_empty(tmp_path: Any) -> None:
    conn = ChdbConnection(str(tmp_path / "ch"))
    try:
        conn.execute(TRACES_DDL.format(table="`default`.`llm`"))
    finally:
        conn.close()
    with llm_agent.analysis.open(f"chdb://{tmp_path}/ch?table=llm") as store:
        assert store.sessions() == []
        assert store.session("s") is None
        assert store.trace("t") is None
        assert store.models() == []
        assert store.users() == []
        analysis = store.model("gpt-4o", since="1h", bucket="5m")
        assert (analysis.requests, analysis.latency.count, len(analysis.series)) == (0, 0, 13)
    with pytest.raises(ValueError, match="closed"):
        store.sessions()


@needs_chdb
def test_unknown_sort_column_and_bad_filter_fail_before_querying(tmp_path: Any) -> None:
    conn = ChdbConnection(str(tmp_path / "ch"))
    try:
        conn.execute(TRACES_DDL.format(table="`default`.`otel_traces`"))
    finally:
        conn.close()
    with llm_agent.analysis.open(f"chdb://{tmp_path}/ch") as store:
        with pytest.raises(ValueError, match="cannot sort by"):
            store.sessions(order_by="password")
        with pytest.raises(llm_agent.analysis.FilterError, match="unknown field"):
            store.sessions(where="password == 1")
