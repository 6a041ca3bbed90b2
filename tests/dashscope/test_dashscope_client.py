"""The 2.x client's other call shapes (embeddings, rerank, multimodal embeddings, returned errors,
merged and thinking streams, captured content) and what every provider must do: context on every
span, instrument/uninstrument, the registry, and the model analysis over a real SQLite sink."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import dashscope
import pytest

import llm_agent
import llm_agent.analysis
from llm_agent.instrumentation import INSTRUMENTORS, LIBRARIES, get_instrumentor, installed_libraries
from llm_agent.instrumentation.dashscope import TARGETS
from llm_agent.testing import SpanCapture, capture_spans
from tests.dashscope.dashscope_helpers import ERROR, MODEL, USAGE, MockAPI, attrs, message_body, stream_events

SERVER = {"server.address": "mock.dashscope.test", "server.port": 443, "gen_ai.provider.name": "dashscope"}
CHAT = {**SERVER, "gen_ai.operation.name": "chat", "gen_ai.span.kind": "LLM", "gen_ai.request.model": MODEL}
EMBEDDINGS_BODY = {
    "output": {"embeddings": [
        {"text_index": 0, "embedding": [0.1, 0.2, 0.3]}, {"text_index": 1, "embedding": [0.4, 0.5, 0.6]}]},
    "usage": {"total_tokens": 6}, "request_id": "req-embed",
}
RERANK_BODY = {
    "output": {"results": [{"index": 1, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.2}]},
    "usage": {"total_tokens": 31}, "request_id": "req-rerank",
}


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_embeddings_and_rerank(spans: SpanCapture, api: MockAPI, is_async: bool) -> None:
    client = api.client(is_async=is_async)

    async def calls() -> list[Any]:
        out = []
        api.json(EMBEDDINGS_BODY)
        out.append(await _maybe(client.embeddings.create(model="text-embedding-v4", input=["a", "b"], dimension=3)))
        out.append(await _maybe(client.multimodal.embeddings.create(
            model="multimodal-embedding-v1", input=[{"text": "a"}, {"image": "https://example.test/cat.png"}])))
        api.json(RERANK_BODY)
        out.append(await _maybe(
            client.rerank.create(model="gte-rerank-v2", query="q", documents=["d0", "d1"], top_n=2)))
        return out

    embedding, multimodal, ranked = asyncio.run(calls())
    assert [len(embedding.embeddings), len(multimodal.embeddings), [r.index for r in ranked.results]] == [2, 2, [1, 0]]
    embed = {**SERVER, "gen_ai.operation.name": "embeddings", "gen_ai.span.kind": "EMBEDDING",
             "gen_ai.response.id": "req-embed", "gen_ai.embeddings.dimension.count": 3, "gen_ai.usage.input_tokens": 6}
    assert [attrs(r) for r in spans.records] == [
        {**embed, "gen_ai.request.model": "text-embedding-v4"},
        {**embed, "gen_ai.request.model": "multimodal-embedding-v1"},
        {**SERVER, "gen_ai.operation.name": "rerank", "gen_ai.span.kind": "RERANKER",
         "gen_ai.request.model": "gte-rerank-v2",
         "llm_agent.rerank.documents": 2, "llm_agent.rerank.top_n": 2, "gen_ai.response.id": "req-rerank",
         "gen_ai.usage.input_tokens": 31},
    ]
    assert [r.name for r in spans.records] == [
        "embeddings text-embedding-v4", "embeddings multimodal-embedding-v1", "rerank gte-rerank-v2"]


async def _maybe(value: Any) -> Any:
    return await value if hasattr(value, "__await__") else value


def test_returned_error_with_raise_on_error_off(spans: SpanCapture, api: MockAPI) -> None:
    """``raise_on_error=False``: the client returns an ``is_error`` result; the span is an error."""
    api.json(ERROR, status=400)
    result = api.client(raise_on_error=False).chat.completions.create(model=MODEL, messages="hi")
    assert (result.is_error, result.code, result.status_code) == (True, "InvalidParameter", 400)
    record = spans.one()
    assert (record.status, record.error_type) == ("ERROR", "InvalidParameter")
    assert attrs(record) == {**CHAT, "gen_ai.response.id": "req-error", "error.type": "InvalidParameter"}


def test_usage_absent_is_unknown_not_zero(spans: SpanCapture, api: MockAPI) -> None:
    api.json(message_body(usage=None))
    api.client().chat.completions.create(model=MODEL, messages="hi")
    assert attrs(spans.one()) == {
        **CHAT, "gen_ai.response.id": "req-message", "gen_ai.response.finish_reasons": ("stop",),
        "llm_agent.usage.missing": True,
    }


def test_merged_stream_counts_once(api: MockAPI) -> None:
    """``incremental_output=False``: the SDK merges the deltas into cumulative snapshots; the span
    takes the last one, not the sum, and the usage of the last event."""
    with capture_spans(instrument=["dashscope"], capture_content=True) as spans:
        api.stream(stream_events(["Hel", "lo", " there"], cumulative=False, message=True))
        chunks = list(api.client().chat.completions.create(
            model=MODEL, messages="hi", stream=True, incremental_output=False))
        record = spans.one()
    assert [c.delta.content for c in chunks] == ["Hel", "Hello", "Hello there"]  # what the app sees
    assert json.loads(record.attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Hello there"}], "finish_reason": "stop"}]
    assert (record.attributes["gen_ai.usage.input_tokens"], record.attributes["gen_ai.usage.output_tokens"]) == (12, 3)


def test_thinking_stream_and_tool_calls_captured(api: MockAPI) -> None:
    """Qwen3 thinking (``reasoning_content``) and a tool call streamed incrementally, with the
    reasoning tokens of the last usage."""
    def event(message: dict[str, Any], reason: str, usage: dict[str, Any]) -> dict[str, Any]:
        return {"output": {"choices": [{"finish_reason": reason, "message": message}]}, "usage": usage,
                "request_id": "req-think"}

    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": '}}
    more = {"index": 0, "function": {"arguments": '"tea"}'}}
    usage = {"input_tokens": 20, "output_tokens": 9, "total_tokens": 29,
             "output_tokens_details": {"reasoning_tokens": 4}}
    api.stream([
        event({"role": "assistant", "reasoning_content": "Think"}, "null", {**usage, "output_tokens": 2}),
        event({"role": "assistant", "reasoning_content": "ing."}, "null", {**usage, "output_tokens": 4}),
        event({"role": "assistant", "content": "", "tool_calls": [call]}, "null", {**usage, "output_tokens": 7}),
        event({"role": "assistant", "content": "", "tool_calls": [more]}, "tool_calls", usage),
    ])
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Find tea"}]
    with capture_spans(instrument=["dashscope"], capture_content=True) as spans:
        list(api.client().chat.completions.create(
            model=MODEL, messages=messages, tools=tools, stream=True, enable_thinking=True))
        record = spans.one()
    out = record.attributes
    assert json.loads(out["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Find tea"}]},
    ]
    assert json.loads(out["gen_ai.tool.definitions"]) == tools
    assert json.loads(out["gen_ai.output.messages"]) == [{"role": "assistant", "parts": [
        {"type": "reasoning", "content": "Thinking."},
        {"type": "tool_call", "id": "call_1", "name": "lookup", "arguments": {"q": "tea"}},
    ], "finish_reason": "tool_calls"}]
    assert (out["gen_ai.usage.output_tokens"], out["gen_ai.usage.reasoning.output_tokens"]) == (9, 4)
    assert list(out["llm_agent.response.tool_call_names"]) == ["lookup"]


def test_no_content_without_capture(spans: SpanCapture, api: MockAPI) -> None:
    api.json(message_body())
    api.client().chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "secret"}])
    assert not {k for k in spans.one().attributes if k.startswith(("gen_ai.input", "gen_ai.output", "gen_ai.tool"))}


def test_session_and_user_on_every_span(spans: SpanCapture, api: MockAPI, classic: Any) -> None:
    api.json(message_body())
    with llm_agent.session("sess-ds", user_id="alice"):
        api.client().chat.completions.create(model=MODEL, messages="hi")
        dashscope.Generation.call(model=MODEL, prompt="hi")
    assert [(r.attributes["session.id"], r.attributes["user.id"]) for r in spans.records] == [
        ("sess-ds", "alice"), ("sess-ds", "alice")]


def test_the_app_kwargs_are_not_kept_or_changed(spans: SpanCapture, classic: Any) -> None:
    stop = ["END"]
    kwargs: dict[str, Any] = {"model": MODEL, "prompt": "x" * 10_000, "stop": stop}
    dashscope.Generation.call(**kwargs)
    stop.append("changed by the app after the call")
    assert kwargs == {"model": MODEL, "prompt": "x" * 10_000, "stop": stop}
    assert list(spans.one().attributes["gen_ai.request.stop_sequences"]) == ["END"]  # as at the call


def test_instrument_and_uninstrument_restore_exactly(classic: Any) -> None:
    originals = {(t.module, t.cls): _method(t) for t in TARGETS}
    with capture_spans(instrument=["dashscope"]) as spans:
        assert all(_method(t) is not originals[(t.module, t.cls)] for t in TARGETS)
        llm_agent.instrument("dashscope")  # idempotent: not wrapped twice
        dashscope.Generation.call(model=MODEL, prompt="hi")
        assert len(spans.records) == 1
        llm_agent.uninstrument("dashscope")
        assert {(t.module, t.cls): _method(t) for t in TARGETS} == originals
        dashscope.Generation.call(model=MODEL, prompt="hi")
        assert len(spans.records) == 1  # nothing recorded once uninstrumented
        llm_agent.uninstrument("dashscope")  # twice: still a no-op
        llm_agent.instrument("dashscope")
        dashscope.Generation.call(model=MODEL, prompt="hi")
        assert len(spans.records) == 2


def _method(target: Any) -> Any:
    import importlib

    return importlib.import_module(target.module).__dict__[target.cls].__dict__[target.method]


def test_registry_finds_it_when_installed() -> None:
    assert INSTRUMENTORS["dashscope"] == "llm_agent.instrumentation.dashscope:DashScopeInstrumentor"
    assert LIBRARIES["dashscope"] == "dashscope"
    assert "dashscope" in installed_libraries()  # so init() and llm-agent-instrument pick it up
    assert get_instrumentor("dashscope").library == "dashscope"


def test_model_analysis_over_the_sqlite_sink(tmp_path: Path, api: MockAPI, classic: Any) -> None:
    path = tmp_path / "sink.db"
    llm_agent.init(backends=["sqlite"], sink_path=str(path), instrument=["dashscope"], schedule_delay_s=0.05)
    api.json(message_body())
    client = api.client()
    with llm_agent.session("sess-sink", user_id="bob"):
        client.chat.completions.create(model=MODEL, messages="hi")
        dashscope.Generation.call(model=MODEL, prompt="hi")  # the loopback server's text answer
        api.json(ERROR, status=400)
        with pytest.raises(dashscope.v2.errors.BadRequestError):
            client.chat.completions.create(model=MODEL, messages="hi")
    llm_agent.shutdown()
    store = llm_agent.analysis.open(str(path))
    (summary,) = [m for m in store.models() if m.model == MODEL]
    assert (summary.providers, summary.requests, summary.errors) == (("dashscope",), 3, 1)
    assert (summary.input_tokens, summary.output_tokens) == (2 * USAGE["input_tokens"], 2 * USAGE["output_tokens"])
    detail = store.model(MODEL)
    assert detail.error_types == {"dashscope.v2.errors.BadRequestError": 1}
    assert detail.cache_read_tokens == 2 * USAGE["prompt_tokens_details"]["cached_tokens"]
    (session,) = store.sessions(session_id="sess-sink")
    assert (session.user_id, session.input_tokens) == ("bob", 2 * USAGE["input_tokens"])


@pytest.mark.parametrize("helper", ["text_stream", "get_final_message"])
@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_stream_helpers_end_the_span_with_the_whole_answer(
    spans: SpanCapture, api: MockAPI, is_async: bool, helper: str
) -> None:
    """``text_stream`` and ``get_final_message()`` iterate the instrumented stream (not the bare one
    behind it), so the span ends with the whole answer, not as abandoned."""
    api.stream(stream_events(["Hel", "lo", " there"], cumulative=False, message=True))

    async def use() -> Any:
        stream = await _maybe(api.client(is_async=is_async).chat.completions.create(
            model=MODEL, messages="hi", stream=True))
        if helper == "get_final_message":
            return (await _maybe(stream.get_final_message())).output_text
        if is_async:
            return "".join([piece async for piece in stream.text_stream])
        return "".join(stream.text_stream)

    assert asyncio.run(use()) == "Hello there"
    assert attrs(spans.one()) == {
        **CHAT, "gen_ai.request.stream": True, "gen_ai.response.id": "req-stream",
        "gen_ai.response.finish_reasons": ("stop",), "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 3, "llm_agent.stream.chunks": 3,
    }


def test_classic_merged_stream_counts_once(classic: Any) -> None:
    """``Generation.call(stream=True, incremental_output=False)``: the SDK asks for deltas and
    merges them into snapshots for the app; the span takes the last snapshot and the last usage."""
    classic.stream(stream_events(["Hel", "lo", " there"], cumulative=False))
    with capture_spans(instrument=["dashscope"], capture_content=True) as spans:
        chunks = list(dashscope.Generation.call(model=MODEL, prompt="hi", stream=True, incremental_output=False))
        record = spans.one()
    assert [c.output.text for c in chunks] == ["Hel", "Hello", "Hello there"]
    assert classic.requests[0]["body"]["parameters"]["incremental_output"] is True  # what the SDK sent
    assert json.loads(record.attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Hello there"}], "finish_reason": "stop"}]
    assert (record.attributes["gen_ai.usage.output_tokens"], record.attributes["llm_agent.stream.chunks"]) == (3, 3)
