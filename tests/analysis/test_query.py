"""SessionQuery: what each sessions() keyword becomes, combined filters and the errors, checked once for all stores."""

from __future__ import annotations

import contextlib
import inspect
import sqlite3
from typing import Any

import pytest
from analysis_scenario import SINCE, UNTIL

import llm_agent.analysis
from llm_agent.analysis import FilterError, Store, _time
from llm_agent.analysis._query import DEFAULT_LIMIT, KEYWORD_BOUNDS, SessionQuery
from llm_agent.analysis.filter import And, Compare, In, Not, parse

NOW = _time.datetime_to_ns(_time.parse_iso("2026-03-01T12:00:00Z"))
H = 3600 * 1_000_000_000
DAY = 24 * H
WINDOW = _time.Window(NOW - DAY, NOW)


def _build(**kwargs: Any) -> SessionQuery:
    """The query for sessions(**kwargs), *now* pinned."""
    named = {k: kwargs.pop(k) for k in ("since", "until", "where", "order_by", "limit", "offset") if k in kwargs}
    return SessionQuery.build(**named, bounds=kwargs, now_ns=NOW)


def test_no_arguments_is_the_last_day_newest_first() -> None:
    query = _build()
    assert query == SessionQuery(WINDOW, (), None, "start", True, DEFAULT_LIMIT, 0)
    assert query.filter == And((Compare("end", ">=", NOW - DAY), Compare("start", "<=", NOW)))


@pytest.mark.parametrize(
    ("name", "value", "bound"),
    [
        ("session_id", "s-1", Compare("session_id", "==", "s-1")),
        ("user", "alice", Compare("user", "==", "alice")),
        ("min_duration_s", 30, Compare("duration_s", ">=", 30.0)),
        ("min_duration_s", "2m", Compare("duration_s", ">=", 120.0)),
        ("max_duration_s", "1h30m", Compare("duration_s", "<=", 5400.0)),
        ("max_duration_s", 0.5, Compare("duration_s", "<=", 0.5)),
        ("min_traces", 2, Compare("traces", ">=", 2)),
        ("max_traces", 3, Compare("traces", "<=", 3)),
        ("min_total_tokens", 1000, Compare("total_tokens", ">=", 1000)),
        ("max_total_tokens", 0, Compare("total_tokens", "<=", 0)),
        ("min_input_tokens", 10, Compare("input_tokens", ">=", 10)),
        ("max_input_tokens", 2.5, Compare("input_tokens", "<=", 2.5)),
        ("min_output_tokens", 7, Compare("output_tokens", ">=", 7)),
        ("max_output_tokens", 8, Compare("output_tokens", "<=", 8)),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_each_keyword_is_one_bound(name: str, value: Any, bound: Compare) -> None:
    query = _build(**{name: value})
    assert query == SessionQuery(WINDOW, (bound,), None, "start", True, DEFAULT_LIMIT, 0)
    assert query.filter == And((Compare("end", ">=", NOW - DAY), Compare("start", "<=", NOW), bound))


def test_the_table_covers_every_keyword_of_the_signature() -> None:
    """The bounds table and Store.iter_sessions' signature name the same filters, in one order."""
    parameters = list(inspect.signature(Store.iter_sessions).parameters)
    assert parameters == ["self", "since", "until", *KEYWORD_BOUNDS, "where", "order_by", "limit", "offset"]


def test_combined_filters_keep_table_order_then_where() -> None:
    query = _build(
        max_output_tokens=900,
        user="bob",
        min_duration_s="30s",
        where="errors > 0 or models contains 'mini'",
        since="2026-03-01T09:00:00+02:00",
        until="1h",
        order_by="tokens desc",
        limit=None,
        offset=5,
        session_id=None,  # None means "no filter", not "no session ID"
    )
    since, until = _time.to_ns("2026-03-01T07:00:00Z"), NOW - H
    bounds = (
        Compare("user", "==", "bob"),
        Compare("duration_s", ">=", 30.0),
        Compare("output_tokens", "<=", 900),
    )
    where = parse("errors > 0 or models contains 'mini'")
    assert query == SessionQuery(_time.Window(since, until), bounds, where, "total_tokens", True, None, 5)
    assert query.filter == And(
        (Compare("end", ">=", since), Compare("start", "<=", until), *bounds, where)
    )


def test_where_relative_times_count_from_the_windows_now() -> None:
    query = _build(where="start >= '2h' and not user in ('x')")
    assert query.where == And((Compare("start", ">=", NOW - 2 * H, 0), Not(In("user", ("x",), False, 22))))
    assert _build(where="   ").where is None  # blank text: no filter
    node = Compare("traces", ">", 1)
    assert _build(where=node).where is node  # an AST is taken as it is


@pytest.mark.parametrize(
    ("order_by", "field", "descending"),
    [("-start", "start", True), ("start", "start", False), ("+duration", "duration_s", False),
     ("user", "user_id", False), ("-errors", "errors", True), ("total_tokens asc", "total_tokens", False)],
)  # fmt: skip
def test_order(order_by: str, field: str, descending: bool) -> None:
    query = _build(order_by=order_by)
    assert (query.sort_field, query.descending) == (field, descending)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"since": "yesterday-ish"}, ValueError, "not a time: 'yesterday-ish'"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, ValueError, "empty time window"),
        ({"since": True}, ValueError, "not a point in time: True"),
        ({"min_duration_s": "soon"}, ValueError, "not a duration: 'soon'"),
        ({"max_duration_s": -1}, ValueError, "not a duration: -1 (must be a finite number >= 0)"),
        ({"min_traces": "2"}, ValueError, "min_traces must be a number, got '2'"),
        ({"max_total_tokens": True}, ValueError, "max_total_tokens must be a number, got True"),
        ({"user": 7}, ValueError, "user must be a string, got 7"),
        ({"session_id": ["a"]}, ValueError, "session_id must be a string, got ['a']"),
        ({"where": "durations > 3"}, FilterError, "unknown field 'durations'"),
        ({"order_by": "bogus"}, ValueError, "cannot sort by 'bogus'; columns: cache_read_tokens, "),
        ({"limit": -1}, ValueError, "limit must be an integer >= 0 or None, got -1"),
        ({"limit": 2.0}, ValueError, "limit must be an integer >= 0 or None, got 2.0"),
        ({"offset": None}, ValueError, "offset must be an integer >= 0, got None"),
        ({"offset": False}, ValueError, "offset must be an integer >= 0, got False"),
        ({"min_tokens": 5}, TypeError, "sessions() got an unexpected keyword argument 'min_tokens'"),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_mistakes_are_refused_with_their_message(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        _build(**kwargs)
    assert type(info.value) is error
    assert str(info.value).startswith(message)


#: One mistake per check, in the order the checks run (the order both stores had).
MISTAKES: dict[str, tuple[Any, str]] = {
    "since": ("x", "not a time: 'x'"),
    "min_traces": ("x", "min_traces must be a number"),
    "where": ("nope > 1", "unknown field 'nope'"),
    "order_by": ("x", "cannot sort by 'x'"),
    "limit": (-1, "limit must be an integer"),
}


@pytest.mark.parametrize("first", list(MISTAKES))
def test_the_first_mistake_in_check_order_is_reported(first: str) -> None:
    """Window, then keyword filters, then where, then sort, then paging."""
    names = list(MISTAKES)[list(MISTAKES).index(first) :]
    with pytest.raises(ValueError) as info:
        _build(**{name: MISTAKES[name][0] for name in names})
    assert MISTAKES[first][1] in str(info.value)


# --- through the stores: arguments are checked at the call, before anything is read ---------------------


def test_store_checks_arguments_before_the_first_row(store) -> None:
    with pytest.raises(ValueError, match="limit must be an integer"):
        store.iter_sessions(limit=-1)  # not a generator that fails later, at next()
    with pytest.raises(TypeError, match="unexpected keyword argument 'min_tokens'"):
        store.iter_sessions(min_tokens=5)
    with pytest.raises(TypeError, match="unexpected keyword argument 'min_tokens'"):
        store.sessions(min_tokens=5)


def test_iter_sessions_and_sessions_agree(store) -> None:
    kwargs = {"since": SINCE, "until": UNTIL, "min_traces": 1, "order_by": "-total_tokens", "limit": None}
    listed = store.sessions(**kwargs)
    assert list(store.iter_sessions(**kwargs)) == listed
    assert len(listed) > 3


def test_trace_owner_without_the_rollup_row_comes_from_the_spans(sink: str, tmp_path) -> None:
    """A trace whose ``traces`` row is not written yet: the session and user of its earliest spans."""
    with contextlib.closing(llm_agent.analysis.open(sink)) as store:
        trace_id = store.session("s-alice-1").traces[1].trace_id
        expected = store.trace(trace_id)
    assert expected is not None and (expected.session_id, expected.user_id) == ("s-alice-1", "alice")
    copy = tmp_path / "sink.sqlite"
    with contextlib.closing(sqlite3.connect(sink)) as source, contextlib.closing(sqlite3.connect(copy)) as target:
        source.backup(target)
    with contextlib.closing(sqlite3.connect(copy)) as conn, conn:
        assert conn.execute("DELETE FROM traces WHERE trace_id = ?", (trace_id,)).rowcount == 1
    with contextlib.closing(llm_agent.analysis.open(str(copy))) as store:
        assert store.trace(trace_id) == expected


def test_model_query_checks_once_and_binds_the_same_params_for_every_store() -> None:
    from llm_agent.analysis._query import ModelQuery

    q = ModelQuery.build("gpt-4o", since="2026-03-01T10:00:30Z", until="2026-03-01T11:00:00Z", bucket="1m",
                         slow_threshold_s=1.5)  # fmt: skip
    since = 1_772_359_230_000_000_000
    assert (q.name, q.bucket_s, q.slow_threshold_s) == ("gpt-4o", 60, 1.5)
    assert q.params == {
        "first": since - 30_000_000_000,  # the window's start aligned down to the minute
        "step": 60_000_000_000,
        "slow": 1_500_000_000,
        "model": "gpt-4o",
        "since": since,
        "until": since + 3570_000_000_000,
    }
    for bad in (-1, True, "3s"):
        with pytest.raises(ValueError, match="slow_threshold_s must be a number >= 0"):
            ModelQuery.build("m", since="1h", slow_threshold_s=bad)
