"""Recorded Cohere v2 exchanges replayed through the real SDK: whole spans per call shape.

Each test sends the request body recorded in the cassette (tests/cassettes/cohere, provenance in
its README), so the SDK parses a real response; the attributes are compared whole.
"""

from __future__ import annotations

import json
from typing import Any

import cohere
import pytest

from llm_agent.testing import SpanCapture, capture_spans
from tests.cohere.cohere_helpers import attrs_of, cassette, recorded_client, recorded_request

SERVER = {"server.address": "api.cohere.com", "server.port": 443, "gen_ai.provider.name": "cohere"}
CHAT = {**SERVER, "gen_ai.operation.name": "chat", "gen_ai.span.kind": "LLM"}
JOKE = {
    **CHAT,
    "gen_ai.request.model": "command",
    "gen_ai.response.finish_reasons": ("COMPLETE",),
    "gen_ai.usage.input_tokens": 69,  # tokens the model processed; Cohere billed 7 of them
    "cohere.usage.billed.input_tokens": 7,
}
TOOLS_FIRST = {
    **CHAT,
    "gen_ai.request.model": "command-r",
    "gen_ai.response.finish_reasons": ("TOOL_CALL",),
    "llm_agent.response.tool_call_names": ("get_time", "get_weather"),
    "gen_ai.usage.input_tokens": 968,
    "gen_ai.usage.output_tokens": 83,
    "cohere.usage.billed.input_tokens": 62,
    "cohere.usage.billed.output_tokens": 28,
}
TOOL_NAME = "test_cohere_v2_chat_legacy_with_tool_calls_and_history"
TOKYO = {"location": "Tokyo"}  # tool-call arguments, parsed from their JSON string
ANSWER = "The current time in Tokyo is 4:20 PM and the weather is sunny with a temperature of 20°C."


def test_chat(spans: SpanCapture) -> None:
    name = "test_cohere_v2_chat_legacy"
    with cassette(name):
        response = recorded_client().chat(**recorded_request(name))
    assert type(response) is cohere.V2ChatResponse and response.message.content[0].text.startswith("Arrrr")
    assert attrs_of(spans.one("chat command")) == {
        **JOKE,
        "gen_ai.response.id": "83e3e297-264b-478e-9b22-5058386292ed",
        "gen_ai.usage.output_tokens": 89,
        "cohere.usage.billed.output_tokens": 88,
    }


def test_chat_stream(spans: SpanCapture) -> None:
    name = "test_cohere_v2_chat_legacy_with_streaming"
    with cassette(name):
        events = list(recorded_client().chat_stream(**recorded_request(name)))
    assert [e.type for e in events[:2]] == ["message-start", "content-start"] and events[-1].type == "message-end"
    record = spans.one("chat command")
    assert record.attributes["llm_agent.stream.chunks"] == len(events) == 104
    assert attrs_of(record) == {
        **JOKE,
        "gen_ai.request.stream": True,
        "gen_ai.response.id": "6cd6ce61-bb3b-46f6-907e-fcfab45e51b6",
        "gen_ai.usage.output_tokens": 110,
        "cohere.usage.billed.output_tokens": 109,
    }


async def test_async_chat_stream(spans: SpanCapture) -> None:
    name = "test_cohere_v2_chat_legacy_with_streaming_async"
    with cassette(name):
        events = [e async for e in recorded_client(is_async=True).chat_stream(**recorded_request(name))]
    assert len(events) == 87
    assert attrs_of(spans.one("chat command")) == {
        **JOKE,
        "gen_ai.request.stream": True,
        "gen_ai.response.id": "599ae0aa-0ef6-49e4-b7f4-e2fafc40ca2c",
        "gen_ai.usage.output_tokens": 89,
        "cohere.usage.billed.output_tokens": 89,
    }


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_tool_calls_then_results(spans: SpanCapture, is_async: bool) -> None:
    """Two calls, two spans: the tool calls, then the answer from the tool results."""
    name = TOOL_NAME + ("_async" if is_async else "")
    client = recorded_client(is_async)
    with cassette(name):
        for index in (0, 1):
            result = client.chat(**recorded_request(name, index))
            if is_async:
                await result
    first, second = spans.records
    expected = ASYNC_TOOL_SPANS if is_async else TOOL_SPANS
    assert (attrs_of(first), attrs_of(second)) == expected


def _tool_spans(model: str, ids: tuple[str, str], names: tuple[str, ...], usage: tuple[int, ...]) -> tuple[Any, Any]:
    """The spans of (tool calls, answer): ``usage`` = (tokens in, out, billed in, out) of each."""
    spans = []
    for index, reason in enumerate(("TOOL_CALL", "COMPLETE")):
        tokens_in, tokens_out, billed_in, billed_out = usage[4 * index : 4 * index + 4]
        span = {
            **CHAT,
            "gen_ai.request.model": model,
            "gen_ai.response.id": ids[index],
            "gen_ai.response.finish_reasons": (reason,),
            "gen_ai.usage.input_tokens": tokens_in,
            "gen_ai.usage.output_tokens": tokens_out,
            "cohere.usage.billed.input_tokens": billed_in,
            "cohere.usage.billed.output_tokens": billed_out,
        }
        if index == 0:
            span["llm_agent.response.tool_call_names"] = names
        spans.append(span)
    return spans[0], spans[1]


TOOL_SPANS = _tool_spans(
    "command-r",
    ("965405bb-b9da-4dc5-b329-e708a795e188", "00f7ec58-cd22-4b62-b068-0e7ece6bbf67"),
    ("get_time", "get_weather"),
    (968, 83, 62, 28, 1094, 102, 94, 27),
)
ASYNC_TOOL_SPANS = _tool_spans(
    "command-r7b-12-2024",
    ("b7391518-e53e-4486-98ea-fabffcde31c2", "8289d4ee-a83b-4ce2-b7e1-245d9778fcf5"),
    ("get_weather", "get_time"),  # in the order the model called them
    (1531, 89, 62, 38, 1694, 57, 78, 25),
)


def test_streamed_tool_calls(spans: SpanCapture) -> None:
    name = "test_cohere_v2_chat_legacy_with_tool_calls_and_streaming"
    with cassette(name):
        list(recorded_client().chat_stream(**recorded_request(name)))
    assert attrs_of(spans.one()) == {
        **TOOLS_FIRST,
        "gen_ai.request.stream": True,
        "gen_ai.response.id": "e6d757a9-f0f3-40fe-9b8a-44cdc3bd18a7",
    }


def test_embed(spans: SpanCapture) -> None:
    name = "test_cohere_v2_embed_legacy"
    with cassette(name):
        response = recorded_client().embed(**recorded_request(name))
    assert len(response.embeddings.float_) == len(recorded_request(name)["texts"])
    assert attrs_of(spans.one()) == {
        **SERVER,
        "gen_ai.operation.name": "embeddings",
        "gen_ai.span.kind": "EMBEDDING",
        "gen_ai.request.model": "embed-english-light-v3.0",
        "gen_ai.response.id": "74d7aae4-2939-4002-b4d4-352dfcca03cf",
        "gen_ai.usage.input_tokens": 208,  # only billed units reported: those are the count
        "cohere.usage.billed.input_tokens": 208,
    }


def test_embed_error(spans: SpanCapture) -> None:
    name = "parsed_body/TestCohere.test_embed_error"
    with pytest.raises(cohere.NotFoundError), cassette(name):
        recorded_client().embed(**recorded_request(name))
    record = spans.one()
    assert record.status == "ERROR"
    assert attrs_of(record) == {
        **SERVER,
        "gen_ai.operation.name": "embeddings",
        "gen_ai.span.kind": "EMBEDDING",
        "gen_ai.request.model": "nonexistent",
        "gen_ai.request.encoding_formats": ("float",),
        "error.type": "cohere.errors.not_found_error.NotFoundError",
    }


def test_rerank_is_a_reranker_span_without_tokens(spans: SpanCapture) -> None:
    name = "test_cohere_v2_rerank_legacy"
    request = recorded_request(name)
    with cassette(name):
        response = recorded_client().rerank(**request)
    assert [r.index for r in response.results] == [3, 4, 1]
    record = spans.one("rerank rerank-english-v3.0")
    assert (record.span_kind, record.input_tokens, record.output_tokens) == ("RERANKER", None, None)
    assert attrs_of(record) == {
        **SERVER,
        "gen_ai.operation.name": "rerank",
        "gen_ai.span.kind": "RERANKER",
        "gen_ai.request.model": "rerank-english-v3.0",
        "gen_ai.response.id": "26c7d7a0-ca6f-49b3-a685-1e44a732603d",
        "llm_agent.rerank.documents": len(request["documents"]),
        "llm_agent.rerank.top_n": 3,
        "cohere.usage.billed.search_units": 1,  # billed units, not tokens
    }


def test_cached_tokens(spans: SpanCapture) -> None:
    name = "parsed_body/test_request_usage_with_cached_tokens"
    with cassette(name):
        recorded_client().chat(**recorded_request(name))
    assert attrs_of(spans.one()) == {
        **CHAT,
        "gen_ai.request.model": "command-r7b-12-2024",
        "gen_ai.response.id": "0bf8e1a5-2af6-4014-a539-c12363a043a3",
        "gen_ai.response.finish_reasons": ("COMPLETE",),
        "gen_ai.usage.input_tokens": 2935,  # the 2928 cached ones included
        "gen_ai.usage.output_tokens": 4,
        "gen_ai.usage.cache_read.input_tokens": 2928,
        "cohere.usage.billed.input_tokens": 2406,
        "cohere.usage.billed.output_tokens": 2,
    }


def _content(record: Any) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in record.attributes.items() if k.startswith(("gen_ai.input", "gen_ai.output"))}


def test_content_only_with_capture_content() -> None:
    """Tool calls and their results in the conventions' message schema, arguments parsed."""
    first, second = (recorded_request(TOOL_NAME, i) for i in (0, 1))
    for capture in (False, True):
        with capture_spans(instrument=["cohere"], capture_content=capture) as spans, cassette(TOOL_NAME):
            client = recorded_client()
            client.chat(**first)
            client.chat(**second)
            calls, answer = spans.records
        if not capture:
            assert [k for r in (calls, answer) for k in r.attributes if k.startswith("gen_ai.input")] == []
            prefixes = ("gen_ai.output", "gen_ai.tool")
            assert [k for r in (calls, answer) for k in r.attributes if k.startswith(prefixes)] == []
            continue
        assert json.loads(calls.attributes["gen_ai.tool.definitions"]) == first["tools"]
        text = "What is the weather and current time in Tokyo?"
        question = {"role": "user", "parts": [{"type": "text", "content": text}]}
        tool_calls = [
            {"type": "tool_call", "id": "get_time_dp3men9jrvhf", "name": "get_time", "arguments": TOKYO},
            {"type": "tool_call", "id": "get_weather_d7arjgsc96yf", "name": "get_weather",
             "arguments": {"location": "Tokyo"}},
        ]
        assert _content(calls) == {
            "gen_ai.input.messages": [question],
            "gen_ai.output.messages": [{
                "role": "assistant",
                "parts": [{"type": "reasoning", "content": "I will search for the current time and weather in Tokyo."},
                          *tool_calls],
                "finish_reason": "TOOL_CALL",
            }],
        }
        assert _content(answer) == {
            "gen_ai.input.messages": [
                question,
                {"role": "assistant", "parts": tool_calls},
                {"role": "tool", "parts": [{"type": "tool_call_response", "id": "get_time_dp3men9jrvhf",
                                            "response": "4:20 PM"}]},
                {"role": "tool", "parts": [{"type": "tool_call_response", "id": "get_weather_d7arjgsc96yf",
                                            "response": "Sunny 20 degrees Celsius"}]},
            ],
            "gen_ai.output.messages": [{
                "role": "assistant",
                "parts": [{"type": "text", "content": ANSWER}],
                "finish_reason": "COMPLETE",
            }],
        }


def test_streamed_content_matches_the_whole_response_shape() -> None:
    name = "test_cohere_v2_chat_legacy_with_tool_calls_and_streaming"
    with capture_spans(instrument=["cohere"], capture_content=True) as spans, cassette(name):
        list(recorded_client().chat_stream(**recorded_request(name)))
        output = json.loads(spans.one().attributes["gen_ai.output.messages"])
    assert output == [{
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "content": "I will search for the current time and weather in Tokyo."},
            {"type": "tool_call", "id": "get_time_dg5wwc00d8v5", "name": "get_time", "arguments": TOKYO},
            {"type": "tool_call", "id": "get_weather_bc8241gkqss5", "name": "get_weather",
             "arguments": {"location": "Tokyo"}},
        ],
        "finish_reason": "TOOL_CALL",
    }]


def test_thinking_content_is_a_reasoning_part() -> None:
    name = "parsed_body/test_cohere_model_thinking_part"
    with capture_spans(instrument=["cohere"], capture_content=True) as spans, cassette(name):
        response = recorded_client().chat(**recorded_request(name, path="/v2/chat"))
        output = json.loads(spans.one().attributes["gen_ai.output.messages"])
    thinking, text = response.message.content
    assert output == [{
        "role": "assistant",
        "parts": [{"type": "reasoning", "content": thinking.thinking}, {"type": "text", "content": text.text}],
        "finish_reason": "COMPLETE",
    }]
