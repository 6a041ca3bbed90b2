"""Same-process A/B: each call alternates the SDK's original method and the instrumented one.

    python benchmarks/overhead/ab.py [--calls 4000] [--sink] [--capture] [--scenarios chat,chat_stream,error,converse]
                                     (also cohere_chat,cohere_stream,cohere_rerank,ollama_chat,ollama_stream,
                                      groq_chat,groq_chat_stream,mistral_chat,mistral_chat_stream)
                                     [--subject llm_agent|otel_v2|openllmetry] [--controls]

(``gemini``/``gemini_stream`` are google-genai's ``generate_content`` and its stream.)

A complement to run.py for a noisy machine: the two variants run in adjacent calls of one process,
so a neighbour's load hits both alike; the order alternates per pair.  For each scenario it prints
the medians of the bare call, the instrumented call, and of the per-pair difference, on the wall
clock and on the thread's CPU clock (``time.thread_time_ns``: preemption by a neighbour does not
count), plus the added time as a share of the bare call — the number to compare across machines of
different speed.  llm_agent exports to a discarding exporter, or with ``--sink`` to the default
SQLite sink in a temporary directory.

The thread's CPU clock counts what the app's thread spends.  What the subject leaves to its export
threads (building the span, converting and exporting it) is the last column: the CPU time of every
other thread of the process over the timed calls and the flush after them (the process's CPU
clock minus the app thread's), per instrumented call — bare calls leave those threads nothing to do.

``--subject otel_v2`` / ``openllmetry`` measures a peer the same way (they wrap ``create`` with
wrapt too; OpenInference wraps the client's ``request`` instead, so it has no bare ``create`` to
alternate with): the script re-runs itself in the peer's virtual environment, which run.py builds
under benchmarks/.venvs/ (the SDK's batch processor feeding a discarding exporter, as there).

``--controls`` adds two rows per scenario that measure the method, not a subject: "A/A" alternates
the bare call with itself (the method's own bias: ≈ 0), and "pass-through" alternates it with the
same call through a wrapt wrapper that only calls on (what merely wrapping the method reads here).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent.parent))

import fake_api  # noqa: E402
from subject import MESSAGES, discarding_exporter, make_clients, setup_subject  # noqa: E402

SCENARIOS = (
    "chat",
    "chat_stream",
    "embeddings",
    "responses",
    "error",
    "converse",
    "aws_other",
    "gemini",
    "gemini_stream",
)
#: Scenarios of other providers than OpenAI, measured for llm_agent only (the peers wrap OpenAI).
#: Cohere and Ollama scenarios (cohere_ollama_calls.py), not run by default: the library each needs.
PROVIDER_SCENARIOS = {
    "cohere_chat": "cohere",
    "cohere_stream": "cohere",
    "cohere_rerank": "cohere",
    "ollama_chat": "ollama",
    "ollama_stream": "ollama",
    # LiteLLM over the benchmark's OpenAI client (litellm_calls.py); importing LiteLLM takes seconds
    "litellm_chat": "litellm",
    "litellm_stream": "litellm",
    "litellm_embeddings": "litellm",
    # Groq and Mistral (groq_mistral_calls.py)
    "groq_chat": "groq",
    "groq_chat_stream": "groq",
    "mistral_chat": "mistralai",
    "mistral_chat_stream": "mistralai",
    "dashscope_chat": "dashscope",  # ab_dashscope.py
    "dashscope_stream": "dashscope",
}
OWN_SCENARIOS = frozenset({"converse", "aws_other", "gemini", "gemini_stream", *PROVIDER_SCENARIOS})
#: Scenarios with a 50-chunk stream: a quarter of the calls.
STREAM_SCENARIOS = frozenset(
    {
        "chat_stream",
        "cohere_stream",
        "ollama_stream",
        "gemini_stream",
        "litellm_stream",
        "groq_chat_stream",
        "mistral_chat_stream",
        "dashscope_stream",
    }
)
#: Scenarios whose pass-through control would not apply: it swaps only OpenAI's wrappers.
NO_PASS_THROUGH = frozenset({"groq_chat", "groq_chat_stream", "mistral_chat", "mistral_chat_stream"})
#: Subjects that wrap the SDK's ``create`` methods with wrapt (so ``create.__wrapped__`` is bare).
SUBJECTS = ("llm_agent", "otel_v2", "openllmetry")
#: Set when this script re-runs itself inside a peer's virtual environment.
IN_PEER_ENV = "LLM_AGENT_AB_PEER_ENV"


def calls(sync: Any) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """scenario -> (bare call, instrumented call)."""
    import openai

    chat_res, emb_res, resp_res = sync.chat.completions, sync.embeddings, sync.responses
    chat_create = type(chat_res).create
    emb_create = type(emb_res).create
    resp_create = type(resp_res).create
    # A method the subject leaves alone (a peer that does not wrap the Responses API) is its own bare.
    bare_chat = getattr(chat_create, "__wrapped__", chat_create)
    bare_emb = getattr(emb_create, "__wrapped__", emb_create)
    bare_resp = getattr(resp_create, "__wrapped__", resp_create)
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

    table = {
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
    if os.environ.get(IN_PEER_ENV) is None:
        table.update(bedrock_calls())
        table.update(gemini_calls())
    return table


def gemini_calls() -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """``gemini``/``gemini_stream``: google-genai through the original per-request methods against
    the instrumented ones (gemini_calls.py), answered in-process."""
    import gemini_calls as gemini

    return gemini.calls(gemini.client())


def bedrock_calls() -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """``converse``: botocore's ``_make_api_call`` as it was, against the one llm_agent wraps.

    Both skip the generated ``client.converse`` shim (identical for both) and answer in-process
    (fake_bedrock.py); the instrumented call goes through the class-level wrapper and its filter.
    ``aws_other`` is a call of another service (the ``bedrock`` control plane's
    ``ListFoundationModels``) through the same wrapper: what the filter costs every AWS call.
    """
    import fake_bedrock
    from botocore.client import BaseClient

    client = fake_bedrock.make_client()
    control = fake_bedrock.make_client("bedrock")
    current = BaseClient.__dict__["_make_api_call"]
    bare = getattr(current, "__wrapped__", current)  # wrapt's original, when wrapped
    kwargs = fake_bedrock.CONVERSE_KWARGS
    return {
        "converse": (
            lambda: bare(client, "Converse", dict(kwargs)),
            lambda: client._make_api_call("Converse", dict(kwargs)),
        ),
        "aws_other": (
            lambda: bare(control, "ListFoundationModels", {}),
            lambda: control._make_api_call("ListFoundationModels", {}),
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


def _through(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return wrapped(*args, **kwargs)


@contextlib.contextmanager
def passing_through(sync: Any) -> Iterator[None]:
    """While open, each ``create`` the subject wrapped is wrapped instead by a wrapt wrapper that
    only calls through: the instrumented calls of ``calls()`` then measure wrapping alone."""
    import wrapt

    swapped: list[tuple[type, Any]] = []
    for resource in (sync.chat.completions, sync.embeddings, sync.responses):
        cls = type(resource)
        current = cls.__dict__.get("create")
        bare = getattr(current, "__wrapped__", None)
        if bare is None:
            continue  # a method the subject left alone stays as it is
        cls.create = wrapt.FunctionWrapper(bare, _through)
        swapped.append((cls, current))
    try:
        yield
    finally:
        for cls, current in swapped:
            cls.create = current


def run_in_peer_env(subject: str) -> None:
    """Re-run this script with the peer's interpreter (its environment is run.py's)."""
    import subprocess

    import run

    python = run.ensure_venv(subject, run.PEERS[subject])
    if python is None:
        raise SystemExit(f"the {subject} environment could not be built (see above)")
    env = {**os.environ, IN_PEER_ENV: "1", "PYTHONDONTWRITEBYTECODE": "1"}
    raise SystemExit(subprocess.run([str(python), str(Path(__file__).resolve()), *sys.argv[1:]], env=env).returncode)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=4000)
    ap.add_argument("--sink", action="store_true", help="the default SQLite sink instead of a discarding exporter")
    ap.add_argument("--capture", action="store_true", help="content capture on")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--subject", choices=SUBJECTS, default="llm_agent", help="a peer runs in run.py's environment")
    ap.add_argument("--controls", action="store_true", help="add the A/A and pass-through rows per scenario")
    args = ap.parse_args()
    if args.subject != "llm_agent" and args.sink:
        ap.error("--sink is llm_agent's SQLite sink")
    if args.subject != "llm_agent" and not os.environ.get(IN_PEER_ENV):
        run_in_peer_env(args.subject)

    wanted = args.scenarios.split(",")
    needed = sorted({PROVIDER_SCENARIOS[n] for n in wanted if n in PROVIDER_SCENARIOS})
    if args.subject == "llm_agent":
        import llm_agent

        if args.sink:
            path = Path(tempfile.mkdtemp(prefix="llm-agent-ab-")) / "sink.sqlite"
            llm_agent.init(
                service_name="bench",
                sink_path=str(path),
                capture_content=args.capture,
                instrument=["openai", "bedrock", "google_genai", *needed],
            )
        else:
            llm_agent.init(
                service_name="bench",
                backends=[discarding_exporter()],
                capture_content=args.capture,
                instrument=["openai", "bedrock", "google_genai", *needed],
            )

        def flush() -> None:
            llm_agent.flush(30.0)

    else:
        flush = setup_subject(args.subject, args.capture)
    sync, _async, _server = make_clients("mock")
    table = calls(sync)
    exporter = "SQLite sink" if args.sink else "discarding exporter"
    print(f"A/B, {args.subject}, {exporter}, capture {'on' if args.capture else 'off'}")
    print(
        "| scenario | bare µs | instrumented µs | added µs (wall) | added µs (CPU) | added / bare (CPU) "
        "| export threads' CPU µs per call |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    if needed and args.subject == "llm_agent":
        import cohere_ollama_calls

        if "cohere" in needed:
            table.update(cohere_ollama_calls.cohere_calls())
        if "ollama" in needed:
            table.update(cohere_ollama_calls.ollama_calls())
        if "litellm" in needed:
            import litellm_calls

            table.update(litellm_calls.calls(sync))
        if "groq" in needed or "mistralai" in needed:
            import groq_mistral_calls

            if "groq" in needed:
                table.update(groq_mistral_calls.groq_calls())
            if "mistralai" in needed:
                table.update(groq_mistral_calls.mistral_calls())
        if "dashscope" in needed:
            import ab_dashscope

            table.update(ab_dashscope.calls())
    for name in wanted:
        if name in OWN_SCENARIOS and args.subject != "llm_agent":
            continue
        bare, inst = table[name]
        n = args.calls // 4 if name in STREAM_SCENARIOS else args.calls
        row(name, bare, inst, n, flush)
        if args.controls:
            row(f"{name}: A/A", bare, bare, n, flush)
        if args.controls and name not in NO_PASS_THROUGH:
            with passing_through(sync):
                row(f"{name}: pass-through", bare, inst, n, flush)
    if args.subject == "llm_agent":
        print("internal errors:", llm_agent.stats().get("internal_errors"))
        llm_agent.shutdown()


def row(label: str, bare: Callable[[], Any], inst: Callable[[], Any], n: int, flush: Callable[[], None]) -> None:
    """Measure one pair of calls and print its table row."""
    measure(bare, inst, max(20, n // 10))  # warm-up
    flush()
    gc.collect()
    process0, thread0 = time.process_time_ns(), time.thread_time_ns()
    r = measure(bare, inst, n)
    flush()
    others_us = ((time.process_time_ns() - process0) - (time.thread_time_ns() - thread0)) / 1000
    share = 100 * r["added_cpu_us"] / r["bare_cpu_us"]
    print(
        f"| {label} | {r['bare_us']:.0f} | {r['inst_us']:.0f} | {r['added_wall_us']:+.1f} | "
        f"{r['added_cpu_us']:+.1f} | {share:.1f} % | {others_us / n:.1f} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
