"""One benchmark subject in one fresh process: set it up, time every scenario, print one JSON line.

    python subject.py SUBJECT --calls N --warmup W --transport mock|loopback [--capture] [--scenarios a,b]

SUBJECT is one of: bare, llm_agent, llm_agent_sqlite, otel_v2, openllmetry, openinference.
Runs under the project's interpreter (bare, llm_agent*) or a peer's own virtual environment
(bare, its peer). Only the standard library, openai, its HTTP library and OpenTelemetry are used.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import fake_api  # noqa: E402 - after the path set-up above

SCENARIOS = ("chat", "achat", "chat_stream", "embeddings", "responses", "error")
PAGE = os.sysconf("SC_PAGE_SIZE")
MESSAGES = [
    {"role": "system", "content": "You are a terse geography assistant."},
    {"role": "user", "content": "What is the capital of France?"},
]


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Counter:
    """Counts spans handed to the (discarding) exporter."""

    spans = 0


def discarding_exporter() -> Any:
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class DiscardingExporter(SpanExporter):
        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            Counter.spans += len(spans)
            return SpanExportResult.SUCCESS

        def shutdown(self) -> None:
            return None

    return DiscardingExporter()


def setup_subject(name: str, capture: bool) -> Callable[[], None]:
    """Instrument this process as the subject; returns a flush function."""
    if name == "bare":
        return lambda: None
    if name in ("llm_agent", "llm_agent_sqlite"):
        sys.path.insert(0, str(HERE.parent.parent))
        import llm_agent

        if name == "llm_agent":
            llm_agent.init(
                service_name="bench", backends=[discarding_exporter()], capture_content=capture, instrument=["openai"]
            )
        else:
            path = Path(tempfile.mkdtemp(prefix="llm-agent-bench-")) / "sink.sqlite"
            os.environ["LLM_AGENT_BENCH_SINK"] = str(path)
            llm_agent.init(service_name="bench", sink_path=str(path), capture_content=capture, instrument=["openai"])
        return lambda: llm_agent.flush(30.0) and None

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(discarding_exporter()))
    if name == "otel_v2":
        os.environ["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true" if capture else "false"
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=provider)
    elif name == "openllmetry":
        os.environ["TRACELOOP_TRACE_CONTENT"] = "true" if capture else "false"
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=provider)
    elif name == "openinference":
        hide = "false" if capture else "true"
        for var in ("OPENINFERENCE_HIDE_INPUTS", "OPENINFERENCE_HIDE_OUTPUTS"):
            os.environ[var] = hide
        from openinference.instrumentation.openai import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=provider)
    else:
        raise SystemExit(f"unknown subject {name!r}")
    return lambda: provider.force_flush(30_000) and None


def http_module() -> Any:
    try:
        import httpx2 as httpx
    except ImportError:  # openai < 3 uses httpx
        import httpx
    return httpx


def make_clients(transport: str) -> tuple[Any, Any, Any]:
    import openai

    httpx = http_module()
    common: dict[str, Any] = {"api_key": "test_openai_api_key", "max_retries": 0}
    if transport == "mock":
        sync = openai.OpenAI(
            base_url="http://fake-openai.test/v1",
            http_client=httpx.Client(transport=fake_api.mock_transport(httpx)),
            **common,
        )
        async_ = openai.AsyncOpenAI(
            base_url="http://fake-openai.test/v1",
            http_client=httpx.AsyncClient(transport=fake_api.mock_transport(httpx)),
            **common,
        )
        return sync, async_, None
    server, base_url = fake_api.serve_loopback()
    return openai.OpenAI(base_url=base_url, **common), openai.AsyncOpenAI(base_url=base_url, **common), server


def scenario_calls(sync: Any, async_: Any) -> dict[str, Callable[[], Any]]:
    import openai

    def chat() -> None:
        sync.chat.completions.create(model=fake_api.MODEL, messages=MESSAGES, temperature=0.2, max_tokens=64)

    def chat_stream() -> None:
        stream = sync.chat.completions.create(
            model=fake_api.MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        for _chunk in stream:
            pass

    def embeddings() -> None:
        sync.embeddings.create(model="text-embedding-3-small", input="The capital of France is Paris.")

    def responses() -> None:
        sync.responses.create(model=fake_api.MODEL, input="What is the capital of France?")

    def error() -> None:
        try:
            sync.chat.completions.create(model="rate-limited", messages=MESSAGES)
        except openai.RateLimitError:
            return
        raise AssertionError("the fake API should have answered 429")

    return {"chat": chat, "chat_stream": chat_stream, "embeddings": embeddings, "responses": responses, "error": error}


async def _achat_loop(async_: Any, n: int) -> list[int]:
    out = []
    perf = time.perf_counter_ns
    for _ in range(n):
        t0 = perf()
        await async_.chat.completions.create(model=fake_api.MODEL, messages=MESSAGES, temperature=0.2, max_tokens=64)
        out.append(perf() - t0)
    return out


def time_sync(call: Callable[[], Any], n: int) -> list[int]:
    out = []
    perf = time.perf_counter_ns
    for _ in range(n):
        t0 = perf()
        call()
        out.append(perf() - t0)
    return out


def percentile(sorted_ns: list[int], q: float) -> float:
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] / 1000.0


def spans_so_far(name: str) -> int:
    if name == "llm_agent_sqlite":
        import sqlite3

        with sqlite3.connect(os.environ["LLM_AGENT_BENCH_SINK"]) as db:
            return int(db.execute("select count(*) from spans").fetchone()[0])
    return Counter.spans


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("subject")
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--transport", choices=("mock", "loopback"), default="mock")
    ap.add_argument("--capture", action="store_true")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = ap.parse_args()

    flush = setup_subject(args.subject, args.capture)
    sync, async_, _server = make_clients(args.transport)
    calls = scenario_calls(sync, async_)
    loop = asyncio.new_event_loop()
    result: dict[str, Any] = {"subject": args.subject, "python": sys.version.split()[0], "scenarios": {}}
    import openai

    result["openai"] = openai.__version__

    def run(scenario: str, n: int) -> list[int]:
        if scenario == "achat":
            return loop.run_until_complete(_achat_loop(async_, n))
        return time_sync(calls[scenario], n)

    for scenario in args.scenarios.split(","):
        if scenario == "achat":
            loop.run_until_complete(_achat_loop(async_, args.warmup))
        else:
            time_sync(calls[scenario], args.warmup)
        flush()
        gc.collect()
        spans0 = spans_so_far(args.subject)
        # two halves: RSS growth is measured over the second one only, once caches have settled
        half = max(1, args.calls // 2)
        samples = run(scenario, half)
        flush()
        gc.collect()
        rss0 = rss_bytes()
        samples += run(scenario, args.calls - half)
        flush()
        gc.collect()
        rss1 = rss_bytes()
        samples.sort()
        result["scenarios"][scenario] = {
            "median_us": percentile(samples, 0.5),
            "p99_us": percentile(samples, 0.99),
            "rss_growth_kib_per_1k": (rss1 - rss0) / 1024 / ((args.calls - half) / 1000),
            "spans_per_call": (spans_so_far(args.subject) - spans0) / args.calls,
        }
    result["peak_rss_mib"] = peak_rss_bytes() / 2**20
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # skip exit hooks: the next subject is waiting, and we flushed already


if __name__ == "__main__":
    main()
