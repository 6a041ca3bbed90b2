"""The no-double-count rule in the SQLite sink: crafted traces (usage_trees.py) in every arrival
order and batch split give the same flags and the exact trace, session, user and model figures."""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict

import pytest
import usage_trees as trees
from rollup_check import assert_rollups_match

import llm_agent.analysis
from llm_agent.backends import ExportResult
from llm_agent.backends._usage_rule import UsageSpan, uncounted
from llm_agent.backends.sqlite import SQLiteBackend
from llm_agent.export import to_record

ORDERS = ["natural", "reversed", "shuffled-0", "shuffled-1", "shuffled-2"]
WINDOW = {"since": "2026-03-01T09:00:00Z", "until": "2026-03-01T12:00:00Z"}


def _spans(make_span) -> list:
    return [span for case in trees.CASES for span in trees.make_spans(make_span, case)]


def _ordered(spans: list, order: str) -> list:
    if order == "natural":
        return list(spans)
    if order == "reversed":
        return spans[::-1]
    out = list(spans)
    random.Random(int(order.rsplit("-", 1)[1])).shuffle(out)
    return out


def _write(path: str, spans: list, batch: int) -> None:
    backend = SQLiteBackend(path)
    records = [to_record(s) for s in spans]
    for i in range(0, len(records), batch):
        assert backend.export(records[i : i + batch]) is ExportResult.SUCCESS
    backend.shutdown(1.0)


def _expected_models() -> dict[str, tuple[int, int, int]]:
    """model -> (requests, input, output) over the spans that count."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for case in trees.CASES:
        for s in case.spans:
            if s.name in case.counted:
                m = out[s.model]
                m[0] += 1
                if s.usage is not None:
                    m[1] += s.usage[0]
                    m[2] += s.usage[1] or 0
    return {k: tuple(v) for k, v in out.items()}


@pytest.mark.parametrize("batch", [1, 3, 64])
@pytest.mark.parametrize("order", ORDERS)
def test_each_model_call_counts_once_in_any_arrival_order(tmp_path, make_span, order, batch):
    path = str(tmp_path / "sink.sqlite")
    _write(path, _ordered(_spans(make_span), order), batch)
    assert_rollups_match(path)  # the independent recomputation, flags included
    conn = sqlite3.connect(path)
    try:
        flags = dict(conn.execute("SELECT trace_id || '/' || span_id, usage_counted FROM spans").fetchall())
        traces = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT trace_id, llm_calls, input_tokens, output_tokens, usage_missing_calls FROM traces"
            )
        }
        sessions = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT session_id, llm_calls, input_tokens, output_tokens, total_tokens FROM sessions"
            )
        }
        # The outer spans keep their usage in their columns.
        outer = conn.execute("SELECT input_tokens, output_tokens FROM spans WHERE name = 'generation'").fetchall()
    finally:
        conn.close()
    assert outer == [(300, 30)]
    for case in trees.CASES:
        tid = format(trees.trace_id(case), "032x")
        counted = {k.split("/")[1] for k, v in flags.items() if v and k.startswith(tid)}
        assert counted == trees.counted_span_hex(case), case.name
        assert traces[tid] == case.figures, case.name
        calls, tin, tout, _ = case.figures
        assert sessions[trees.session_id(case)] == (calls, tin, tout, tin + tout), case.name
    with llm_agent.analysis.open(path) as store:
        models = {m.model: (m.requests, m.input_tokens, m.output_tokens) for m in store.models(**WINDOW)}
        assert models == _expected_models()
        gpt = store.model("gpt-4o", **WINDOW)
        assert (gpt.requests, gpt.input_tokens, gpt.output_tokens) == _expected_models()["gpt-4o"]
        assert store.model("openai/gpt-4o", **WINDOW).requests == 0  # LiteLLM's outer span
        users = {u.user_id: (u.traces, u.llm_calls, u.input_tokens, u.output_tokens) for u in store.users(**WINDOW)}
    expected_users: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for case in trees.CASES:
        u = expected_users[case.user]
        u[0] += 1
        for i, v in enumerate(case.figures[:3]):
            u[1 + i] += v
    assert users == {k: tuple(v) for k, v in expected_users.items()}


LATE = "SELECT llm_calls, input_tokens, output_tokens, usage_missing_calls FROM traces"


@pytest.mark.parametrize(
    ("case_name", "late", "before"),
    [
        # The outer span counts until its inner span arrives in a later batch; then only the inner one.
        ("siblings-in-time", {"sdk"}, (1, 100, 50, 0)),
        # The known step last: before it, ai.generateText counts (its step without usage does
        # not); after it, both steps count and the outer span does not.
        ("vercel-step-missing", {"ai.generateText.doGenerate"}, (1, 30, 11, 0)),
        # Before the root arrives, langchain's ancestry ends at "chain" and sdk's at "root": no
        # shared ancestor, both count; the root and the chain link them, and the covering one stops.
        ("cousins-in-time", {"root", "chain"}, (2, 110, 55, 0)),
    ],
)
def test_a_later_batch_moves_the_count(tmp_path, make_span, case_name, late, before):
    (case,) = [c for c in trees.CASES if c.name == case_name]
    spans = trees.make_spans(make_span, case)
    path = str(tmp_path / "sink.sqlite")
    backend = SQLiteBackend(path)
    backend.export([to_record(s) for s in spans if s.name not in late])
    conn = sqlite3.connect(path)
    try:
        assert conn.execute(LATE).fetchall() == [before]
        backend.export([to_record(s) for s in spans if s.name in late])
        assert conn.execute(LATE).fetchall() == [case.figures]
        calls, tin, tout, _ = case.figures
        sessions = "SELECT llm_calls, input_tokens, output_tokens FROM sessions"
        assert conn.execute(sessions).fetchall() == [(calls, tin, tout)]  # the session follows
    finally:
        conn.close()
    backend.shutdown(1.0)
    assert_rollups_match(path)


def test_rule_on_spans_of_one_usage_span_or_none_counts_all():
    one = UsageSpan("a", None, 0, 10, False, True, True)
    other = UsageSpan("b", "a", 1, 9, False, False, False)  # not a usage span
    assert uncounted([one, other]) == set()
    assert uncounted([]) == set()


def test_a_cyclic_parent_chain_is_followed_a_bounded_depth():
    # Malformed links (each the other's parent) must not loop, nor make both spans uncounted.
    a = UsageSpan("a", "b", 0, 10, False, True, True)
    b = UsageSpan("b", "a", 1, 9, True, True, True)
    assert uncounted([a, b]) == set()
