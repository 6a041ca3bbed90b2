"""A LangGraph agent turn, bare vs llm_agent vs OpenInference's LangChain instrumentation.

    python benchmarks/overhead/langgraph_turn.py [--turns 300] [--out benchmarks/results/langgraph-turn]

One turn is ``create_react_agent(...).invoke`` of a user message: the model (LangChain's
``GenericFakeChatModel``, no HTTP, so the turn is LangGraph's own work and the share is the
largest it can be) asks for two tools at once, both run (LangGraph's parallel tool tasks), the
model answers — 20 LangChain runs.  The three variants alternate turn by turn in one process
(the order rotating each round), switched between turns by instrument()/uninstrument(), so a
neighbour's load hits them alike.  Reported per variant: the medians of the turn's wall time and
of the process's CPU time (``time.process_time_ns``: every thread, so LangGraph's tool workers and
the export threads count), and what the instrumentation adds to the
median bare turn, also as a share of it.  Both subjects export to a discarding exporter through
a batching processor (llm_agent's own pipeline; the SDK's ``BatchSpanProcessor`` for the peer).
The peer is skipped when ``openinference-instrumentation-langchain`` is not installed.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

from subject import discarding_exporter  # noqa: E402

#: Turns run before timing (imports, caches, the graph's first compile-time work).
WARMUP_TURNS = 30


def build_agent() -> Any:
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.tools import tool
    from langgraph.prebuilt import create_react_agent

    @tool
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return f"sunny in {city}"

    @tool
    def search_orders(customer: str) -> str:
        """A customer's orders."""
        return f"one order for {customer}"

    class Fake(GenericFakeChatModel):
        def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
            return self

    usage = {"input_tokens": 11, "output_tokens": 3, "total_tokens": 14}
    calls = [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_w", "type": "tool_call"},
        {"name": "search_orders", "args": {"customer": "alice"}, "id": "call_o", "type": "tool_call"},
    ]
    script = itertools.cycle(
        [AIMessage(content="", tool_calls=calls, usage_metadata=usage), AIMessage(content="done", usage_metadata=usage)]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return create_react_agent(Fake(messages=script), [get_weather, search_orders])


def variants() -> dict[str, tuple[Callable[[], None], Callable[[], None]]]:
    """name -> (switch on, switch off)."""
    import llm_agent

    llm_agent.init(backends=[discarding_exporter()], instrument=[])
    out: dict[str, tuple[Callable[[], None], Callable[[], None]]] = {
        "bare": (lambda: None, lambda: None),
        "llm_agent": (lambda: llm_agent.instrument("langchain"), lambda: llm_agent.uninstrument("langchain")),
    }
    try:
        from openinference.instrumentation.langchain import LangChainInstrumentor
    except ImportError:
        return out
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(discarding_exporter()))
    peer = LangChainInstrumentor()
    out["openinference"] = (lambda: peer.instrument(tracer_provider=provider), peer.uninstrument)
    return out


def run(turns: int) -> dict[str, Any]:
    import llm_agent

    agent = build_agent()
    switches = variants()
    names = list(switches)
    wall: dict[str, list[int]] = {n: [] for n in names}
    cpu: dict[str, list[int]] = {n: [] for n in names}
    message = {"messages": [("user", "weather and orders?")]}
    for name in names:  # warm every variant's path
        on, off = switches[name]
        on()
        for _ in range(WARMUP_TURNS):
            agent.invoke(message)
        off()
    gc.disable()
    try:
        for i in range(turns):
            order = names[i % len(names) :] + names[: i % len(names)]
            for name in order:
                on, off = switches[name]
                on()
                w0, c0 = time.perf_counter_ns(), time.process_time_ns()
                agent.invoke(message)
                c1, w1 = time.process_time_ns(), time.perf_counter_ns()
                off()
                wall[name].append(w1 - w0)
                cpu[name].append(c1 - c0)
            if i % 50 == 49:
                gc.collect()
                llm_agent.flush()  # the export work of these turns lands in the next turns' CPU alike
    finally:
        gc.enable()
    bare_wall, bare_cpu = statistics.median(wall["bare"]), statistics.median(cpu["bare"])
    rows = {}
    for name in names:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        rows[name] = {
            "turn_wall_us": round(w / 1e3, 1),
            "turn_cpu_us": round(c / 1e3, 1),
            "added_wall_us": round((w - bare_wall) / 1e3, 1),
            "added_cpu_us": round((c - bare_cpu) / 1e3, 1),
            "added_cpu_share": round((c - bare_cpu) / bare_cpu, 3),
        }
    return {"turns": turns, "python": platform.python_version(), "rows": rows}


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"# A LangGraph agent turn ({result['turns']} turns per variant, Python {result['python']})",
        "",
        "Median per turn; added = the variant's median minus the bare turn's; share = added CPU / bare CPU.",
        "",
        "| variant | turn wall µs | turn CPU µs (process) | added wall µs | added CPU µs | added CPU share |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in result["rows"].items():
        lines.append(
            f"| {name} | {r['turn_wall_us']} | {r['turn_cpu_us']} | {r['added_wall_us']} | {r['added_cpu_us']} "
            f"| {r['added_cpu_share']:.1%} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--out", type=Path, default=None, help="write OUT.json and OUT.md")
    args = parser.parse_args(argv)
    result = run(args.turns)
    text = markdown(result)
    print(text)
    if args.out is not None:
        args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
        args.out.with_suffix(".md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
