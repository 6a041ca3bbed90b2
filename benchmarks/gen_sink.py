"""Write a realistic synthetic sink through the sink's own write path (``SQLiteBackend.export``).

Default shape: 1,000,000 spans in 100,000 sessions of 2,000 users over the last 30 days, 8 models.
A session is 1-6 traces (requests) separated by think time; a trace is a CHAIN root span with
1-4 LLM / embedding calls (some streamed with a time to first chunk, ~2% failing with a real
OpenAI error type, ~3% without reported usage); ``--tool-share`` of the calls are followed by a
TOOL span (``execute_tool NAME``, one of six tool names), and ``--sessionless-share`` of the
sessions' traces carry no session or user (an app that never calls ``llm_agent.session``), for
the Trace Explorer.  Sizes scale with ``--spans``.  Seeded, so the same arguments give the same file.

    python benchmarks/gen_sink.py /tmp/sink-1m.sqlite [--spans 1000000] [--days 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from llm_agent.backends._types import SpanRecord
from llm_agent.backends.sqlite import SQLiteBackend

MODELS = (
    # name, provider, weight, median latency s, output tokens/s
    ("gpt-4o", "openai", 30, 2.5, 60.0),
    ("gpt-4o-mini", "openai", 25, 1.2, 110.0),
    ("o3-mini", "openai", 6, 8.0, 70.0),
    ("gpt-4.1", "openai", 8, 3.0, 55.0),
    ("text-embedding-3-small", "openai", 12, 0.25, 0.0),
    ("claude-sonnet-4-5", "anthropic", 10, 3.5, 50.0),
    ("claude-haiku-4-5", "anthropic", 7, 1.0, 120.0),
    ("claude-opus-4-1", "anthropic", 2, 9.0, 30.0),
)
ERRORS = ("openai.RateLimitError", "openai.InternalServerError", "openai.APITimeoutError", "anthropic.OverloadedError")
TOOLS = ("search_orders", "lookup_customer", "refund", "send_email", "web_search", "run_sql")
SPANS_PER_SESSION = 10  # average, used to size the session count from --spans
S = 1_000_000_000


def _hex(rng: random.Random, bits: int) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def _call(rng: random.Random, trace_id: str, parent: str, start: int, session: str, user: str) -> SpanRecord:
    name, provider, _, median, speed = rng.choices(MODELS, weights=[m[2] for m in MODELS])[0]
    embedding = speed == 0.0
    duration_s = rng.lognormvariate(0, 0.6) * median
    failed = rng.random() < 0.02
    stream = not embedding and rng.random() < 0.4
    missing = not failed and rng.random() < 0.03
    in_tok = rng.randint(20, 4000)
    out_tok = 0 if embedding else max(1, int(duration_s * speed * rng.uniform(0.5, 1.0)))
    if failed:
        duration_s = rng.uniform(0.05, 2.0)
    end = start + int(duration_s * S)
    op = "embeddings" if embedding else "chat"
    return SpanRecord(
        trace_id=trace_id, span_id=_hex(rng, 64), parent_span_id=parent, name=f"{op} {name}", kind="CLIENT",
        start_ns=start, end_ns=end, status="ERROR" if failed else "UNSET",
        status_message="synthetic failure" if failed else None, service_name="bench-app",
        scope_name="llm_agent", session_id=session, user_id=user,
        span_kind="EMBEDDING" if embedding else "LLM", operation=op, provider=provider, request_model=name,
        response_model=None if failed else name, model=name,
        error_type=rng.choice(ERRORS) if failed else None,
        input_tokens=None if failed or missing else in_tok,
        output_tokens=None if failed or missing or embedding else out_tok,
        cache_read_tokens=None if failed or missing or rng.random() < 0.7 else in_tok // 2,
        reasoning_tokens=out_tok // 3 if name.startswith("o3") and not failed and not missing else None,
        ttft_s=rng.uniform(0.1, 0.2) * median if stream and not failed else None,
        finish_reasons=() if failed or embedding else (rng.choice(("stop", "stop", "stop", "length", "tool_calls")),),
        usage_missing=missing,
        attributes={
            "gen_ai.operation.name": op, "gen_ai.provider.name": provider, "gen_ai.request.model": name,
            "server.address": "api.openai.com" if provider == "openai" else "api.anthropic.com",
            "session.id": session, "user.id": user, "gen_ai.span.kind": "EMBEDDING" if embedding else "LLM",
        },
    )  # fmt: skip


def _tool(
    rng: random.Random, trace_id: str, parent: str, start: int, session: str | None, user: str | None
) -> SpanRecord:
    name = rng.choice(TOOLS)
    end = start + int(rng.lognormvariate(0, 0.8) * 0.2 * S)
    return SpanRecord(
        trace_id=trace_id, span_id=_hex(rng, 64), parent_span_id=parent, name=f"execute_tool {name}",
        kind="INTERNAL", start_ns=start, end_ns=end, status="UNSET", service_name="bench-app",
        scope_name="llm_agent", session_id=session, user_id=user, span_kind="TOOL", operation="execute_tool",
        attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name, "gen_ai.span.kind": "TOOL"},
    )  # fmt: skip


def _session(
    rng: random.Random, index: int, start: int, users: list[str], tool_share: float = 0.0, sessionless: float = 0.0
) -> list[SpanRecord]:
    session: str | None = f"sess-{index:07d}"
    user: str | None = rng.choice(users)
    if rng.random() < sessionless:
        session = user = None
    spans: list[SpanRecord] = []
    t = start
    for turn in range(rng.choices((1, 2, 3, 4, 5, 6), weights=(22, 25, 20, 15, 11, 7))[0]):
        trace_id = _hex(rng, 128)
        root = _hex(rng, 64)
        cursor = t + int(rng.uniform(0.001, 0.05) * S)
        calls = []
        for _ in range(rng.choices((1, 2, 3, 4, 5), weights=(20, 35, 25, 12, 8))[0]):
            call = _call(rng, trace_id, root, cursor, session, user)  # type: ignore[arg-type]
            calls.append(call)
            cursor = call.end_ns + int(rng.uniform(0.01, 0.3) * S)
            if tool_share and rng.random() < tool_share:
                calls.append(_tool(rng, trace_id, root, cursor, session, user))
                cursor = calls[-1].end_ns + int(rng.uniform(0.01, 0.1) * S)
        spans.append(
            SpanRecord(
                trace_id=trace_id, span_id=root, parent_span_id=None, name=f"turn-{turn}", kind="INTERNAL",
                start_ns=t, end_ns=cursor, status="UNSET", service_name="bench-app", scope_name="llm_agent",
                session_id=session, user_id=user, span_kind="CHAIN",
                attributes={"llm_agent.trace.name": f"turn-{turn}", "session.id": session, "user.id": user},
            )
        )  # fmt: skip
        spans.extend(calls)
        t = cursor + int(rng.expovariate(1 / 20.0) * S)  # think time, mean 20 s
    return spans


def generate(
    path: str, spans: int, days: float, seed: int, batch: int = 512, tool_share: float = 0.15, sessionless: float = 0.1
) -> tuple[int, int]:
    rng = random.Random(seed)
    sessions = max(1, spans // SPANS_PER_SESSION)
    users = [f"user-{i:05d}" for i in range(max(1, sessions // 50))]
    now = time.time_ns()
    first = now - int(days * 86400 * S)
    starts = sorted(rng.randint(first, now - 600 * S) for _ in range(sessions))
    backend = SQLiteBackend(path)
    pending: list[SpanRecord] = []
    written = 0
    try:
        for i, start in enumerate(starts):
            pending.extend(_session(rng, i, start, users, tool_share, sessionless))
            if len(pending) >= batch:
                backend.export(pending)
                written += len(pending)
                pending = []
        if pending:
            backend.export(pending)
            written += len(pending)
    finally:
        backend.shutdown(5.0)
    return written, sessions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--spans", type=int, default=1_000_000, help="about this many spans (default 1,000,000)")
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tool-share", type=float, default=0.15, help="calls followed by a TOOL span")
    parser.add_argument("--sessionless-share", type=float, default=0.1, help="sessions recorded without IDs")
    args = parser.parse_args()
    if os.path.exists(args.path):
        sys.exit(f"{args.path} exists; choose a new file")
    started = time.perf_counter()
    written, sessions = generate(
        args.path, args.spans, args.days, args.seed, tool_share=args.tool_share, sessionless=args.sessionless_share
    )
    took = time.perf_counter() - started
    print(f"wrote {written} spans in {sessions} sessions to {args.path} in {took:.1f}s ({written / took:.0f} spans/s)")


if __name__ == "__main__":
    main()
