"""``transcript()`` is the same on ClickHouse as on SQLite: the agent session of the analysis tests,
its SDK spans written as the Collector's exporter rows, its records into the sink."""

from __future__ import annotations

import contextlib
from pathlib import Path

import agent_scenario  # tests/analysis, on the path by conftest.py
from clickhouse_support import needs_chdb
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import llm_agent.analysis
from llm_agent.analysis.clickhouse import TRACES_DDL, insert_sql, rows_from_spans
from llm_agent.analysis.clickhouse._client import ChdbConnection

pytestmark = needs_chdb


def test_the_transcript_is_the_same_in_both_stores(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    db = str(tmp_path / "sink.sqlite")
    agent_scenario.record(db, backends=("sqlite", exporter))
    conn = ChdbConnection(str(tmp_path / "chdb"))
    try:
        conn.execute(TRACES_DDL.format(table="`default`.`otel_traces`"))
        rows = rows_from_spans(list(exporter.get_finished_spans()))
        conn.execute(insert_sql("`default`.`otel_traces`", rows[::-1]))  # arrival order must not matter
    finally:
        conn.close()
    with contextlib.closing(llm_agent.analysis.open(db)) as lite:
        with contextlib.closing(llm_agent.analysis.open(f"chdb://{tmp_path / 'chdb'}?table=otel_traces")) as ch:
            expected = lite.transcript(agent_scenario.SESSION_ID)
            assert ch.transcript(agent_scenario.SESSION_ID) == expected
            assert ch.transcript("no-such-session") is None
    assert expected is not None and expected.content_captured
    assert [(len(t.tool_calls), t.answer is not None) for t in expected.turns] == [(1, True), (1, True)]
