"""``store.traces()`` (the Trace Explorer) on the SQLite sink: exact rows for each filter.

The sink is the shared scenario plus sessionless traces (trace_scenario.py); every expectation is
the reference rows (recomputed from the records) selected by a plain-Python predicate.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from analysis_scenario import SINCE, UNTIL
from trace_scenario import SESSIONLESS_IDS, reference_rows, span_facts, trace_sink

import llm_agent.analysis
from llm_agent.analysis import FilterError, Store, TraceSummary

__all__ = ["trace_sink"]

W = {"since": SINCE, "until": UNTIL}
REF = reference_rows()
FACTS = span_facts()
Pred = Callable[[TraceSummary], bool]


def _facts(t: TraceSummary, name: str) -> set[str]:
    return FACTS[t.trace_id][name]


#: (traces() keyword arguments, which reference rows they select); the default order is -start.
CASES: list[tuple[dict[str, Any], Pred]] = [
    ({}, lambda t: True),
    ({"where": "session_id is null"}, lambda t: t.session_id is None),
    ({"where": "session_id is not null and user_id is null"}, lambda t: t.session_id is not None and t.user_id is None),
    ({"session_id": "s-bob-1"}, lambda t: t.session_id == "s-bob-1"),
    ({"user": "erin"}, lambda t: t.user_id == "erin"),
    ({"model": "gpt-4o"}, lambda t: "gpt-4o" in t.models),
    ({"where": "model == 'gpt-4o'"}, lambda t: "gpt-4o" in t.models),
    ({"where": "models contains 'mini'"}, lambda t: any("mini" in m for m in t.models)),
    ({"name": "turn-2"}, lambda t: t.name == "turn-2"),
    ({"min_duration_s": 5}, lambda t: t.duration_s >= 5),
    ({"max_duration_s": "1s"}, lambda t: t.duration_s <= 1),
    ({"min_total_tokens": 300, "max_total_tokens": 1000}, lambda t: 300 <= t.total_tokens <= 1000),
    ({"has_error": True}, lambda t: t.errors > 0),
    ({"has_error": False}, lambda t: t.errors == 0),
    ({"where": "error_type == 'openai.RateLimitError'"}, lambda t: "openai.RateLimitError" in _facts(t, "error_type")),
    ({"where": "error_type contains 'Server'"}, lambda t: any("Server" in e for e in _facts(t, "error_type"))),
    ({"where": "error_type != 'ValueError'"}, lambda t: "ValueError" not in _facts(t, "error_type")),
    ({"where": "error_type in ('ValueError', 'nope')"}, lambda t: "ValueError" in _facts(t, "error_type")),
    ({"where": "tool == 'search_orders'"}, lambda t: "search_orders" in _facts(t, "tool")),
    ({"where": "tool contains 'fun'"}, lambda t: any("fun" in n for n in _facts(t, "tool"))),
    ({"where": "tool not in ('refund')"}, lambda t: "refund" not in _facts(t, "tool")),
    ({"where": "kind == 'TOOL'"}, lambda t: "TOOL" in _facts(t, "kind")),
    ({"where": "kind == 'LLM'"}, lambda t: "LLM" in _facts(t, "kind")),
    ({"where": "kind == 'CHAIN'"}, lambda t: "CHAIN" in _facts(t, "kind")),
    ({"where": "kind in ('RETRIEVER', 'EMBEDDING')"}, lambda t: bool({"RETRIEVER", "EMBEDDING"} & _facts(t, "kind"))),
    ({"where": "kind contains 'EMBED'"}, lambda t: "EMBEDDING" in _facts(t, "kind")),
    ({"where": "kind != 'CHAIN'"}, lambda t: "CHAIN" not in _facts(t, "kind")),
    ({"where": "ttft_s is not null"}, lambda t: t.ttft_s is not None),
    ({"where": "ttft_s > 0.5"}, lambda t: t.ttft_s is not None and t.ttft_s > 0.5),
    ({"where": "usage_missing_calls > 0 or cache_read_tokens > 0"},
     lambda t: t.usage_missing_calls > 0 or t.cache_read_tokens > 0),
    ({"where": "reasoning_tokens > 0 and service_name == 'agent-app'"},
     lambda t: t.reasoning_tokens > 0 and t.service_name == "agent-app"),
    ({"where": "trace_id == '" + SESSIONLESS_IDS[0] + "'"}, lambda t: t.trace_id == SESSIONLESS_IDS[0]),
    # combinations: keywords and where, span tests with rollup columns
    ({"has_error": True, "where": "session_id is null and kind == 'TOOL'"},
     lambda t: t.errors > 0 and t.session_id is None and "TOOL" in _facts(t, "kind")),
    ({"model": "gpt-4o-mini", "where": "not (tool == 'search_orders') and spans > 1"},
     lambda t: "gpt-4o-mini" in t.models and "search_orders" not in _facts(t, "tool") and t.spans > 1),
    ({"where": "(error_type == 'openai.RateLimitError' or tool == 'refund') and session_id is null"},
     lambda t: t.session_id is None and bool({"openai.RateLimitError"} & _facts(t, "error_type")
                                             or "refund" in _facts(t, "tool"))),
    ({"user": "alice", "min_duration_s": 2, "where": "llm_calls >= 1", "has_error": False},
     lambda t: t.user_id == "alice" and t.duration_s >= 2 and t.errors == 0),
    ({"where": "user == 'x'' or 1=1 --'"}, lambda t: False),  # an injection attempt is a literal
    ({"where": "tool == \"x'); DROP TABLE spans; --\""}, lambda t: False),
]  # fmt: skip


def _select(pred: Pred, order: Callable[[TraceSummary], Any] | None = None, desc: bool = True) -> list[TraceSummary]:
    rows = [t for t in REF.values() if pred(t)]
    key = order or (lambda t: t.start)
    return sorted(rows, key=lambda t: (key(t), t.trace_id), reverse=desc)


@pytest.fixture
def tstore(trace_sink: str) -> Iterator[Store]:
    with contextlib.closing(llm_agent.analysis.open(trace_sink)) as s:
        yield s


def test_the_cases_use_every_keyword() -> None:
    keywords = set(inspect.signature(Store.iter_traces).parameters) - {"self", "order_by", "limit", "offset"}
    assert keywords - {"since", "until"} - {k for q, _ in CASES for k in q} == set()


def _case_id(case: Any) -> str:
    return ",".join(f"{k}={v}" for k, v in case.items()) or "all" if isinstance(case, dict) else ""


@pytest.mark.parametrize("query,pred", CASES, ids=_case_id)
def test_traces_rows(tstore: Store, query: dict[str, Any], pred: Pred) -> None:
    expected = _select(pred)
    assert tstore.traces(**W, **query, limit=None) == expected
    assert list(tstore.iter_traces(**W, **query, limit=None)) == expected
    assert tstore.count_traces(**W, **query) == len(expected)


def test_every_filter_case_selects_something_and_not_everything() -> None:
    """The cases are discriminating: most select a proper, non-empty subset."""
    sizes = [len(_select(pred)) for _, pred in CASES]
    assert sum(0 < n < len(REF) for n in sizes) >= len(CASES) - 4


def test_sessionless_traces_are_listed(tstore: Store) -> None:
    rows = tstore.traces(**W, where="session_id is null", limit=None)
    assert [t.trace_id for t in rows] == list(reversed(SESSIONLESS_IDS))
    agent = next(t for t in rows if t.trace_id == SESSIONLESS_IDS[1])
    assert agent == REF[SESSIONLESS_IDS[1]]
    assert (agent.name, agent.user_id, agent.tool_names, agent.errors, agent.llm_calls) == (
        "invoke_agent support-bot", "erin", ("refund", "search_orders"), 1, 2,
    )  # fmt: skip
    # sessions() does not see them at all
    assert all(s.session_id for s in tstore.sessions(**W, limit=None))
    assert tstore.count_traces(**W, where="session_id is null") == 4


@pytest.mark.parametrize(
    "order_by,key,desc",
    [
        ("-start", lambda t: t.start, True),
        ("start", lambda t: t.start, False),
        ("-duration_s", lambda t: t.duration_s, True),
        ("total_tokens", lambda t: t.total_tokens, False),
        ("-errors", lambda t: t.errors, True),
        ("name", lambda t: t.name, False),
        ("-spans", lambda t: t.spans, True),
        ("llm_calls desc", lambda t: t.llm_calls, True),
    ],
)
def test_order(tstore: Store, order_by: str, key: Callable[[TraceSummary], Any], desc: bool) -> None:
    assert tstore.traces(**W, order_by=order_by, limit=None) == _select(lambda t: True, key, desc)


def test_sort_nulls_like_sessions(tstore: Store) -> None:
    """NULL sorts below every value (first ascending): the users of sessionless traces."""
    rows = tstore.traces(**W, order_by="user", limit=None)
    assert [t.user_id for t in rows][:3] == [None, None, None]


def test_paging(tstore: Store) -> None:
    everything = _select(lambda t: True)
    pages = [tstore.traces(**W, limit=4, offset=o) for o in range(0, len(everything) + 4, 4)]
    assert [t for p in pages for t in p] == everything
    assert tstore.traces(**W, limit=0) == []


def test_window_overlap(tstore: Store) -> None:
    """A trace is listed when it overlaps the window, with or without a session."""
    agent = REF[SESSIONLESS_IDS[1]]  # 2000 s .. 2009 s after T0
    inside = dataclasses.replace(agent).start.isoformat()
    rows = tstore.traces(since=inside.replace("+00:00", "Z"), until=agent.end.isoformat(), limit=None)
    assert SESSIONLESS_IDS[1] in [t.trace_id for t in rows]
    assert tstore.traces(since="2026-05-01T00:00:00Z", until="2026-05-02T00:00:00Z") == []


@pytest.mark.parametrize(
    "where,message",
    [
        ("colour == 'red'", "unknown field 'colour'"),
        ("traces > 2", "unknown field 'traces'"),
        ("tool > 'a'", "operator '>' does not apply to tool"),
        ("session_id is 'x'", "expected 'null' after 'is'"),
        ("errors is null", "'is null' does not apply to errors"),
        ("duration_s > 'soon'", "bad value for duration_s"),
        ("kind ==", "expected a value for kind"),
    ],
)
def test_filter_errors_point_at_the_mistake(tstore: Store, where: str, message: str) -> None:
    with pytest.raises(FilterError) as info:
        tstore.traces(**W, where=where)
    assert message in str(info.value)
    assert "^" in str(info.value)


@pytest.mark.parametrize(
    "kwargs,error",
    [
        ({"order_by": "tool"}, ValueError),
        ({"order_by": "nonsense"}, ValueError),
        ({"has_error": "yes"}, ValueError),
        ({"min_total_tokens": "many"}, ValueError),
        ({"min_duration_s": "forever"}, ValueError),
        ({"limit": -1}, ValueError),
        ({"offset": 2**63}, ValueError),
        ({"since": "not a time"}, ValueError),
        ({"model": 5}, ValueError),
    ],
)
def test_bad_arguments_raise_at_the_call(tstore: Store, kwargs: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        tstore.iter_traces(**{**W, **kwargs})


def test_missing_session_detail_rows_have_the_new_columns(tstore: Store) -> None:
    """session() lists the same trace rows as traces() (tool names, cache and reasoning included)."""
    detail = tstore.session("s-alice-1")
    assert detail is not None
    listed = {t.trace_id: t for t in tstore.traces(**W, session_id="s-alice-1", limit=None)}
    for t in detail.traces:
        assert dataclasses.replace(t, gap_s=None) == listed[t.trace_id]


@pytest.mark.parametrize("query,pred", [c for c in CASES if "where" in c[0]], ids=_case_id)
def test_both_query_shapes_give_the_same_rows(
    tstore: Store, monkeypatch: pytest.MonkeyPatch, query: dict[str, Any], pred: Pred
) -> None:
    """Span tests read the matching traces by key when few spans match and scan the listing when
    many do (``DRIVE_LIMIT``): both shapes select the same rows."""
    from llm_agent.analysis import _sqlite_traces

    expected = _select(pred)
    monkeypatch.setattr(_sqlite_traces, "DRIVE_LIMIT", 1)  # every non-empty match: the scanning shape
    assert tstore.traces(**W, **query, limit=None) == expected
    assert tstore.traces(**W, **query, order_by="-duration_s", limit=3) == _select(pred, lambda t: t.duration_s)[:3]


def test_the_agent_helpers_spans_are_found_by_the_span_tests(tmp_path: Any) -> None:
    """A real agent session (``llm_agent.agent()`` turns, ``llm_agent.tool()`` calls, the openai SDK
    against the demo server): its traces are found by tool, kind and model, with their tool names."""
    import agent_scenario

    db = str(tmp_path / "sink.sqlite")
    seen = agent_scenario.record(db, capture_content=False)
    tools = sorted({call["name"] for turn in seen for call in turn["calls"]})
    assert tools == ["search_orders"]  # the scenario's one tool, called each turn
    with llm_agent.analysis.open(db) as store:
        everything = store.traces(since="3650d", until="2262-01-01T00:00:00Z", limit=None)
        assert everything and all(t.session_id == agent_scenario.SESSION_ID for t in everything)
        window = {"since": "3650d", "until": "2262-01-01T00:00:00Z", "limit": None}
        with_tool = store.traces(**window, where=f"tool == '{tools[0]}'")
        assert len(with_tool) == len(seen) and all(t.tool_names == ("search_orders",) for t in with_tool)
        assert [t.trace_id for t in store.traces(**window, where="kind == 'TOOL'")] == [
            t.trace_id for t in everything if t.tool_names
        ]
        agents = store.traces(**window, where="kind == 'AGENT'")
        assert len(agents) == len(seen) and agents == [
            t for t in everything if t.name and t.name.startswith("invoke_agent")
        ]
        assert store.traces(**window, where="tool == 'no-such-tool'") == []
