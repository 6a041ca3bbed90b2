"""The sink the web page is tested against, recorded from real instrumented OpenAI calls.

The real ``openai`` client talks to an ``httpx2.MockTransport`` inside ``llm_agent.session()`` /
``llm_agent.trace()``, through ``llm_agent.init(backends=["sqlite"], capture_content=True)``.
The SDK's span clock is replaced by a fake one that only the mock transport (the call's latency)
and the scenario (think time) move, so every duration is exact and the waterfall's bar widths can
be checked against known numbers.  The sessions start a few hours before *now*, so the page's
default 24 h window shows all of them.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass

import pytest

S = 1_000_000_000

#: A prompt that would run script if the page ever inserted data as HTML.
XSS_PROMPT = "<script>window.__xss=1;document.title='pwned'</script><img src=x onerror=\"window.__xss=2\"> hi"


@dataclass(frozen=True)
class Call:
    model: str
    latency_s: float
    input_tokens: int | None = None
    output_tokens: int | None = None
    op: str = "chat"  # chat | embeddings
    stream: bool = False
    status: int = 200
    prompt: str = "hello"


@dataclass(frozen=True)
class Session:
    session_id: str
    user: str
    offset_s: float  # start, seconds after the scenario's T0
    turns: tuple[tuple[float, tuple[Call, ...]], ...]  # (think time before the turn, its calls)


SCENARIO: tuple[Session, ...] = (
    Session("ui-alice-1", "alice", 0, (
        (0, (Call("gpt-4o", 1.0, 100, 50), Call("gpt-4o-mini", 3.0, 20, 10),
             Call("text-embedding-3-small", 0.5, 8, op="embeddings"))),
        (10, (Call("gpt-4o", 2.0, 200, 80),)),
    )),
    Session("ui-alice-2", "alice", 600, ((0, (Call("gpt-4o", 0.8, 10, 5),)),)),
    Session("ui-bob-1", "bob", 1200, ((0, (Call("gpt-4o-mini", 2.0, 300, 200, stream=True),)),)),
    Session("ui-carol-xss", "carol", 1800, (
        (0, (Call("gpt-4o", 1.5, 40, 20, prompt=XSS_PROMPT),)),
        (5, (Call("gpt-4o-mini", 0.4, status=500),)),
    )),
    Session("ui-dave", "dave", 2400, ((0, (Call("gpt-4o", 4.0, 1000, 500),)),)),
)  # fmt: skip

#: Declared prices (USD per million tokens), so the page's costs do not depend on the installed table;
#: the failed call (no usage) shows as unpriced.
PRICES = {"models": {
    "gpt-4o": {"input": 2.0, "output": 8.0}, "gpt-4o-mini": {"input": 1.0, "output": 4.0},
    "text-embedding-3-small": {"input": 1.0, "output": 0.0},
}}  # fmt: skip
#: Calls made outside every session (an app that never calls llm_agent.session): (start offset,
#: trace name or None for a bare call, calls).  Only the Traces tab lists them.
SESSIONLESS: tuple[tuple[float, str | None, tuple[Call, ...]], ...] = (
    (3000, None, (Call("gpt-4.1", 6.0, 500, 300),)),
    (3100, None, (Call("gpt-4.1", 0.2, status=429),)),
    (3200, "nightly-job", (Call("gpt-4.1", 1.0, 50, 20), Call("gpt-4.1", 1.5, 60, 30))),
)

#: The trace whose waterfall the tests measure: alice's first turn (1.0 s, 3.0 s and 0.5 s calls).
WATERFALL_SESSION = "ui-alice-1"


def t0_ns() -> int:
    """Three hours ago, on a whole minute (inside the page's default 24 h window)."""
    now = time.time_ns()
    return now - now % (60 * S) - 3 * 3600 * S


class FakeClock:
    def __init__(self, ns: int) -> None:
        self.ns = ns

    def __call__(self) -> int:
        return self.ns

    def advance(self, seconds: float) -> None:
        self.ns += round(seconds * S)


_SPEC = re.compile(r"lat=([\d.]+) in=(\d+|-) out=(\d+|-) status=(\d+)")


def _spec(call: Call) -> str:
    tin = "-" if call.input_tokens is None else call.input_tokens
    tout = "-" if call.output_tokens is None else call.output_tokens
    return f"{call.prompt} [lat={call.latency_s} in={tin} out={tout} status={call.status}]"


def _handler(clock: FakeClock):  # type: ignore[no-untyped-def]
    import httpx2

    def handle(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        text = body["input"] if "input" in body else body["messages"][-1]["content"]
        match = _SPEC.search(text if isinstance(text, str) else text[0])
        assert match is not None
        lat, tin, tout, status = match.groups()
        clock.advance(float(lat))  # the call's latency, as the span clock sees it
        model = body["model"]
        if status != "200":
            return httpx2.Response(int(status), json={"error": {"message": "synthetic", "type": "server_error"}})
        if "input" in body:
            return httpx2.Response(200, json={
                "object": "list", "model": model,
                "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
                "usage": {"prompt_tokens": int(tin), "total_tokens": int(tin)},
            })  # fmt: skip
        usage = {"prompt_tokens": int(tin), "completion_tokens": int(tout), "total_tokens": int(tin) + int(tout)}
        if body.get("stream"):
            base = {"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1772359200, "model": model}
            chunks = [
                {**base, "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}]},
                {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                {**base, "choices": [], "usage": usage},
            ]
            sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
            return httpx2.Response(200, content=sse.encode(), headers={"content-type": "text/event-stream"})
        return httpx2.Response(200, json={
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1772359200, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
            "usage": usage,
        })  # fmt: skip

    return handle


def openai_instrumentation_available() -> bool:
    try:
        import openai  # noqa: F401

        import llm_agent.instrumentation.openai as module
    except ImportError:
        return False
    return hasattr(module, "OpenAIInstrumentor")


def build_sink(path: str) -> None:
    """Record SCENARIO into a fresh sink at ``path`` through real instrumented calls."""
    import httpx2
    import openai
    import opentelemetry.sdk.trace as sdk_trace

    import llm_agent

    start = t0_ns()
    clock = FakeClock(start)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sdk_trace, "time_ns", clock)
        llm_agent.shutdown()
        llm_agent.init(
            backends=["sqlite"],
            sink_path=path,
            instrument=["openai"],
            capture_content=True,
            schedule_delay_s=0.05,
            prices=PRICES,
        )
        try:
            client = openai.OpenAI(
                api_key="test_openai_api_key",
                base_url="http://llm.test/v1",
                max_retries=0,
                http_client=httpx2.Client(transport=httpx2.MockTransport(_handler(clock))),
            )
            for sess in SCENARIO:
                clock.ns = start + round(sess.offset_s * S)
                with llm_agent.session(sess.session_id, user_id=sess.user):
                    for n, (think_s, calls) in enumerate(sess.turns, start=1):
                        clock.advance(think_s)
                        with llm_agent.trace(f"turn-{n}"):
                            for call in calls:
                                _call(client, call)
            for offset_s, name, calls in SESSIONLESS:
                clock.ns = start + round(offset_s * S)
                with llm_agent.trace(name) if name else contextlib.nullcontext():
                    for call in calls:
                        _call(client, call)
            assert llm_agent.flush(10.0)
        finally:
            llm_agent.shutdown()


def _call(client, call: Call) -> None:  # type: ignore[no-untyped-def]
    import openai

    messages = [{"role": "user", "content": _spec(call)}]
    try:
        if call.op == "embeddings":
            client.embeddings.create(model=call.model, input=_spec(call))
        elif call.stream:
            stream = client.chat.completions.create(
                model=call.model, messages=messages, stream=True, stream_options={"include_usage": True}
            )
            for _ in stream:
                pass
        else:
            client.chat.completions.create(model=call.model, messages=messages)
    except openai.APIStatusError:
        assert call.status != 200  # the app handles the provider's error; the span records it
