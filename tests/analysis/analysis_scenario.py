"""A sink of known shape, built two ways, and the reference numbers the tests compare against.

``sink`` is parametrised:

* ``openai``: real instrumented calls - the real ``openai`` client over ``httpx2.MockTransport``
  (chat, streamed chat with a usage chunk, embeddings, 500 and 429 errors; ``max_retries=0``)
  inside ``llm_agent.session()`` / ``llm_agent.trace()`` through ``llm_agent.init(backends=["sqlite"])``.
  The SDK's clock is replaced by a fake one that only the mock transport (the call's latency) and
  the scenario (think time) move, so every duration is exact.
* ``records``: the same scenario as ``SpanRecord``s through ``SQLiteBackend.export`` (the sink's
  write path), which pins the analysis on its own, independent of the instrumentation.

Both produce identical timings and token counts, so the same assertions hold for both.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest

from llm_agent.analysis import _time

T0 = datetime(2026, 3, 1, 10, 0, 0, tzinfo=timezone.utc)
T0_NS = _time.datetime_to_ns(T0)
S = 1_000_000_000


@dataclass(frozen=True)
class Call:
    model: str
    latency_s: float
    input_tokens: int | None = None
    output_tokens: int | None = None
    op: str = "chat"  # chat | embeddings
    stream: bool = False
    status: int = 200  # 500 / 429: the provider fails the call

    @property
    def failed(self) -> bool:
        return self.status != 200

    @property
    def error_suffix(self) -> str:
        return {500: "InternalServerError", 429: "RateLimitError"}.get(self.status, "")


@dataclass(frozen=True)
class Turn:
    calls: tuple[Call, ...]
    think_s: float = 0.0  # idle time before this turn starts


@dataclass(frozen=True)
class Session:
    session_id: str
    user: str | None
    offset_s: float  # start, from T0
    turns: tuple[Turn, ...]


@dataclass
class RefSession:
    """What the sink must report for a session (computed from the scenario, not from the sink)."""

    session_id: str
    user: str | None
    start_ns: int
    end_ns: int
    traces: list[tuple[int, int, list[Call]]] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return (self.end_ns - self.start_ns) / S

    @property
    def calls(self) -> list[Call]:
        return [c for _, _, calls in self.traces for c in calls]

    @property
    def input_tokens(self) -> int:
        return sum(c.input_tokens or 0 for c in self.calls if not c.failed)

    @property
    def output_tokens(self) -> int:
        return sum(c.output_tokens or 0 for c in self.calls if not c.failed)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def errors(self) -> int:
        return sum(1 for c in self.calls if c.failed)

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(sorted({c.model for c in self.calls}))

    @property
    def cost_nusd(self) -> int:
        """The priced calls' cost in nano-USD, from ``PRICES`` (failed calls have no usage: unpriced)."""
        return sum(call_cost_nusd(c) or 0 for c in self.calls)

    @property
    def unpriced_calls(self) -> int:
        return sum(call_cost_nusd(c) is None for c in self.calls)

    @property
    def cost_usd(self) -> float | None:
        priced = len(self.calls) - self.unpriced_calls
        return self.cost_nusd / 1e9 if priced else None


#: Declared prices (USD per million tokens) the scenario is recorded with, so its costs do not
#: depend on the installed price table; ``broken-model`` has none (its calls fail anyway).
PRICES = {"models": {
    "gpt-4o": {"provider": "openai", "input": 2.0, "output": 8.0},
    "gpt-4o-mini": {"input": 1.0, "output": 4.0},
    "text-embedding-3-small": {"input": 1.0, "output": 0.0},
}}  # fmt: skip


def call_cost_nusd(c: Call) -> int | None:
    price = PRICES["models"].get(c.model)
    if c.failed or price is None or c.input_tokens is None:
        return None
    return round(c.input_tokens * price["input"] * 1000 + (c.output_tokens or 0) * price["output"] * 1000)


def _chat(model: str, lat: float, tin: int, tout: int, **kw: object) -> Call:
    return Call(model, lat, tin, tout, **kw)  # type: ignore[arg-type]


SCENARIO: tuple[Session, ...] = (
    Session("s-alice-1", "alice", 0, (
        Turn((_chat("gpt-4o", 1.0, 100, 50),)),
        Turn((Call("text-embedding-3-small", 0.2, 8, None, op="embeddings"), _chat("gpt-4o", 2.0, 200, 80)), 10),
        Turn((_chat("gpt-4o", 3.5, 300, 120),), 20),
    )),
    Session("s-bob-1", "bob", 300, (
        Turn((_chat("gpt-4o-mini", 4.0, 30, 70, stream=True),)),
        Turn((Call("gpt-4o-mini", 0.5, status=500),), 5),
    )),
    Session("s-carol", "carol", 600, (
        Turn((Call("broken-model", 0.1, status=429),)),
        Turn((Call("broken-model", 0.3, status=500),), 2),
    )),
    Session("s-anon", None, 7200, (Turn((_chat("gpt-4o-mini", 0.7, 10, 5),)),)),
    Session("s-dave", "dave", 10800, (
        Turn(tuple(_chat("gpt-4o", lat, 10, 10) for lat in (0.3, 0.9, 1.1, 1.7, 2.2, 2.9, 6.5))),
        Turn((_chat("gpt-4o-mini", 1.5, 40, 60, stream=True), _chat("gpt-4o-mini", 2.5, 50, 90, stream=True)), 30),
    )),
    Session("s-alice-2", "alice", 86400, (Turn((_chat("gpt-4o", 5.0, 1000, 2000),)),)),
)  # fmt: skip

#: A window covering every session (they all lie within T0 .. T0 + 1 day + a minute).
SINCE = "2026-03-01T09:00:00Z"
UNTIL = "2026-03-02T11:00:00Z"


def reference() -> dict[str, RefSession]:
    out = {}
    for sess in SCENARIO:
        t = T0_NS + int(sess.offset_s * S)
        ref = RefSession(sess.session_id, sess.user, t, t)
        for turn in sess.turns:
            t += int(turn.think_s * S)
            start = t
            for call in turn.calls:
                t += int(call.latency_s * S)
            ref.traces.append((start, t, list(turn.calls)))
        ref.start_ns, ref.end_ns = ref.traces[0][0], ref.traces[-1][1]
        out[sess.session_id] = ref
    return out


# --- driver 1: real OpenAI SDK calls through the instrumentation -------------------------------------------


class FakeClock:
    def __init__(self, ns: int) -> None:
        self.ns = ns

    def __call__(self) -> int:
        return self.ns

    def advance(self, seconds: float) -> None:
        self.ns += int(seconds * S)


_SPEC = re.compile(r"lat=([\d.]+) in=(\d+|-) out=(\d+|-) status=(\d+)")


def _spec(call: Call) -> str:
    tin = "-" if call.input_tokens is None else call.input_tokens
    tout = "-" if call.output_tokens is None else call.output_tokens
    return f"lat={call.latency_s} in={tin} out={tout} status={call.status}"


def _handler(clock: FakeClock):  # type: ignore[no-untyped-def]
    import httpx2

    def handle(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        text = body["input"] if "input" in body else body["messages"][-1]["content"]
        lat, tin, tout, status = _SPEC.search(text if isinstance(text, str) else text[0]).groups()  # type: ignore[union-attr]
        clock.advance(float(lat))  # the call's latency, as the instrumentation's clock sees it
        model = body["model"]
        if status != "200":
            err = {"error": {"message": "synthetic", "type": "server_error", "code": None}}
            return httpx2.Response(int(status), json=err)
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
            ]  # fmt: skip
            sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
            return httpx2.Response(200, content=sse.encode(), headers={"content-type": "text/event-stream"})
        return httpx2.Response(200, json={
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1772359200, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
            "usage": usage,
        })  # fmt: skip

    return handle


def _openai_available() -> bool:
    try:
        import openai  # noqa: F401

        import llm_agent.instrumentation.openai as module
    except ImportError:
        return False
    return hasattr(module, "OpenAIInstrumentor")


def build_with_openai(path: str) -> None:
    import httpx2
    import openai
    import opentelemetry.sdk.trace as sdk_trace

    import llm_agent

    clock = FakeClock(T0_NS)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sdk_trace, "time_ns", clock)
        llm_agent.shutdown()
        llm_agent.init(backends=["sqlite"], sink_path=path, instrument=["openai"], schedule_delay_s=0.05, prices=PRICES)
        try:
            client = openai.OpenAI(
                api_key="test_openai_api_key",
                base_url="http://llm.test/v1",
                max_retries=0,
                http_client=httpx2.Client(transport=httpx2.MockTransport(_handler(clock))),
            )
            for sess in SCENARIO:
                clock.ns = T0_NS + int(sess.offset_s * S)
                with llm_agent.session(sess.session_id, user_id=sess.user):
                    for n, turn in enumerate(sess.turns, start=1):
                        clock.advance(turn.think_s)
                        with llm_agent.trace(f"turn-{n}"):
                            for call in turn.calls:
                                _openai_call(client, call)
            assert llm_agent.flush(10.0)
        finally:
            llm_agent.shutdown()


def _openai_call(client, call: Call) -> None:  # type: ignore[no-untyped-def]
    import openai

    try:
        if call.op == "embeddings":
            client.embeddings.create(model=call.model, input=_spec(call))
        elif call.stream:
            stream = client.chat.completions.create(
                model=call.model, messages=[{"role": "user", "content": _spec(call)}], stream=True,
                stream_options={"include_usage": True},
            )  # fmt: skip
            for _ in stream:
                pass
        else:
            client.chat.completions.create(model=call.model, messages=[{"role": "user", "content": _spec(call)}])
    except openai.APIStatusError:
        assert call.failed  # the app handles the provider's error; the span records it


# --- driver 2: SpanRecords through the sink's write path ------------------------------------------------------


def build_with_records(path: str) -> None:
    from llm_agent._cost import load
    from llm_agent.backends.sqlite import SQLiteBackend

    records = scenario_records()
    backend = SQLiteBackend(path, prices=load(PRICES))
    try:
        # Two batches in reverse order: the rollups must not depend on arrival order.
        half = len(records) // 2
        backend.export(records[half:])
        backend.export(records[:half])
    finally:
        backend.shutdown(5.0)


def scenario_records() -> list:  # type: ignore[type-arg]
    """The scenario as ``SpanRecord``s (what ``build_with_records`` writes)."""
    from llm_agent.backends._types import SpanRecord

    records = []
    ids = iter(range(1, 10_000))
    for sess in SCENARIO:
        t = T0_NS + int(sess.offset_s * S)
        for n, turn in enumerate(sess.turns, start=1):
            t += int(turn.think_s * S)
            trace_id, root_id = f"{next(ids):032x}", f"{next(ids):016x}"
            start = t
            for call in turn.calls:
                end = t + int(call.latency_s * S)
                kind = "EMBEDDING" if call.op == "embeddings" else "LLM"
                records.append(SpanRecord(
                    trace_id=trace_id, span_id=f"{next(ids):016x}", parent_span_id=root_id,
                    name=f"{call.op} {call.model}", kind="CLIENT", start_ns=t, end_ns=end,
                    status="ERROR" if call.failed else "UNSET", session_id=sess.session_id, user_id=sess.user,
                    span_kind=kind, operation=call.op, provider="openai", request_model=call.model,
                    response_model=None if call.failed else call.model, model=call.model,
                    error_type=f"openai.{call.error_suffix}" if call.failed else None,
                    input_tokens=None if call.failed else call.input_tokens,
                    output_tokens=None if call.failed else call.output_tokens,
                    ttft_s=0.25 * call.latency_s if call.stream else None,
                    finish_reasons=("stop",) if call.op == "chat" and not call.failed else (),
                    attributes={"gen_ai.request.model": call.model, "server.address": "llm.test"},
                ))  # fmt: skip
                t = end
            records.append(SpanRecord(
                trace_id=trace_id, span_id=root_id, parent_span_id=None, name=f"turn-{n}", kind="INTERNAL",
                start_ns=start, end_ns=t, status="UNSET", session_id=sess.session_id, user_id=sess.user,
                span_kind="CHAIN",
            ))  # fmt: skip
    return records


@pytest.fixture(scope="session", params=["records", "openai"])
def sink(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = str(tmp_path_factory.mktemp(f"sink-{request.param}") / "sink.sqlite")
    if request.param == "openai":
        if not _openai_available():
            pytest.skip("llm_agent.instrumentation.openai is not available yet")
        build_with_openai(path)
    else:
        build_with_records(path)
    assert os.path.exists(path)
    yield path


@pytest.fixture
def store(sink: str) -> Iterator[object]:
    import llm_agent.analysis

    with contextlib.closing(llm_agent.analysis.open(sink)) as s:
        yield s


@pytest.fixture(scope="session")
def ref() -> dict[str, RefSession]:
    return reference()
