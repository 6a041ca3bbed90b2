"""The same spans in both stores: a SQLite sink and an ``otel_traces`` table in chdb.

Spans come from the analysis tests' scenario (tests/analysis/analysis_scenario.py), two ways:

* ``openai``: real instrumented OpenAI SDK calls over ``httpx2.MockTransport`` through
  ``llm_agent.init(backends=["sqlite", exporter])``: the sink gets them through its write path,
  and an in-memory OpenTelemetry ``SpanExporter`` (the stand-in for OTLP -> Collector) hands the
  finished SDK spans to ``rows_from_spans``, which writes them as the Collector's ClickHouse
  exporter would;
* ``records``: the scenario's ``SpanRecord``s, captured on their way into the sink.

Both tables are created with the exporter's DDL (``TRACES_DDL``).  Without chdb every test here
is skipped with the reason (``needs_chdb``).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from llm_agent.analysis.clickhouse import (
    TRACES_DDL,
    insert_sql,
    rows_from_spans,
    sessions_rollup_statements,
)
from llm_agent.analysis.clickhouse._client import ChdbConnection

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(_HERE), "analysis"))
sys.path.insert(0, _HERE)

import analysis_scenario as scenario  # noqa: E402

TABLE = "otel_traces"


def _records_driver(path: str) -> list[Any]:
    """The scenario's records through the sink's write path, captured on the way in."""
    from llm_agent.backends.sqlite import SQLiteBackend

    captured: list[Any] = []
    original = SQLiteBackend.export

    def export(self: SQLiteBackend, records: Any) -> Any:
        captured.extend(records)
        return original(self, records)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SQLiteBackend, "export", export)
        scenario.build_with_records(path)
    return captured


def _openai_driver(path: str) -> list[Any]:
    """Real instrumented calls; the sink and an in-memory SpanExporter receive the same spans."""
    import httpx2
    import openai
    import opentelemetry.sdk.trace as sdk_trace
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import llm_agent

    exporter = InMemorySpanExporter()
    clock = scenario.FakeClock(scenario.T0_NS)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sdk_trace, "time_ns", clock)
        llm_agent.shutdown()
        llm_agent.init(
            backends=["sqlite", exporter], sink_path=path, instrument=["openai"], schedule_delay_s=0.05,
            prices=scenario.PRICES,
        )
        try:
            client = openai.OpenAI(
                api_key="test_openai_api_key",
                base_url="http://llm.test/v1",
                max_retries=0,
                http_client=httpx2.Client(transport=httpx2.MockTransport(scenario._handler(clock))),
            )
            for sess in scenario.SCENARIO:
                clock.ns = scenario.T0_NS + int(sess.offset_s * scenario.S)
                with llm_agent.session(sess.session_id, user_id=sess.user):
                    for n, turn in enumerate(sess.turns, start=1):
                        clock.advance(turn.think_s)
                        with llm_agent.trace(f"turn-{n}"):
                            for call in turn.calls:
                                scenario._openai_call(client, call)
            assert llm_agent.flush(10.0)
        finally:
            llm_agent.shutdown()
    return list(exporter.get_finished_spans())


def load_chdb(directory: str, spans: list[Any], rollup: bool) -> str:
    """Create ``otel_traces`` (exporter DDL) in a chdb data dir, optionally the sessions rollup,
    insert the spans as exporter rows; returns the store URL."""
    conn = ChdbConnection(directory)
    try:
        table = f"`default`.`{TABLE}`"
        conn.execute(TRACES_DDL.format(table=table))
        if rollup:
            for statement in sessions_rollup_statements("default", TABLE)[:2]:  # table + view
                conn.execute(statement)
        rows = rows_from_spans(spans)
        # Two inserts in reverse order, like the sink's batches: nothing may depend on arrival order.
        half = len(rows) // 2
        conn.execute(insert_sql(table, rows[half:]))
        conn.execute(insert_sql(table, rows[:half]))
    finally:
        conn.close()
    return f"chdb://{directory}?table={TABLE}"


@pytest.fixture(scope="session", params=["records", "openai"])
def spans_pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``{"sqlite": path, "spans": [...]}`` for one driver."""
    base = tmp_path_factory.mktemp(f"ch-{request.param}")
    path = str(base / "sink.sqlite")
    if request.param == "openai":
        if not scenario._openai_available():
            pytest.skip("llm_agent.instrumentation.openai is not available yet")
        spans = _openai_driver(path)
    else:
        spans = _records_driver(path)
    assert spans and os.path.exists(path)
    yield {"sqlite": path, "spans": spans, "base": base, "driver": request.param}


@pytest.fixture(scope="session", params=["query-time", "rollup-view"])
def chdb_url(request: pytest.FixtureRequest, spans_pair: dict[str, Any]) -> str:
    directory = str(spans_pair["base"] / f"chdb-{request.param}")
    return load_chdb(directory, spans_pair["spans"], rollup=request.param == "rollup-view")


@pytest.fixture
def stores(spans_pair: dict[str, Any], chdb_url: str) -> Iterator[tuple[Any, Any]]:
    import llm_agent.analysis

    with contextlib.closing(llm_agent.analysis.open(spans_pair["sqlite"])) as lite:
        # The ClickHouse store prices at query time: with the prices the sink was recorded with.
        with contextlib.closing(llm_agent.analysis.open(chdb_url, prices=scenario.PRICES)) as ch:
            yield lite, ch


@pytest.fixture(scope="session")
def ref() -> dict[str, Any]:
    return scenario.reference()
