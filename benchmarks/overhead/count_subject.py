"""One subject of the instruction count, in one fresh process (run under callgrind by instructions.py).

    python count_subject.py SUBJECT --scenarios chat,chat_stream --n1 10 --n2 60 --warmup 10 [--stages]

Per scenario: ``warmup`` calls, a flush, then two measured intervals — ``n1`` calls and a flush,
``n2`` calls and a flush — each closed by a callgrind dump (``callgrind_marks.dump``).  The
instructions per call are ``(I(n2 interval) - I(n1 interval)) / (n2 - n1)``: start-up, warm-up,
the flush's and the dump's own fixed cost cancel, and every thread's work is in the dumps.  The
export threads run only at the flushes (a one-hour batch delay, queues far larger than ``n2``),
so each run exports the same batches whatever the wall clock does.

Only the standard library, the SDKs and OpenTelemetry are used: the same file runs in the peers'
virtual environments.  Outside valgrind it runs the same calls (the dumps are no-ops) and prints
what it did, which is how the harness's test checks its plumbing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import callgrind_marks  # noqa: E402 - after the path set-up above
import fake_api  # noqa: E402
from subject import MESSAGES, Counter, discarding_exporter, make_clients, scenario_calls  # noqa: E402

OPENAI_SCENARIOS: Final = ("chat", "chat_stream", "achat", "error", "embeddings", "responses")
ANTHROPIC_SCENARIOS: Final = ("anthropic", "anthropic_stream")
#: google-genai's ``generate_content`` and its 50-chunk stream (gemini_calls.py, in-process answers).
GEMINI_SCENARIOS: Final = ("gemini", "gemini_stream")
#: The scenarios of SDKs other than OpenAI: only the project's environment has them.
NON_OPENAI_SCENARIOS: Final = ANTHROPIC_SCENARIOS + GEMINI_SCENARIOS
SCENARIOS: Final = OPENAI_SCENARIOS + NON_OPENAI_SCENARIOS
OURS: Final = ("llm_agent", "llm_agent_sqlite", "llm_agent_otlp")
STREAMS: Final = ("chat_stream", "anthropic_stream", "gemini_stream")
#: Longer than any run: no timer-driven batch may fire between the fixed flush points.
BATCH_DELAY_S: Final = 3600.0
FLUSH_TIMEOUT_S: Final = 120.0


def install_meter_provider() -> None:
    """The SDK MeterProvider for every subject (as the issue's numbers): instruments record for real.

    Its reader only collects when asked, so no export timer runs during the intervals.
    """
    from opentelemetry import metrics
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))


def setup_subject(name: str) -> Callable[[], None]:
    """Instrument this process as ``name``; returns the flush to call at the fixed points."""
    install_meter_provider()
    if name == "bare":
        return lambda: None
    if name in OURS:
        sys.path.insert(0, str(HERE.parent.parent))
        import llm_agent

        common: dict[str, Any] = {"service_name": "bench", "schedule_delay_s": BATCH_DELAY_S}
        if name == "llm_agent":
            llm_agent.init(backends=[discarding_exporter()], **common)
        elif name == "llm_agent_sqlite":
            path = Path(tempfile.mkdtemp(prefix="llm-agent-count-")) / "sink.sqlite"
            llm_agent.init(sink_path=str(path), **common)
        else:  # OTLP/HTTP to the loopback discard server the harness started (OTEL_EXPORTER_OTLP_ENDPOINT)
            llm_agent.init(backends=["otlp"], **common)
        return lambda: llm_agent.flush(FLUSH_TIMEOUT_S) and None

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(discarding_exporter(), schedule_delay_millis=BATCH_DELAY_S * 1000))
    if name == "otel_v2":
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
    elif name == "genai_openai":
        from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor  # type: ignore[no-redef]
    elif name == "openllmetry":
        os.environ["TRACELOOP_TRACE_CONTENT"] = "false"
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor  # type: ignore[no-redef]
    elif name == "openinference":
        for var in ("OPENINFERENCE_HIDE_INPUTS", "OPENINFERENCE_HIDE_OUTPUTS"):
            os.environ[var] = "true"
        from openinference.instrumentation.openai import OpenAIInstrumentor  # type: ignore[no-redef]
    else:
        raise SystemExit(f"unknown subject {name!r}")
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    return lambda: provider.force_flush(int(FLUSH_TIMEOUT_S * 1000)) and None


def anthropic_calls() -> dict[str, Callable[[], Any]]:
    import anthropic

    try:
        import httpx2 as httpx
    except ImportError:
        import httpx  # type: ignore[no-redef]
    client = anthropic.Anthropic(
        api_key="test_anthropic_api_key",
        base_url="http://fake-anthropic.test",
        max_retries=0,
        http_client=httpx.Client(transport=fake_api.mock_transport(httpx)),
    )
    kwargs: dict[str, Any] = {"model": fake_api.ANTHROPIC_MODEL, "max_tokens": 64, "messages": MESSAGES[1:]}

    def create() -> None:
        client.messages.create(**kwargs, system=MESSAGES[0]["content"])

    def stream() -> None:
        for _event in client.messages.create(**kwargs, system=MESSAGES[0]["content"], stream=True):
            pass

    return {"anthropic": create, "anthropic_stream": stream}


def gemini_calls() -> dict[str, Callable[[], Any]]:
    """The instrumented side of gemini_calls.py's pairs (in a bare process nothing is patched)."""
    import gemini_calls as gemini

    pairs = gemini.calls(gemini.client())
    return {name: pair[1] for name, pair in pairs.items()}


def runner(scenario: str, calls: dict[str, Callable[[], Any]], async_client: Any) -> Callable[[int], None]:
    """``run(n)``: n calls of the scenario."""
    if scenario == "achat":
        loop = asyncio.new_event_loop()

        async def many(n: int) -> None:
            for _ in range(n):
                await async_client.chat.completions.create(
                    model=fake_api.MODEL, messages=MESSAGES, temperature=0.2, max_tokens=64
                )

        return lambda n: loop.run_until_complete(many(n))
    call = calls[scenario]

    def run(n: int) -> None:
        for _ in range(n):
            call()

    return run


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("subject")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--n1", type=int, default=10)
    ap.add_argument("--n2", type=int, default=60)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--stream-n", default="", help="n1,n2,warmup for the streams (default: as the others)")
    ap.add_argument("--stages", action="store_true", help="route llm_agent's stages through named C frames")
    args = ap.parse_args(argv)
    if args.stages:
        import stages

        stages.install()
    flush = setup_subject(args.subject)
    sync, async_, _server = make_clients("mock")
    calls: dict[str, Callable[[], Any]] = dict(scenario_calls(sync, async_))
    scenarios = [s for s in args.scenarios.split(",") if s]
    if any(s in ANTHROPIC_SCENARIOS for s in scenarios):
        calls.update(anthropic_calls())
    if any(s in GEMINI_SCENARIOS for s in scenarios):
        calls.update(gemini_calls())
    done: dict[str, list[int]] = {}
    stream_n = [int(x) for x in args.stream_n.split(",")] if args.stream_n else [args.n1, args.n2, args.warmup]
    for scenario in scenarios:
        n1, n2, warmup = stream_n if scenario in STREAMS else (args.n1, args.n2, args.warmup)
        run = runner(scenario, calls, async_)
        run(warmup)
        flush()
        callgrind_marks.dump(f"{scenario}:warm")
        for label, n in (("n1", n1), ("n2", n2)):
            run(n)
            flush()
            callgrind_marks.dump(f"{scenario}:{label}")
        done[scenario] = [warmup, n1, n2]
    import openai

    # spans the (discarding) exporter received: what the test checks, never part of a dump
    result = {"subject": args.subject, "openai": openai.__version__, "done": done, "spans": Counter.spans}
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # no exit hooks: everything was flushed, and the shutdown's work is no call's


if __name__ == "__main__":
    main()
