"""The SQLite store against a sink of known shape (see conftest.py): exact counts, sums, orders."""

from __future__ import annotations

import statistics
from datetime import timedelta, timezone

import pytest
from analysis_scenario import SINCE, T0, T0_NS, UNTIL, RefSession, S

import llm_agent.analysis
from llm_agent.analysis import FilterError, _time


def _ids(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.session_id for r in rows]


def _pct(values: list[float], q: int) -> float:
    """Reference percentile: statistics' inclusive method (= numpy's default linear interpolation)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# --- sessions ------------------------------------------------------------------------------------------------


def test_every_session_summary_matches_the_scenario(store, ref) -> None:
    rows = store.sessions(since=SINCE, until=UNTIL, limit=None)
    assert sorted(_ids(rows)) == sorted(ref)
    for row in rows:
        r: RefSession = ref[row.session_id]
        assert row.start == _time.ns_to_datetime(r.start_ns)
        assert row.end == _time.ns_to_datetime(r.end_ns)
        assert row.duration_s == pytest.approx(r.duration_s, abs=1e-9)
        assert row.traces == len(r.traces)
        assert row.spans == len(r.traces) + len(r.calls)
        assert row.llm_calls == len(r.calls)
        assert (row.input_tokens, row.output_tokens, row.total_tokens) == (
            r.input_tokens,
            r.output_tokens,
            r.total_tokens,
        )
        assert row.errors == r.errors
        assert row.models == r.models
        assert row.users == ((r.user,) if r.user else ())
        assert row.user_id == r.user
        assert row.start.tzinfo == timezone.utc
        assert (row.cost_usd, row.unpriced_calls) == (r.cost_usd, r.unpriced_calls)


def test_literal_values_for_one_session(store) -> None:
    (row,) = store.sessions(since=SINCE, until=UNTIL, session_id="s-alice-1")
    assert row.to_dict() == {
        "session_id": "s-alice-1", "user_id": "alice", "users": ["alice"],
        "start": "2026-03-01T10:00:00+00:00", "end": "2026-03-01T10:00:36.700000+00:00", "duration_s": 36.7,
        "traces": 3, "spans": 7, "llm_calls": 4, "input_tokens": 608, "output_tokens": 250, "total_tokens": 858,
        "cache_read_tokens": 0, "reasoning_tokens": 0, "usage_missing_calls": 0, "errors": 0,
        "models": ["gpt-4o", "text-embedding-3-small"], "service_name": row.service_name,
        # 600 input x $2 + 250 output x $8 (gpt-4o) + 8 input x $1 (embedding), per million tokens
        "cost_usd": 0.003208, "unpriced_calls": 0, "cache_creation_tokens": 0, "cache_hit_ratio": 0.0,
        "cache_saved_usd": 0.0,
    }  # fmt: skip


def test_cost_filters_and_sort(store, ref) -> None:
    """``min_cost`` / ``max_cost``, ``cost`` in the filter language and ``order_by="-cost"``: exact on the
    scenario (declared prices, analysis_scenario.PRICES); a session with no priced call has an
    unknown cost, which no bound matches and which sorts last."""
    rows = store.sessions(since=SINCE, until=UNTIL, order_by="-cost", limit=None)
    priced = sorted((r for r in ref.values() if r.cost_usd is not None), key=lambda r: (-r.cost_nusd, r.session_id))
    assert [r.session_id for r in rows] == [
        *[r.session_id for r in sorted(priced, key=lambda r: r.cost_nusd, reverse=True)], "s-carol"
    ]
    assert [(r.cost_usd, r.unpriced_calls) for r in rows] == [(ref[r.session_id].cost_usd,
                                                               ref[r.session_id].unpriced_calls) for r in rows]
    assert rows[-1].cost_usd is None and rows[-1].unpriced_calls == 2
    expected = sorted(r.session_id for r in priced if r.cost_nusd >= 1_000_000)
    assert sorted(_ids(store.sessions(since=SINCE, until=UNTIL, min_cost=0.001))) == expected
    assert sorted(_ids(store.sessions(since=SINCE, until=UNTIL, where="cost >= 0.001"))) == expected
    cheap = sorted(r.session_id for r in priced if r.cost_nusd <= 500_000)
    assert sorted(_ids(store.sessions(since=SINCE, until=UNTIL, max_cost=0.0005))) == cheap
    assert sorted(_ids(store.sessions(since=SINCE, until=UNTIL, where="unpriced_calls > 0 and cost < 1"))) == [
        "s-bob-1"
    ]


FILTERS = [
    ({"user": "alice"}, ["s-alice-1", "s-alice-2"]),
    ({"session_id": "s-bob-1"}, ["s-bob-1"]),
    ({"min_duration_s": 9}, ["s-alice-1", "s-bob-1", "s-dave"]),
    ({"min_duration_s": 10}, ["s-alice-1", "s-dave"]),
    ({"max_duration_s": "5s"}, ["s-alice-2", "s-anon", "s-carol"]),
    ({"min_duration_s": "2.5", "max_duration_s": "15s"}, ["s-bob-1", "s-alice-2"]),
    ({"min_traces": 2}, ["s-alice-1", "s-bob-1", "s-carol", "s-dave"]),
    ({"max_traces": 1}, ["s-anon", "s-alice-2"]),
    ({"min_total_tokens": 858}, ["s-alice-1", "s-alice-2"]),
    ({"max_total_tokens": 100}, ["s-bob-1", "s-carol", "s-anon"]),
    ({"min_input_tokens": 100, "max_input_tokens": 999}, ["s-alice-1", "s-dave"]),
    ({"min_output_tokens": 200}, ["s-alice-1", "s-dave", "s-alice-2"]),
    ({"max_output_tokens": 5}, ["s-carol", "s-anon"]),
    ({"user": "alice", "min_total_tokens": 1000}, ["s-alice-2"]),
    ({"user": "dave", "min_traces": 2, "min_duration_s": 30, "max_output_tokens": 300}, ["s-dave"]),
    ({"user": "nobody"}, []),
]


@pytest.mark.parametrize(("kwargs", "expected"), FILTERS, ids=[str(f[0]) for f in FILTERS])
def test_keyword_filters(store, ref, kwargs, expected) -> None:
    rows = store.sessions(since=SINCE, until=UNTIL, order_by="start", **kwargs)
    assert _ids(rows) == sorted(expected, key=lambda s: ref[s].start_ns)


def _matches(r: RefSession, kwargs: dict) -> bool:
    checks = {
        "user": lambda v: r.user == v,
        "session_id": lambda v: r.session_id == v,
        "min_duration_s": lambda v: r.duration_s >= _time.parse_duration(v),
        "max_duration_s": lambda v: r.duration_s <= _time.parse_duration(v),
        "min_traces": lambda v: len(r.traces) >= v,
        "max_traces": lambda v: len(r.traces) <= v,
        "min_total_tokens": lambda v: r.total_tokens >= v,
        "max_total_tokens": lambda v: r.total_tokens <= v,
        "min_input_tokens": lambda v: r.input_tokens >= v,
        "max_input_tokens": lambda v: r.input_tokens <= v,
        "min_output_tokens": lambda v: r.output_tokens >= v,
        "max_output_tokens": lambda v: r.output_tokens <= v,
    }
    return all(checks[k](v) for k, v in kwargs.items())


def test_every_pair_of_keyword_filters_agrees_with_the_reference(store, ref) -> None:
    singles = [f[0] for f in FILTERS if len(f[0]) == 1]
    for i, a in enumerate(singles):
        for b in singles[i + 1 :]:
            if set(a) & set(b):
                continue
            kwargs = {**a, **b}
            got = _ids(store.sessions(since=SINCE, until=UNTIL, order_by="session_id", **kwargs))
            want = sorted(s for s, r in ref.items() if _matches(r, kwargs))
            assert got == want, kwargs


WHERE = [
    ("duration_s > 30 and total_tokens >= 300", ["s-alice-1", "s-dave"]),
    ("duration_s > 30 and total_tokens >= 500", ["s-alice-1"]),
    ("user == 'alice' or user == \"bob\"", ["s-alice-1", "s-bob-1", "s-alice-2"]),
    ("models == 'broken-model'", ["s-carol"]),
    ("model contains 'mini'", ["s-bob-1", "s-anon", "s-dave"]),
    ("model ~ 'embedding' or models == 'broken-model'", ["s-alice-1", "s-carol"]),
    ("not errors == 0", ["s-bob-1", "s-carol"]),
    ("errors > 0 and traces >= 2 and not user == 'carol'", ["s-bob-1"]),
    ("user in ('carol', 'dave')", ["s-carol", "s-dave"]),
    ("user not in ('alice', 'bob', 'carol')", ["s-anon", "s-dave"]),
    ("duration_s >= 40s", ["s-dave"]),
    ("duration_s >= 1m", []),
    ("duration_s < 1s", ["s-anon"]),
    ("llm_calls >= 9 or (input_tokens == 0 and output_tokens == 0)", ["s-carol", "s-dave"]),
    ("start >= '2026-03-01T13:00:00+02:00'", ["s-anon", "s-dave", "s-alice-2"]),  # 11:00 UTC
    ("start < '2026-03-01T05:10:01-05:00' and end > '2026-03-01T10:05:00Z'", ["s-bob-1", "s-carol"]),
    ("start < '2026-03-01T05:10:00-05:00' and end > '2026-03-01T10:05:00Z'", ["s-bob-1"]),
    ("session_id == 's-anon' and user_id != 'x'", ["s-anon"]),  # no user is not user 'x'
    ("session_id == 's-anon' and user_id == 'x'", []),
    ("session_id == \"x' OR '1'='1\"", []),  # injection attempts are just strings
    ("session_id == 's-bob-1'; DROP TABLE sessions", None),  # and bad syntax is an error
]


@pytest.mark.parametrize(("where", "expected"), WHERE, ids=[w[0] for w in WHERE])
def test_where_language(store, ref, where, expected) -> None:
    if expected is None:
        with pytest.raises(FilterError):
            store.sessions(since=SINCE, until=UNTIL, where=where)
        assert len(store.sessions(since=SINCE, until=UNTIL)) == len(ref)
        return
    rows = store.sessions(since=SINCE, until=UNTIL, where=where, order_by="start")
    assert _ids(rows) == sorted(expected, key=lambda s: ref[s].start_ns)


def test_where_combines_with_keyword_filters(store) -> None:
    rows = store.sessions(since=SINCE, until=UNTIL, user="alice", where="traces == 1")
    assert _ids(rows) == ["s-alice-2"]


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        # overlapping the window, not contained in it: s-alice-1 runs 10:00:00 .. 10:00:36.7
        ("2026-03-01T10:00:20Z", "2026-03-01T10:00:21Z", ["s-alice-1"]),
        ("2026-03-01T11:00:20+01:00", "2026-03-01T10:00:21+00:00", ["s-alice-1"]),
        ("2026-03-01T10:00:36.700Z", "2026-03-01T10:05:00Z", ["s-alice-1", "s-bob-1"]),
        ("2026-03-01T10:00:36.701Z", "2026-03-01T10:04:59Z", []),
        ("2026-03-02T10:00:00Z", None, ["s-alice-2"]),  # until defaults to now
        (T0 + timedelta(hours=2), T0 + timedelta(hours=3), ["s-anon", "s-dave"]),
        (T0_NS / S + 7200, T0_NS / S + 7200, ["s-anon"]),  # epoch seconds
    ],
)
def test_time_window_selects_overlapping_sessions(store, ref, since, until, expected) -> None:
    rows = store.sessions(since=since, until=until, order_by="start")
    assert _ids(rows) == expected


def test_default_window_is_the_last_24_hours(store) -> None:
    # The scenario lies in March 2026, long before "now": nothing in the default window.
    assert store.sessions() == []
    assert store.models() == []
    assert store.users() == []


@pytest.mark.parametrize(
    "column",
    ["start", "end", "duration_s", "traces", "spans", "llm_calls", "input_tokens", "output_tokens",
     "total_tokens", "errors", "session_id", "user", "models"],
)  # fmt: skip
def test_sort_by_any_column_both_directions(store, column) -> None:
    rows = store.sessions(since=SINCE, until=UNTIL, order_by=column, limit=None)
    attr = {"user": "user_id", "models": "models"}.get(column, column)

    def key(r):  # type: ignore[no-untyped-def]
        v = getattr(r, attr)
        return (",".join(v) if isinstance(v, tuple) else ("" if v is None else v), r.session_id)

    nulls_first = [r for r in rows if getattr(r, attr) is None]
    assert rows[: len(nulls_first)] == nulls_first
    assert rows[len(nulls_first) :] == sorted(rows[len(nulls_first) :], key=key)
    desc = store.sessions(since=SINCE, until=UNTIL, order_by="-" + column, limit=None)
    assert _ids(desc) == list(reversed(_ids(rows)))


def test_limit_and_offset_page_through(store, ref) -> None:
    everything = _ids(store.sessions(since=SINCE, until=UNTIL, order_by="-total_tokens", limit=None))
    pages = [
        _ids(store.sessions(since=SINCE, until=UNTIL, order_by="-total_tokens", limit=2, offset=o)) for o in (0, 2, 4)
    ]
    assert [s for p in pages for s in p] == everything
    assert everything[0] == "s-alice-2"
    assert [ref[s].total_tokens for s in everything] == sorted((r.total_tokens for r in ref.values()), reverse=True)
    assert store.sessions(since=SINCE, until=UNTIL, limit=0) == []


def test_bad_arguments_are_clear_errors(store) -> None:
    with pytest.raises(ValueError, match="cannot sort by 'bogus'"):
        store.sessions(order_by="bogus")
    with pytest.raises(ValueError, match="not a duration"):
        store.sessions(min_duration_s="soon")
    with pytest.raises(ValueError, match="not a time"):
        store.sessions(since="yesterday-ish")
    with pytest.raises(ValueError, match="empty time window"):
        store.sessions(since="2026-03-02", until="2026-03-01")
    with pytest.raises(ValueError, match="limit"):
        store.sessions(limit=-1)
    with pytest.raises(FilterError, match=r"unknown field 'durations'"):
        store.sessions(where="durations > 3")


# --- one session, one trace --------------------------------------------------------------------------------------


def test_session_detail_lists_traces_in_order_with_think_time(store, ref) -> None:
    detail = store.session("s-alice-1")
    assert detail.summary == store.sessions(since=SINCE, until=UNTIL, session_id="s-alice-1")[0]
    traces = detail.traces
    assert [t.name for t in traces] == ["turn-1", "turn-2", "turn-3"]
    assert [t.duration_s for t in traces] == pytest.approx([1.0, 2.2, 3.5])
    assert [t.gap_s for t in traces] == [None, pytest.approx(10.0), pytest.approx(20.0)]
    assert [t.llm_calls for t in traces] == [1, 2, 1]
    assert [(t.input_tokens, t.output_tokens, t.total_tokens) for t in traces] == [
        (100, 50, 150), (208, 80, 288), (300, 120, 420)
    ]  # fmt: skip
    assert [t.models for t in traces] == [("gpt-4o",), ("gpt-4o", "text-embedding-3-small"), ("gpt-4o",)]
    assert [t.start for t in traces] == [_time.ns_to_datetime(s) for s, _, _ in ref["s-alice-1"].traces]
    assert all(t.session_id == "s-alice-1" and t.user_id == "alice" and t.errors == 0 for t in traces)
    assert len({t.trace_id for t in traces}) == 3


def test_session_detail_of_failures_and_streams(store) -> None:
    bob = store.session("s-bob-1")
    assert [(t.llm_calls, t.errors, t.total_tokens) for t in bob.traces] == [(1, 0, 100), (1, 1, 0)]
    assert bob.traces[0].ttft_s is not None and 0 <= bob.traces[0].ttft_s <= 4.0
    assert bob.traces[1].ttft_s is None
    assert bob.traces[1].gap_s == pytest.approx(5.0)


def test_unknown_ids_give_none(store) -> None:
    assert store.session("no-such-session") is None
    assert store.trace("0" * 32) is None


def test_trace_tree_with_offsets_and_self_time(store) -> None:
    trace_id = store.session("s-alice-1").traces[1].trace_id
    tree = store.trace(trace_id)
    assert (tree.trace_id, tree.session_id, tree.user_id) == (trace_id, "s-alice-1", "alice")
    assert tree.duration_s == pytest.approx(2.2)
    (root,) = tree.roots
    assert (root.name, root.depth, root.start_offset_s, root.span_kind) == ("turn-2", 0, 0.0, "CHAIN")
    assert root.duration_s == pytest.approx(2.2)
    assert root.self_time_s == pytest.approx(0.0, abs=1e-9)  # the calls fill it completely
    emb, chat = root.children
    assert (emb.name, emb.span_kind, emb.model, emb.input_tokens, emb.depth) == (
        "embeddings text-embedding-3-small", "EMBEDDING", "text-embedding-3-small", 8, 1
    )  # fmt: skip
    assert (emb.start_offset_s, emb.duration_s, emb.self_time_s) == pytest.approx((0.0, 0.2, 0.2))
    assert (chat.name, chat.span_kind, chat.input_tokens, chat.output_tokens) == ("chat gpt-4o", "LLM", 200, 80)
    assert (chat.start_offset_s, chat.duration_s) == pytest.approx((0.2, 2.0))
    assert chat.parent_span_id == root.span_id and chat.children == ()
    assert chat.attributes["gen_ai.request.model"] == "gpt-4o"
    assert [s.span_id for s in tree.spans] == [root.span_id, emb.span_id, chat.span_id]


def test_trace_tree_of_a_failed_call(store) -> None:
    tree = store.trace(store.session("s-carol").traces[0].trace_id)
    (root,) = tree.roots
    (call,) = root.children
    assert (call.status, call.model, call.input_tokens, call.output_tokens) == ("ERROR", "broken-model", None, None)
    assert call.error_type.endswith("RateLimitError")
    assert call.duration_s == pytest.approx(0.1)


def test_trace_with_many_children_keeps_start_order(store) -> None:
    tree = store.trace(store.session("s-dave").traces[0].trace_id)
    durations = [s.duration_s for s in tree.roots[0].children]
    assert durations == pytest.approx([0.3, 0.9, 1.1, 1.7, 2.2, 2.9, 6.5])
    offsets = [s.start_offset_s for s in tree.roots[0].children]
    assert offsets == sorted(offsets) and offsets[0] == 0.0


# --- models ------------------------------------------------------------------------------------------------------


def _calls(ref, model: str) -> list:  # type: ignore[no-untyped-def]
    return [c for r in ref.values() for c in r.calls if c.model == model]


def test_models_list(store, ref) -> None:
    models = store.models(since=SINCE, until=UNTIL)
    assert [m.model for m in models] == ["gpt-4o", "gpt-4o-mini", "broken-model", "text-embedding-3-small"]
    for m in models:
        calls = _calls(ref, m.model)
        ok = [c for c in calls if not c.failed]
        assert m.requests == len(calls)
        assert m.errors == len(calls) - len(ok)
        assert m.error_rate == pytest.approx(m.errors / len(calls))
        assert m.input_tokens == sum(c.input_tokens or 0 for c in ok)
        assert m.output_tokens == sum(c.output_tokens or 0 for c in ok)
        assert m.total_tokens == m.input_tokens + m.output_tokens
        assert m.latency_p50_s == pytest.approx(_pct(sorted(c.latency_s for c in calls), 50))
        assert m.latency_p99_s == pytest.approx(_pct(sorted(c.latency_s for c in calls), 99))
    broken = next(m for m in models if m.model == "broken-model")
    assert (broken.requests, broken.errors, broken.error_rate, broken.avg_input_tokens) == (2, 2, 1.0, None)


def test_model_analysis_percentiles_and_totals(store, ref) -> None:
    calls = _calls(ref, "gpt-4o")
    latencies = sorted(c.latency_s for c in calls)
    m = store.model("gpt-4o", since=SINCE, until=UNTIL, slow_threshold_s=3.0)
    assert m.requests == 11 and m.errors == 0 and m.error_types == {}
    assert m.latency.count == 11
    assert m.latency.p50 == pytest.approx(_pct(latencies, 50))
    assert m.latency.p90 == pytest.approx(_pct(latencies, 90))
    assert m.latency.p99 == pytest.approx(_pct(latencies, 99))
    assert m.latency.max == pytest.approx(6.5)
    assert m.latency.avg == pytest.approx(statistics.fmean(latencies))
    assert m.slow_calls == 3  # 3.5 s, 6.5 s and 5.0 s
    assert (m.input_tokens, m.output_tokens) == (1670, 2320)
    assert m.avg_input_tokens == pytest.approx(1670 / 11)
    assert m.output_tokens_per_s == pytest.approx(2320 / sum(latencies))
    assert m.finish_reasons == {"stop": 11}
    assert m.usage_missing_calls == 0
    assert m.ttft.count == 0
    assert m.since == _time.parse_iso(SINCE) and m.until == _time.parse_iso(UNTIL)


def test_model_time_series(store) -> None:
    m = store.model("gpt-4o", since="2026-03-01T10:00:00Z", until="2026-03-02T10:59:59Z", bucket="1h")
    assert m.bucket_s == 3600
    assert len(m.series) == 25
    busy = {b.start.isoformat(): (b.requests, b.input_tokens, b.output_tokens) for b in m.series if b.requests}
    assert busy == {
        "2026-03-01T10:00:00+00:00": (3, 600, 250),
        "2026-03-01T13:00:00+00:00": (7, 70, 70),
        "2026-03-02T10:00:00+00:00": (1, 1000, 2000),
    }
    dave = next(b for b in m.series if b.start.hour == 13)
    assert dave.latency_p50_s == pytest.approx(1.7)
    assert dave.latency_p90_s == pytest.approx(_pct([0.3, 0.9, 1.1, 1.7, 2.2, 2.9, 6.5], 90))
    assert sum(b.requests for b in m.series) == m.requests == 11
    auto = store.model("gpt-4o", since="2026-03-01T10:00:00Z", until="2026-03-02T10:00:00Z")
    assert auto.bucket_s == 900  # 24 h -> 96 buckets of 15 min, the closest to ~60


def test_model_whose_every_call_failed(store) -> None:
    m = store.model("broken-model", since=SINCE, until=UNTIL)
    assert (m.requests, m.errors, m.error_rate) == (2, 2, 1.0)
    assert sorted(k.rsplit(".", 1)[-1] for k in m.error_types) == ["InternalServerError", "RateLimitError"]
    assert sum(m.error_types.values()) == 2
    assert m.latency.max == pytest.approx(0.3)
    assert (m.input_tokens, m.output_tokens, m.avg_input_tokens, m.output_tokens_per_s) == (0, 0, None, None)


def test_model_streams_and_errors(store, ref) -> None:
    m = store.model("gpt-4o-mini", since=SINCE, until=UNTIL)
    assert (m.requests, m.errors) == (5, 1)
    assert [k.rsplit(".", 1)[-1] for k in m.error_types] == ["InternalServerError"]
    # TTFT percentiles against the values stored on the streamed calls' spans.
    ttfts = []
    for sid in ("s-bob-1", "s-dave"):
        for t in store.session(sid).traces:
            ttfts += [s.ttft_s for s in store.trace(t.trace_id).spans if s.ttft_s is not None]
    assert len(ttfts) == m.ttft.count == 3
    assert m.ttft.p50 == pytest.approx(_pct(sorted(ttfts), 50), rel=1e-12)
    assert m.ttft.p90 == pytest.approx(_pct(sorted(ttfts), 90), rel=1e-12)


def test_unknown_model_is_empty_not_an_error(store) -> None:
    m = store.model("no-such-model", since=SINCE, until=UNTIL)
    assert (m.requests, m.errors, m.latency.p50, m.ttft.avg, m.error_types) == (0, 0, None, None, {})


def test_model_window_honours_offsets(store) -> None:
    # 13:00+02:00 = 11:00 UTC: only dave's calls (13:00 UTC) and alice's next-day call remain.
    m = store.model("gpt-4o", since="2026-03-01T13:00:00+02:00", until=UNTIL)
    assert m.requests == 8


# --- users -------------------------------------------------------------------------------------------------------


def test_users(store, ref) -> None:
    users = {u.user_id: u for u in store.users(since=SINCE, until=UNTIL)}
    assert set(users) == {"alice", "bob", "carol", "dave"}
    for name, u in users.items():
        sessions = [r for r in ref.values() if r.user == name]
        durations = sorted((e - s) / S for r in sessions for s, e, _ in r.traces)
        assert u.sessions == len(sessions)
        assert u.traces == len(durations)
        assert u.llm_calls == sum(len(r.calls) for r in sessions)
        assert u.total_tokens == sum(r.total_tokens for r in sessions)
        assert u.errors == sum(r.errors for r in sessions)
        assert u.latency_p95_s == pytest.approx(_pct(durations, 95))
        assert u.first_seen == _time.ns_to_datetime(min(r.start_ns for r in sessions))
        assert u.last_seen == _time.ns_to_datetime(max(r.end_ns for r in sessions))
    assert store.users(since=SINCE, until=UNTIL)[0].user_id == "alice"  # most recent first


def test_export_csv_and_json(store, tmp_path) -> None:
    import csv
    import json

    rows = store.sessions(since=SINCE, until=UNTIL, order_by="start", limit=None)
    with open(tmp_path / "s.csv", "w", newline="") as f:
        assert llm_agent.analysis.to_csv(store.iter_sessions(since=SINCE, until=UNTIL, order_by="start"), f) == 6
    with open(tmp_path / "s.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["session_id"] for r in table] == _ids(rows)
    assert table[0]["models"] == "gpt-4o;text-embedding-3-small"
    assert table[0]["total_tokens"] == "858"
    with open(tmp_path / "s.json", "w") as f:
        llm_agent.analysis.to_json(rows, f)
    assert json.loads((tmp_path / "s.json").read_text()) == [r.to_dict() for r in rows]


def test_the_store_is_read_only(sink) -> None:
    import sqlite3

    before = open(sink, "rb").read()
    with llm_agent.analysis.open(sink) as store:
        assert len(store.sessions(since=SINCE, until=UNTIL)) == 6
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store._conn.execute("DELETE FROM sessions")
    assert open(sink, "rb").read() == before


def test_missing_file_is_not_created(tmp_path) -> None:
    path = tmp_path / "absent.sqlite"
    with pytest.raises(llm_agent.analysis.MissingDatabaseError, match="no llm_agent sink"):
        llm_agent.analysis.open(path)
    assert not path.exists()
    with pytest.raises(FileNotFoundError):
        llm_agent.analysis.open(str(path))


def test_rows_stored_with_the_old_dimension_name_read_under_the_conventions_name(tmp_path) -> None:
    """A sink written before llm_agent followed the conventions keeps gen_ai.embeddings.dimension_count;
    the trace tree reads it as gen_ai.embeddings.dimension.count (the row itself is not rewritten)."""
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.trace import SpanContext, SpanKind

    from llm_agent.analysis.sqlite import SQLiteStore
    from llm_agent.backends.sqlite import SQLiteBackend
    from llm_agent.export import to_record

    old = {"gen_ai.operation.name": "embeddings", "gen_ai.embeddings.dimension_count": 1536}
    span = ReadableSpan("embeddings m", context=SpanContext(7, 8, is_remote=False), attributes=old,
                        kind=SpanKind.CLIENT, start_time=1_000, end_time=2_000)  # fmt: skip
    path = tmp_path / "old.sqlite"
    sink = SQLiteBackend(str(path))
    sink.export([to_record(span)])
    sink.shutdown(5.0)
    tree = SQLiteStore(path).trace(format(7, "032x"))
    assert tree is not None
    (node,) = tree.roots
    assert node.attributes == {"gen_ai.operation.name": "embeddings", "gen_ai.embeddings.dimension.count": 1536}
