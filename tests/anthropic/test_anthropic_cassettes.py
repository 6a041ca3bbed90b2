"""Recorded Anthropic exchanges -> exactly one span each, with the whole attribute set checked."""

from __future__ import annotations

from typing import Any

import pytest

from llm_agent.testing import SpanCapture
from tests._timing import pop_timing
from tests.anthropic.anthropic_helpers import client, recorded_request

SERVER = {"server.address": "api.anthropic.com", "server.port": 443}


def base(model: str, max_tokens: int = 1024, stream: bool = False) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": model,
        "gen_ai.request.max_tokens": max_tokens,
        "gen_ai.span.kind": "LLM",
        **SERVER,
    }
    if stream:
        attrs["gen_ai.request.stream"] = True
    return attrs


def attributes_of(spans: SpanCapture, stream_chunks: int | None = None) -> dict[str, Any]:
    """The one span's attributes; a stream's time to first chunk is checked for presence only."""
    record = spans.one()
    assert record.status != "ERROR"
    attrs = dict(record.attributes)
    if stream_chunks is not None:
        ttft = pop_timing(attrs)["gen_ai.response.time_to_first_chunk"]
        assert record.ttft_s == ttft
        assert attrs.pop("llm_agent.stream.chunks") == stream_chunks
    return attrs


CREATE = {
    **base("claude-3-opus-20240229"),
    "gen_ai.response.id": "msg_01TPXhkPo8jy6yQMrMhjpiAE",
    "gen_ai.response.model": "claude-3-opus-20240229",
    "gen_ai.response.finish_reasons": ("end_turn",),
    "gen_ai.usage.input_tokens": 17,
    "gen_ai.usage.output_tokens": 220,
    "gen_ai.usage.total_tokens": 237,
}


def _tuples(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in attrs.items()}


def test_create_sync(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_anthropic_message_create"):
        message = client().messages.create(**recorded_request("test_anthropic_message_create"))
    assert message.id == "msg_01TPXhkPo8jy6yQMrMhjpiAE"
    assert _tuples(attributes_of(spans)) == CREATE
    assert spans.one().name == "chat claude-3-opus-20240229"
    assert spans.one().kind == "CLIENT"


async def test_create_async(spans: SpanCapture, cassette: Any) -> None:
    name = "test_async_anthropic_message_create"
    with cassette(name):
        message = await client(True).messages.create(**recorded_request(name))
    attrs = _tuples(attributes_of(spans))
    assert attrs["gen_ai.response.id"] == message.id
    assert attrs == {
        **base("claude-3-opus-20240229"),
        "gen_ai.response.id": message.id,
        "gen_ai.response.model": "claude-3-opus-20240229",
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.input_tokens": message.usage.input_tokens,
        "gen_ai.usage.output_tokens": message.usage.output_tokens,
        "gen_ai.usage.total_tokens": message.usage.input_tokens + message.usage.output_tokens,
    }


def test_prompt_caching_input_tokens_include_cached(spans: SpanCapture, cassette: Any) -> None:
    """Anthropic's input_tokens excludes cache reads and writes; ours includes both (docs/anthropic.md)."""
    name = "test_anthropic_prompt_caching"
    with cassette(name):
        c = client()
        first = c.messages.create(**recorded_request(name, 0))
        second = c.messages.create(**recorded_request(name, 1))
    assert (first.usage.input_tokens, first.usage.cache_creation_input_tokens) == (4, 1163)
    assert (second.usage.input_tokens, second.usage.cache_read_input_tokens) == (4, 1163)
    records = spans.records
    assert [r.input_tokens for r in records] == [1167, 1167]
    common = {
        **base("claude-3-5-sonnet-20240620"),
        "gen_ai.response.model": "claude-3-5-sonnet-20240620",
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.input_tokens": 1167,
    }
    assert _tuples(records[0].attributes) == {
        **common,
        "gen_ai.response.id": first.id,
        "gen_ai.usage.output_tokens": 187,
        "gen_ai.usage.total_tokens": 1354,
        "gen_ai.usage.cache_creation.input_tokens": 1163,
        "gen_ai.usage.cache_read.input_tokens": 0,
    }
    assert _tuples(records[1].attributes) == {
        **common,
        "gen_ai.response.id": second.id,
        "gen_ai.usage.output_tokens": 202,
        "gen_ai.usage.total_tokens": 1369,
        "gen_ai.usage.cache_creation.input_tokens": 0,
        "gen_ai.usage.cache_read.input_tokens": 1163,
    }
    assert (records[1].cache_read_tokens, records[1].cache_creation_tokens) == (1163, 0)


TOOLS = {
    **base("claude-3-5-sonnet-20240620"),
    "gen_ai.response.id": "msg_01RBkXFe9TmDNNWThMz2HmGt",
    "gen_ai.response.model": "claude-3-5-sonnet-20240620",
    "gen_ai.response.finish_reasons": ("tool_use",),
    "gen_ai.usage.input_tokens": 514,
    "gen_ai.usage.output_tokens": 152,
    "gen_ai.usage.total_tokens": 666,
    "llm_agent.response.tool_call_names": ("get_weather", "get_time"),
}


def test_tool_use_names_without_content(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_anthropic_tools"):
        client().messages.create(**recorded_request("test_anthropic_tools"))
    assert _tuples(attributes_of(spans)) == TOOLS


def test_tool_use_arguments_only_with_capture_content(cassette: Any) -> None:
    from llm_agent.testing import capture_spans

    with capture_spans(instrument=["anthropic"], capture_content=True) as spans, cassette("test_anthropic_tools"):
        message = client().messages.create(**recorded_request("test_anthropic_tools"))
    attrs = attributes_of(spans)
    import json

    outputs = json.loads(attrs.pop("gen_ai.output.messages"))
    calls = [b for b in message.content if b.type == "tool_use"]
    assert outputs == [{
        "role": "assistant",
        "parts": [
            {"type": "text", "content": b.text} if b.type == "text"
            else {"type": "tool_call", "id": b.id, "name": b.name, "arguments": b.input}
            for b in message.content
        ],
        "finish_reason": message.stop_reason,
    }]
    assert len(calls) == 2
    assert set(attrs) - set(TOOLS) == {"gen_ai.input.messages", "gen_ai.tool.definitions"}
    assert "get_weather" in attrs["gen_ai.tool.definitions"]


STREAM = {
    **base("claude-3-haiku-20240307", stream=True),
    "gen_ai.response.id": "msg_01MXWxhWoPSgrYhjTuMDM6F1",
    "gen_ai.response.model": "claude-3-haiku-20240307",
    "gen_ai.response.finish_reasons": ("end_turn",),
    "gen_ai.usage.input_tokens": 17,
    "gen_ai.usage.output_tokens": 171,
    "gen_ai.usage.total_tokens": 188,
}


def test_stream_sync(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_anthropic_message_streaming"):
        events = list(client().messages.create(**recorded_request("test_anthropic_message_streaming")))
    assert events[0].type == "message_start"
    assert _tuples(attributes_of(spans, stream_chunks=len(events))) == STREAM


async def test_stream_async(spans: SpanCapture, cassette: Any) -> None:
    name = "test_async_anthropic_message_streaming"
    with cassette(name):
        stream = await client(True).messages.create(**recorded_request(name))
        events = [event async for event in stream]
    attrs = _tuples(attributes_of(spans, stream_chunks=len(events)))
    start = events[0].message
    assert attrs["gen_ai.response.id"] == start.id
    assert attrs["gen_ai.usage.output_tokens"] == events[-2].usage.output_tokens
    assert set(attrs) == set(STREAM)


def test_stream_tools_and_cache(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_anthropic_tools_streaming"):
        events = list(client().messages.create(**recorded_request("test_anthropic_tools_streaming")))
    assert _tuples(attributes_of(spans, stream_chunks=len(events))) == {
        **base("claude-3-5-sonnet-20240620", stream=True),
        "gen_ai.response.id": "msg_0138UNF3YbNp49KkqZtUBWqz",
        "gen_ai.response.model": "claude-3-5-sonnet-20240620",
        "gen_ai.response.finish_reasons": ("tool_use",),
        "gen_ai.usage.input_tokens": 506,
        "gen_ai.usage.output_tokens": 153,
        "gen_ai.usage.total_tokens": 659,
        "gen_ai.usage.cache_creation.input_tokens": 0,
        "gen_ai.usage.cache_read.input_tokens": 0,
        "llm_agent.response.tool_call_names": ("get_weather", "get_time"),
    }
    spans.clear()
    name = "test_anthropic_prompt_caching_stream"
    with cassette(name):
        events = list(client().messages.create(**recorded_request(name, 0)))
    attrs = _tuples(attributes_of(spans, stream_chunks=len(events)))
    # message_start reported 4 uncached + 1165 written to the cache.
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.cache_creation.input_tokens"]) == (1169, 1165)
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 0


MANAGER = {
    **base("claude-3-5-haiku-20241022", stream=True),
    "gen_ai.response.model": "claude-3-5-haiku-20241022",
    "gen_ai.response.finish_reasons": ("end_turn",),
    "gen_ai.usage.cache_creation.input_tokens": 0,
    "gen_ai.usage.cache_read.input_tokens": 0,
}


@pytest.mark.parametrize(
    "name, helper",
    [
        ("test_anthropic_message_stream_manager", "iterate"),
        ("test_anthropic_text_stream_helper_method", "text_stream"),
        ("test_anthropic_sync_streaming_helper_methods", "get_final_message"),
        ("test_anthropic_message_stream_manager", "until_done"),
    ],
)
def test_stream_manager_helpers(spans: SpanCapture, cassette: Any, name: str, helper: str) -> None:
    kwargs = recorded_request(name)
    kwargs.pop("stream")
    with cassette(name), client().messages.stream(**kwargs) as stream:
        if helper == "iterate":
            assert [e.type for e in stream][-1] == "message_stop"
        elif helper == "text_stream":
            assert "".join(stream.text_stream)
        elif helper == "until_done":
            stream.until_done()
        final = stream.get_final_message()
    record = spans.one()
    attrs = _tuples(attributes_of(spans, stream_chunks=record.attributes["llm_agent.stream.chunks"]))
    assert attrs == {
        **MANAGER,
        "gen_ai.response.id": final.id,
        "gen_ai.usage.input_tokens": final.usage.input_tokens,
        "gen_ai.usage.output_tokens": final.usage.output_tokens,
        "gen_ai.usage.total_tokens": final.usage.input_tokens + final.usage.output_tokens,
    }


@pytest.mark.parametrize("beta", [False, True])
async def test_async_stream_manager(spans: SpanCapture, cassette: Any, beta: bool) -> None:
    name = "test_async_anthropic_beta_message_stream_manager" if beta else "test_async_anthropic_message_stream_manager"
    kwargs = recorded_request(name)
    kwargs.pop("stream")
    c = client(True)
    messages = c.beta.messages if beta else c.messages
    with cassette(name):
        async with messages.stream(**kwargs) as stream:
            final = await stream.get_final_message()
    record = spans.one()
    attrs = _tuples(attributes_of(spans, stream_chunks=record.attributes["llm_agent.stream.chunks"]))
    assert attrs == {
        **MANAGER,
        "gen_ai.response.id": final.id,
        "gen_ai.usage.input_tokens": final.usage.input_tokens,
        "gen_ai.usage.output_tokens": final.usage.output_tokens,
        "gen_ai.usage.total_tokens": final.usage.input_tokens + final.usage.output_tokens,
    }


def test_with_raw_response(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_anthropic_message_create"):
        raw = client().messages.with_raw_response.create(**recorded_request("test_anthropic_message_create"))
    assert type(raw).__name__ == "APIResponse"  # handed back untouched (body already read)
    assert raw.parse().id == "msg_01TPXhkPo8jy6yQMrMhjpiAE"
    assert _tuples(attributes_of(spans)) == CREATE


def test_with_streaming_response(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_anthropic_message_create"):
        with client().messages.with_streaming_response.create(
            **recorded_request("test_anthropic_message_create")
        ) as response:
            assert response.parse().id == "msg_01TPXhkPo8jy6yQMrMhjpiAE"
    assert _tuples(attributes_of(spans)) == CREATE


def test_thinking_stream(spans: SpanCapture, cassette: Any) -> None:
    name = "test_anthropic_thinking_streaming"
    with cassette(name):
        events = list(client().messages.create(**recorded_request(name)))
    assert any(getattr(e, "delta", None) is not None and e.delta.type == "thinking_delta" for e in events)
    attrs = _tuples(attributes_of(spans, stream_chunks=len(events)))
    # This recording predates usage.output_tokens_details: thinking tokens are unknown, so absent.
    assert attrs == {
        **base("claude-3-7-sonnet-20250219", max_tokens=2048, stream=True),
        "gen_ai.response.id": "msg_01SZKz6DEhWnfZcxPQDQz49Y",
        "gen_ai.response.model": "claude-3-7-sonnet-20250219",
        "gen_ai.response.finish_reasons": ("end_turn",),
        "gen_ai.usage.input_tokens": 52,
        "gen_ai.usage.output_tokens": 216,
        "gen_ai.usage.total_tokens": 268,
        "gen_ai.usage.cache_creation.input_tokens": 0,
        "gen_ai.usage.cache_read.input_tokens": 0,
    }
