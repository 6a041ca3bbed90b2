"""ClickHouse store (issue 9): ingest and query times over an embedded chdb ``otel_traces`` table.

    python benchmarks/clickhouse_store.py [--sessions 50000] [--rollup] [--rounds 3]

Synthetic llm_agent data (3 traces per session of 2 LLM calls + 1 CHAIN span, 2,000 users,
8 models, 30 days) written as Collector-exporter rows (``rows_from_spans``) in 50k-row inserts,
then each analysis method timed (median of ``--rounds``).  ``--rollup`` creates the sessions
rollup view first.  Results: docs/at-scale.md.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import llm_agent.analysis
from llm_agent.analysis.clickhouse import TRACES_DDL, insert_sql, rows_from_spans, sessions_rollup_statements
from llm_agent.analysis.clickhouse._client import ChdbConnection
from llm_agent.backends._types import SpanRecord

T0_S = 1_772_359_200
DAY_NS = 86_400 * 10**9


def records(sessions: int) -> list[SpanRecord]:
    rnd = random.Random(1)
    models = [f"model-{i}" for i in range(8)]
    ids = iter(range(1, 10**12))
    out = []
    for s in range(sessions):
        t = T0_S * 10**9 + rnd.randrange(30 * DAY_NS)
        user = f"user-{rnd.randrange(2000)}"
        for turn in range(3):
            trace, root, start = f"{next(ids):032x}", f"{next(ids):016x}", t
            for _ in range(2):
                lat, model = rnd.randrange(2 * 10**8, 6 * 10**9), rnd.choice(models)
                out.append(SpanRecord(
                    trace_id=trace, span_id=f"{next(ids):016x}", parent_span_id=root, name=f"chat {model}",
                    kind="CLIENT", start_ns=t, end_ns=t + lat, status="UNSET", service_name="app", session_id=f"s{s}",
                    user_id=user, span_kind="LLM", operation="chat", provider="openai", request_model=model,
                    response_model=model, model=model, input_tokens=rnd.randrange(10, 2000),
                    output_tokens=rnd.randrange(1, 800), finish_reasons=("stop",),
                    attributes={"server.address": "api.openai.com"},
                ))  # fmt: skip
                t += lat
            out.append(SpanRecord(
                trace_id=trace, span_id=root, parent_span_id=None, name=f"turn-{turn}", kind="INTERNAL",
                start_ns=start, end_ns=t, status="UNSET", service_name="app", session_id=f"s{s}", user_id=user,
                span_kind="CHAIN",
            ))  # fmt: skip
            t += rnd.randrange(10**9, 60 * 10**9)
    return out


def median_ms(fn: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=50_000)
    parser.add_argument("--rollup", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    recs = records(args.sessions)
    directory = tempfile.mkdtemp()
    try:
        conn = ChdbConnection(directory)
        conn.execute(TRACES_DDL.format(table="otel_traces"))
        if args.rollup:
            for statement in sessions_rollup_statements("default", "otel_traces")[:2]:
                conn.execute(statement)
        start = time.perf_counter()
        for i in range(0, len(recs), 50_000):
            conn.execute(insert_sql("otel_traces", rows_from_spans(recs[i : i + 50_000])))
        ingest_s = time.perf_counter() - start
        size = conn.query("SELECT sum(bytes_on_disk) AS b FROM system.parts WHERE active AND table = 'otel_traces'")
        conn.close()
        since, until = T0_S, T0_S + 31 * 86_400
        with llm_agent.analysis.open(f"chdb://{directory}") as store:
            w = {"since": since, "until": until}
            results = {
                "spans": len(recs),
                "ingest_spans_per_s": int(len(recs) / ingest_s),
                "bytes_per_span": round(int(size[0]["b"]) / len(recs), 1),
                "sessions_filtered_ms": median_ms(
                    lambda: store.sessions(**w, min_traces=2, where="total_tokens > 1000 and user == 'user-7'"),
                    args.rounds,
                ),
                "sessions_page_ms": median_ms(lambda: store.sessions(**w), args.rounds),
                "session_ms": median_ms(lambda: store.session("s5"), args.rounds),
                "trace_ms": median_ms(lambda: store.trace(recs[0].trace_id), args.rounds),
                "models_30d_ms": median_ms(lambda: store.models(**w), args.rounds),
                "model_24h_ms": median_ms(
                    lambda: store.model("model-3", since=since, until=since + 86_400), args.rounds
                ),
                "model_30d_ms": median_ms(lambda: store.model("model-3", **w), args.rounds),
                "users_30d_ms": median_ms(lambda: store.users(**w), args.rounds),
                "rollup_used": store.sessions_rollup is not None,
            }
        for key, value in results.items():
            print(f"{key:24} {value}")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
