"""The no-double-count rule on ClickHouse: the crafted traces of tests/backends/usage_trees.py, inserted
in other orders and blocks, give exactly the SQLite sink's results (and the cases' own figures)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import random
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from clickhouse_support import needs_chdb

import llm_agent.analysis
from llm_agent.analysis.clickhouse import TRACES_DDL, insert_sql, rows_from_spans
from llm_agent.analysis.clickhouse._client import ChdbConnection
from llm_agent.backends.sqlite import SQLiteBackend
from llm_agent.export import to_record

_TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(_TESTS, "backends"))

import usage_trees as trees  # noqa: E402

pytestmark = needs_chdb
WINDOW = {"since": "2026-03-01T09:00:00Z", "until": "2026-03-01T12:00:00Z"}


def _make_span() -> Any:
    name = "llm_agent_test_spans"  # the module object tests/export and tests/backends share
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, os.path.join(_TESTS, "export", "_spans.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name].make_span


@pytest.fixture(scope="module")
def spans() -> list[Any]:
    make_span = _make_span()
    return [s for case in trees.CASES for s in trees.make_spans(make_span, case)]


@pytest.fixture(scope="module")
def sqlite_path(spans: list[Any], tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("usage-sqlite") / "sink.sqlite")
    backend = SQLiteBackend(path)
    backend.export([to_record(s) for s in spans])
    backend.shutdown(1.0)
    return path


@pytest.fixture(scope="module", params=["reversed", "shuffled"])
def chdb_url(request: pytest.FixtureRequest, spans: list[Any], tmp_path_factory: pytest.TempPathFactory) -> str:
    directory = str(tmp_path_factory.mktemp(f"usage-chdb-{request.param}"))
    rows = rows_from_spans(spans)
    if request.param == "reversed":
        rows.reverse()
    else:
        random.Random(7).shuffle(rows)
    conn = ChdbConnection(directory)
    try:
        table = "`default`.`otel_traces`"
        conn.execute(TRACES_DDL.format(table=table))
        third = len(rows) // 3
        for block in (rows[:third], rows[third : 2 * third], rows[2 * third :]):  # three insert blocks
            conn.execute(insert_sql(table, block))
    finally:
        conn.close()
    return f"chdb://{directory}?table=otel_traces"


@pytest.fixture(scope="module")
def stores(sqlite_path: str, chdb_url: str) -> Iterator[tuple[Any, Any]]:
    with contextlib.closing(llm_agent.analysis.open(sqlite_path)) as lite:
        with contextlib.closing(llm_agent.analysis.open(chdb_url)) as ch:
            yield lite, ch


def test_sessions_and_their_traces_match_the_cases(stores: tuple[Any, Any]) -> None:
    lite, ch = stores
    sessions = ch.sessions(**WINDOW, limit=None)
    assert sessions == lite.sessions(**WINDOW, limit=None)
    figures = {s.session_id: (s.llm_calls, s.input_tokens, s.output_tokens) for s in sessions}
    assert figures == {trees.session_id(c): c.figures[:3] for c in trees.CASES}
    for case in trees.CASES:
        detail = ch.session(trees.session_id(case))
        assert detail == lite.session(trees.session_id(case))
        (trace,) = detail.traces
        assert (trace.llm_calls, trace.input_tokens, trace.output_tokens, trace.usage_missing_calls) == case.figures


def test_users_models_and_each_model_match(stores: tuple[Any, Any]) -> None:
    lite, ch = stores
    assert ch.users(**WINDOW) == lite.users(**WINDOW)
    models = ch.models(**WINDOW)
    assert models == lite.models(**WINDOW)
    # LiteLLM's outer span (openai/gpt-4o) never counts; every other model does.
    assert sorted(m.model for m in models) == ["gpt-4o", "text-embedding-3-small"]
    for name in ("gpt-4o", "text-embedding-3-small", "openai/gpt-4o"):
        assert ch.model(name, **WINDOW) == lite.model(name, **WINDOW)


def test_a_model_window_holding_only_the_outer_span_still_applies_the_rule(stores: tuple[Any, Any]) -> None:
    """The rule is decided over whole traces, not over the spans a time window selects."""
    lite, ch = stores
    (case,) = [c for c in trees.CASES if c.name == "parent-child"]
    start = trees.T0 + case.index * 10_000 * trees.MS
    # The framework span starts at +100 ms, the SDK span at +200 ms: a window of [+100, +150] ms.
    window = {"since": (start + 100 * trees.MS) / 1e9, "until": (start + 150 * trees.MS) / 1e9}
    assert ch.models(**window) == lite.models(**window) == []


def test_the_trace_tree_marks_the_spans_that_count(stores: tuple[Any, Any]) -> None:
    lite, ch = stores
    for case in trees.CASES:
        tid = format(trees.trace_id(case), "032x")
        for store in (lite, ch):
            tree = store.trace(tid)
            assert {s.name for s in tree.spans if s.usage_counted} == case.counted, (case.name, store)
            # The outer spans keep their own usage.
            assert {s.name: (s.input_tokens, s.output_tokens) for s in tree.spans if s.input_tokens is not None} == {
                s.name: (s.usage[0], s.usage[1]) for s in case.spans if s.usage is not None
            }
