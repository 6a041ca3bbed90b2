"""Median time of each analysis query on a sink made by ``gen_sink.py``.

    python benchmarks/gen_sink.py /tmp/sink-1m.sqlite
    python benchmarks/analysis_queries.py /tmp/sink-1m.sqlite [--rounds 7]

Targets (2-core VM): sessions with any filter combination < 100 ms, traces (the Trace Explorer)
with any filter < 100 ms, session < 20 ms, trace < 20 ms, model over 24 h < 300 ms, over 30 days
< 1 s.  Each query runs once to warm the page cache, then ``--rounds`` times; the median is printed
with the target.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import llm_agent.analysis


def _median_ms(fn: Callable[[], Any], rounds: int) -> float:
    fn()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    store = llm_agent.analysis.open(args.path)
    rng = random.Random(7)
    recent = store.sessions(since="30d", limit=1000)
    if not recent:
        sys.exit("the sink has no sessions in the last 30 days; run gen_sink.py first")
    some = rng.sample(recent, min(20, len(recent)))
    user = some[0].user_id
    detail = store.session(some[0].session_id)
    assert detail is not None
    trace_ids = [t.trace_id for s in some for t in (store.session(s.session_id) or detail).traces]
    busiest = store.models(since="30d")[0].model

    cases: list[tuple[str, float, Callable[[], Any]]] = [
        ("sessions (default: last 24h, newest 50)", 100, lambda: store.sessions()),
        ("sessions 30d, newest 50", 100, lambda: store.sessions(since="30d")),
        ("sessions 30d, sort -total_tokens", 100, lambda: store.sessions(since="30d", order_by="-total_tokens")),
        ("sessions 30d, user", 100, lambda: store.sessions(since="30d", user=user)),
        ("sessions 24h, min_duration 60s + min_traces 3", 100,
         lambda: store.sessions(min_duration_s=60, min_traces=3)),
        ("sessions 30d, all numeric filters", 100,
         lambda: store.sessions(since="30d", min_duration_s=10, max_duration_s=600, min_traces=2, max_traces=5,
                                min_total_tokens=1000, max_total_tokens=50000, min_input_tokens=500,
                                min_output_tokens=50, max_output_tokens=20000)),
        ("sessions 30d, where (or/and/models)", 100,
         lambda: store.sessions(since="30d", where=f"(user == '{user}' or total_tokens > 40000) and "
                                                   f"models contains 'claude' and errors == 0")),
        ("sessions 30d, where matching nothing (full scan)", 100,
         lambda: store.sessions(since="30d", where="total_tokens > 1e12 or user contains 'zz-nobody'")),
        ("sessions 30d, user + sort -duration_s", 100,
         lambda: store.sessions(since="30d", user=user, order_by="-duration_s")),
        ("sessions 30d, session_id", 100, lambda: store.sessions(since="30d", session_id=some[1].session_id)),
        ("sessions 30d, offset 5000", 100, lambda: store.sessions(since="30d", offset=5000)),
        ("session (detail)", 20, lambda: [store.session(s.session_id) for s in some[:10]]),
        ("trace (tree)", 20, lambda: [store.trace(t) for t in trace_ids[:10]]),
        ("traces (default: last 24h, newest 50)", 100, lambda: store.traces()),
        ("traces 30d, newest 50", 100, lambda: store.traces(since="30d")),
        ("traces 30d, session_id is null", 100, lambda: store.traces(since="30d", where="session_id is null")),
        ("traces 30d, error_type == RateLimitError", 100,
         lambda: store.traces(since="30d", where="error_type == 'openai.RateLimitError'")),
        ("traces 30d, tool == search_orders", 100, lambda: store.traces(since="30d", where="tool == 'search_orders'")),
        ("traces 30d, kind == TOOL", 100, lambda: store.traces(since="30d", where="kind == 'TOOL'")),
        ("traces 30d, kind == LLM", 100, lambda: store.traces(since="30d", where="kind == 'LLM'")),
        ("traces 30d, kind == AGENT (none)", 100, lambda: store.traces(since="30d", where="kind == 'AGENT'")),
        ("traces 30d, model == gpt-4o", 100, lambda: store.traces(since="30d", where="model == 'gpt-4o'")),
        ("traces 30d, model matching nothing (full scan)", 100,
         lambda: store.traces(since="30d", where="model == 'no-such-model'")),
        ("traces 30d, tool contains (all tool spans)", 100,
         lambda: store.traces(since="30d", where="tool contains 'search'")),
        ("traces 30d, sessionless + errors + tool", 100,
         lambda: store.traces(since="30d", has_error=True, where="session_id is null or tool == 'refund'")),
        ("traces 30d, model + min duration, sort -duration_s", 100,
         lambda: store.traces(since="30d", model=busiest, min_duration_s=10, order_by="-duration_s")),
        ("traces 30d, sort -total_tokens", 100, lambda: store.traces(since="30d", order_by="-total_tokens")),
        ("traces 30d, user", 100, lambda: store.traces(since="30d", user=user)),
        ("traces 30d, offset 5000", 100, lambda: store.traces(since="30d", offset=5000)),
        ("count_traces 30d, session_id is null", 100,
         lambda: store.count_traces(since="30d", where="session_id is null")),
        (f"model {busiest} 24h", 300, lambda: store.model(busiest)),
        (f"model {busiest} 30d", 1000, lambda: store.model(busiest, since="30d")),
        ("models 24h", 0, lambda: store.models()),
        ("users 24h", 0, lambda: store.users()),
    ]  # fmt: skip
    print(f"{'query':52} {'median ms':>10} {'target ms':>10}")
    for name, target, fn in cases:
        ms = _median_ms(fn, args.rounds)
        if name.startswith(("session (", "trace (")):
            ms /= 10  # ten lookups per round
        flag = "" if not target or ms < target else "  OVER"
        print(f"{name:52} {ms:10.1f} {target or '-':>10}{flag}")
    store.close()


if __name__ == "__main__":
    main()
