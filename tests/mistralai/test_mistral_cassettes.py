"""Recorded Mistral exchanges replayed through the real SDK -> exactly one span each, whole
attributes checked (tests/cassettes/mistralai, provenance in its README)."""

from __future__ import annotations

import json
from typing import Any

from llm_agent.testing import SpanCapture, capture_spans
from tests.mistralai.mistral_helpers import attrs_of, recorded_client, request_of

SERVER = {"server.address": "api.mistral.ai", "server.port": 443}


def base(model: str, stream: bool = False, operation: str = "chat", **extra: Any) -> dict[str, Any]:
    attrs = {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": "mistral_ai",
        "gen_ai.request.model": model,
        "gen_ai.span.kind": "LLM" if operation == "chat" else "EMBEDDING",
        **SERVER,
        **extra,
    }
    if stream:
        attrs["gen_ai.request.stream"] = True
    return attrs


def test_complete(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_mistralai_chat_legacy"):
        result = recorded_client().chat.complete(**request_of("test_mistralai_chat_legacy"))
    assert result.usage.total_tokens == 107
    record = spans.one()
    assert (record.name, record.kind, record.status) == ("chat mistral-tiny", "CLIENT", "UNSET")
    assert attrs_of(record) == {
        **base("mistral-tiny"),
        "gen_ai.response.id": "e9459fcd56c742e0875167c9926c6aae",
        "gen_ai.response.model": "mistral-tiny",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 11,
        "gen_ai.usage.output_tokens": 96,
    }


async def test_complete_async(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_mistralai_async_chat_legacy"):
        result = await recorded_client().chat.complete_async(**request_of("test_mistralai_async_chat_legacy"))
    assert attrs_of(spans.one()) == {
        **base("mistral-tiny"),
        "gen_ai.response.id": result.id,
        "gen_ai.response.model": "mistral-tiny",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": result.usage.prompt_tokens,
        "gen_ai.usage.output_tokens": result.usage.completion_tokens,
    }


STREAM = {
    **base("mistral-tiny", stream=True),
    "gen_ai.response.id": "6dc321029f5d4aa5899c1b38c9657a61",
    "gen_ai.response.model": "mistral-tiny",
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 11,
    "gen_ai.usage.output_tokens": 80,
}


def test_stream(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_mistralai_streaming_chat_legacy"):
        events = list(recorded_client().chat.stream(**request_of("test_mistralai_streaming_chat_legacy")))
    record = spans.one()
    assert record.attributes["llm_agent.stream.chunks"] == len(events) == 81
    assert record.ttft_s is not None
    assert attrs_of(record) == STREAM


async def test_stream_async(spans: SpanCapture, cassette: Any) -> None:
    name = "test_mistralai_async_streaming_chat_legacy"
    with cassette(name):
        stream = await recorded_client().chat.stream_async(**request_of(name))
        events = [event async for event in stream]
    assert spans.one().attributes["llm_agent.stream.chunks"] == len(events)
    assert attrs_of(spans.one()) == STREAM


def test_embeddings(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_mistral_embeddings_legacy"):
        result = recorded_client().embeddings.create(**request_of("test_mistral_embeddings_legacy"))
    record = spans.one()
    assert record.name == "embeddings mistral-embed"
    assert attrs_of(record) == {
        **base("mistral-embed", operation="embeddings"),
        "gen_ai.response.id": result.id,
        "gen_ai.response.model": "mistral-embed",
        "gen_ai.embeddings.dimension.count": 1024,
        "gen_ai.usage.input_tokens": 10,
    }


async def test_embeddings_async_two_inputs(spans: SpanCapture, cassette: Any) -> None:
    name = "test_mistral_async_embeddings_legacy"
    kwargs = request_of(name)
    assert len(kwargs["inputs"]) == 2
    with cassette(name):
        result = await recorded_client().embeddings.create_async(**kwargs)
    assert attrs_of(spans.one()) == {
        **base("mistral-embed", operation="embeddings"),
        "gen_ai.response.id": result.id,
        "gen_ai.response.model": "mistral-embed",
        "gen_ai.embeddings.dimension.count": 1024,
        "gen_ai.usage.input_tokens": result.usage.prompt_tokens,
    }


def test_prompt_cache_reads(spans: SpanCapture, cassette: Any) -> None:
    name = "test_mistral_history_uses_prompt_cache"
    with cassette(name):
        client = recorded_client()
        client.chat.complete(**request_of(name, 0))
        client.chat.complete(**request_of(name, 1))
    first, second = spans.records
    common = {**base("mistral-large-latest", **{"gen_ai.request.top_p": 1.0}),
              "gen_ai.response.model": "mistral-large-latest", "gen_ai.response.finish_reasons": ("stop",),
              "gen_ai.usage.output_tokens": 5}
    assert attrs_of(first) == {**common, "gen_ai.response.id": "f693a0e825f04b4ba7d4fe0c132266b8",
                               "gen_ai.usage.input_tokens": 253, "gen_ai.usage.cache_read.input_tokens": 0}
    # prompt_tokens already includes the 224 read from the cache
    assert attrs_of(second) == {**common, "gen_ai.response.id": "23271c0215f547dcb5d5e2950f354f9d",
                                "gen_ai.usage.input_tokens": 268, "gen_ai.usage.cache_read.input_tokens": 224}
    assert (second.input_tokens, second.cache_read_tokens) == (268, 224)


TOOL_STREAM = "test_streaming_tool_call"


def test_streamed_tool_call_content_only_with_capture(cassette: Any) -> None:
    for capture in (False, True):
        with capture_spans(instrument=["mistralai"], capture_content=capture) as spans, cassette(TOOL_STREAM):
            kwargs = request_of(TOOL_STREAM)
            events = list(recorded_client().chat.stream(**kwargs))
            attrs = attrs_of(spans.one())
        prefixes = ("gen_ai.input", "gen_ai.output", "gen_ai.tool")
        content = {k: attrs.pop(k) for k in list(attrs) if k.startswith(prefixes)}
        assert attrs == {
            **base("mistral-small-latest", stream=True,
                   **{"gen_ai.request.temperature": 0.7, "gen_ai.request.top_p": 1.0}),
            "gen_ai.response.id": "8d641f96950f401892c98eff1e4335cd",
            "gen_ai.response.model": "mistral-small-latest",
            "gen_ai.response.finish_reasons": ("tool_calls",),
            "llm_agent.response.tool_call_names": ("get_weather",),
            "gen_ai.usage.input_tokens": 96,
            "gen_ai.usage.output_tokens": 23,
        }
        if not capture:
            assert content == {}
            continue
        (call,) = [c for e in events if isinstance(e.data.choices[0].delta.tool_calls, list)
                   for c in e.data.choices[0].delta.tool_calls]
        assert {k: json.loads(v) for k, v in content.items()} == {
            "gen_ai.input.messages": [
                {"role": "user", "parts": [{"type": "text", "content": "What's the weather like in San Francisco?"}]},
            ],
            "gen_ai.tool.definitions": kwargs["tools"],
            "gen_ai.output.messages": [{
                "role": "assistant",
                "parts": [{"type": "tool_call", "id": call.id, "name": "get_weather",
                           "arguments": {"city": "San Francisco"}}],
                "finish_reason": "tool_calls",
            }],
        }


def test_magistral_thinking_chunks_are_reasoning_parts(cassette: Any) -> None:
    name = "test_mistral_model_thinking_part_iter"
    with capture_spans(instrument=["mistralai"], capture_content=True) as spans, cassette(name):
        events = list(recorded_client().chat.stream(**request_of(name)))
    texts: list[str] = []
    thoughts: list[str] = []
    for event in events:
        content = event.data.choices[0].delta.content
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            for item in content:
                if item.type == "thinking":
                    thoughts.extend(t.text for t in item.thinking)
                elif item.type == "text":
                    texts.append(item.text)
    assert thoughts and texts
    attrs = attrs_of(spans.one())
    assert json.loads(attrs.pop("gen_ai.output.messages")) == [{
        "role": "assistant",
        "parts": [{"type": "reasoning", "content": "".join(thoughts)}, {"type": "text", "content": "".join(texts)}],
        "finish_reason": "stop",
    }]
    assert json.loads(attrs.pop("gen_ai.input.messages")) == [
        {"role": "user", "parts": [{"type": "text", "content": "How do I cross the street?"}]},
    ]
    assert attrs == {
        **base("magistral-medium-latest", stream=True),
        "gen_ai.response.id": "9f9d90210f194076abeee223863eaaf0",
        "gen_ai.response.model": "magistral-medium-latest",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 232,
    }
