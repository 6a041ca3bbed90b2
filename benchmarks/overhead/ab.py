"""Same-process A/B: each call alternates the SDK's original method and the instrumented one.

    python benchmarks/overhead/ab.py [--calls 4000] [--sink] [--capture] [--scenarios chat,chat_stream,error]

A complement to run.py for a noisy machine: the two variants run in adjacent calls of one process,
so a neighbour's load hits both alike; the order alternates per pair.  For each scenario it prints
the medians of the bare call, the instrumented call, and of the per-pair difference, on the wall
clock and on the thread's CPU clock (``time.thread_time_ns``: preemption by a neighbour does not
count), plus the added time as a share of the bare call — the number to compare across machines of
different speed.  llm_agent exports to a discarding exporter, or with ``--sink`` to the default
SQLite sink in a temporary directory.

The thread's CPU clock counts what the app's thread spends.  What llm_agent leaves to its export
threads (building the span, converting and exporting it) is the last column: the CPU time of every
other thread of the process over the timed calls and the flush after them (the process's CPU
clock minus the app thread's), per instrumented call — bare calls leave those threads nothing to do.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

import fake_api  # noqa: E402
from subject import MESSAGES, discarding_exporter, make_clients  # noqa: E402

SCENARIOS = ("chat", "chat_stream", "embeddings", "responses", "error")


def calls(sync: Any) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """scenario -> (bare call, instrumented call)."""
    import openai

    chat_res, emb_res, resp_res = sync.chat.completions, sync.embeddings, sync.responses
    chat_create = type(chat_res).create
    emb_create = type(emb_res).create
    resp_create = type(resp_res).create
    bare_chat = chat_create.__wrapped__
    bare_emb = emb_create.__wrapped__
    bare_resp = resp_create.__wrapped__
    chat_kwargs = {"model": fake_api.MODEL, "messages": MESSAGES, "temperature": 0.2, "max_tokens": 64}
    stream_kwargs = {
        "model": fake_api.MODEL,
        "messages": MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    error_kwargs = {"model": "rate-limited", "messages": MESSAGES}
    emb_kwargs = {"model": "text-embedding-3-small", "input": "The capital of France is Paris."}
    resp_kwargs = {"model": fake_api.MODEL, "input": "What is the capital of France?"}

    def consume(stream: Any) -> None:
        for _chunk in stream:
            pass

    def expect_429(call: Callable[[], Any]) -> None:
        try:
            call()
        except openai.RateLimitError:
            return
        raise AssertionError("the fake API should have answered 429")

    return {
        "chat": (lambda: bare_chat(chat_res, **chat_kwargs), lambda: chat_res.create(**chat_kwargs)),
        "chat_stream": (
            lambda: consume(bare_chat(chat_res, **stream_kwargs)),
            lambda: consume(chat_res.create(**stream_kwargs)),
        ),
        "embeddings": (lambda: bare_emb(emb_res, **emb_kwargs), lambda: emb_res.create(**emb_kwargs)),
        "responses": (lambda: bare_resp(resp_res, **resp_kwargs), lambda: resp_res.create(**resp_kwargs)),
        "error": (
            lambda: expect_429(lambda: bare_chat(chat_res, **error_kwargs)),
            lambda: expect_429(lambda: chat_res.create(**error_kwargs)),
        ),
    }


def measure(bare: Callable[[], Any], inst: Callable[[], Any], n: int) -> dict[str, float]:
    wall, cpu = time.perf_counter_ns, time.thread_time_ns
    bw: list[int] = []
    iw: list[int] = []
    bc: list[int] = []
    ic: list[int] = []
    for i in range(n):
        order = ((bare, bw, bc), (inst, iw, ic)) if i % 2 == 0 else ((inst, iw, ic), (bare, bw, bc))
        for fn, w, c in order:
            c0, w0 = cpu(), wall()
            fn()
            w1, c1 = wall(), cpu()
            w.append(w1 - w0)
            c.append(c1 - c0)
    med = statistics.median
    return {
        "bare_us": med(bw) / 1000,
        "inst_us": med(iw) / 1000,
        "added_wall_us": med([b - a for a, b in zip(bw, iw, strict=True)]) / 1000,
        "added_cpu_us": med([b - a for a, b in zip(bc, ic, strict=True)]) / 1000,
        "bare_cpu_us": med(bc) / 1000,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=4000)
    ap.add_argument("--sink", action="store_true", help="the default SQLite sink instead of a discarding exporter")
    ap.add_argument("--capture", action="store_true", help="content capture on")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = ap.parse_args()

    import llm_agent

    if args.sink:
        path = Path(tempfile.mkdtemp(prefix="llm-agent-ab-")) / "sink.sqlite"
        llm_agent.init(service_name="bench", sink_path=str(path), capture_content=args.capture, instrument=["openai"])
    else:
        llm_agent.init(
            service_name="bench", backends=[discarding_exporter()], capture_content=args.capture, instrument=["openai"]
        )
    sync, _async, _server = make_clients("mock")
    table = calls(sync)
    print(f"A/B, {'SQLite sink' if args.sink else 'discarding exporter'}, capture {'on' if args.capture else 'off'}")
    print(
        "| scenario | bare µs | instrumented µs | added µs (wall) | added µs (CPU) | added / bare (CPU) "
        "| export threads' CPU µs per call |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in args.scenarios.split(","):
        bare, inst = table[name]
        n = args.calls // 4 if name == "chat_stream" else args.calls
        measure(bare, inst, max(20, n // 10))  # warm-up
        llm_agent.flush(30.0)
        gc.collect()
        process0, thread0 = time.process_time_ns(), time.thread_time_ns()
        r = measure(bare, inst, n)
        llm_agent.flush(30.0)
        others_us = ((time.process_time_ns() - process0) - (time.thread_time_ns() - thread0)) / 1000
        share = 100 * r["added_cpu_us"] / r["bare_cpu_us"]
        print(
            f"| {name} | {r['bare_us']:.0f} | {r['inst_us']:.0f} | {r['added_wall_us']:+.1f} | "
            f"{r['added_cpu_us']:+.1f} | {share:.1f} % | {others_us / n:.1f} |",
            flush=True,
        )
    stats = llm_agent.stats()
    print("internal errors:", stats.get("internal_errors"))
    llm_agent.shutdown()


if __name__ == "__main__":
    main()
