"""Groq call shapes beyond the matrix, through the real client and the SDK's mock transport:
streamed tool calls and content capture, raw streams, embeddings, context, uninstrument, the
request side's kept keys and an extraction failure."""

from __future__ import annotations

import gc
import json
from typing import Any

import groq
import pytest
import wrapt

import llm_agent
from llm_agent import semconv
from llm_agent.instrumentation.groq._extract import REQUEST_KEYS, request_attributes
from llm_agent.testing import SpanCapture, capture_spans, expect_internal_errors
from tests._lifecycle import consume, maybe
from tests._request_keys import assert_keys_cover
from tests.groq.groq_helpers import CHAT, CHUNKS, FULL_STREAM, MESSAGES, MODEL, REQUEST, RESPONSE, Mock, attrs_of, chunk

STREAM_REQUEST = {**REQUEST, "gen_ai.request.stream": True}
TOOL_CHUNKS = [
    chunk({"role": "assistant", "content": None, "reasoning": "Need the weather."}),
    chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                           "function": {"name": "get_weather", "arguments": ""}}]}),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": ' "Oslo"}'}}]}),
    chunk({"tool_calls": [{"index": 1, "id": "call_2", "type": "function",
                           "function": {"name": "get_time", "arguments": "{}"}}]}),
    chunk({}, "tool_calls", x_groq={"usage": {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42,
                                              "completion_tokens_details": {"reasoning_tokens": 4}}}),
]


@pytest.fixture(params=[False, True], ids=["sync", "async"])
def is_async(request: Any) -> bool:
    return bool(request.param)


async def test_streamed_tool_calls_and_content_only_with_capture(mock: Mock, is_async: bool) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    for capture in (False, True):
        mock.stream(TOOL_CHUNKS)
        with capture_spans(instrument=["groq"], capture_content=capture) as spans:
            stream = await maybe(mock.client(is_async).chat.completions.create(
                model=MODEL, messages=MESSAGES, tools=tools, stream=True))
            await consume(stream)
            attrs = attrs_of(spans.one())
        prefixes = ("gen_ai.input", "gen_ai.output", "gen_ai.tool")
        content = {k: attrs.pop(k) for k in list(attrs) if k.startswith(prefixes)}
        assert attrs == {
            **STREAM_REQUEST,
            "gen_ai.response.id": "chatcmpl-groq-2",
            "gen_ai.response.model": MODEL,
            "gen_ai.response.finish_reasons": ("tool_calls",),
            "llm_agent.response.tool_call_names": ("get_weather", "get_time"),
            "gen_ai.usage.input_tokens": 30,
            "gen_ai.usage.output_tokens": 12,
            "gen_ai.usage.reasoning.output_tokens": 4,
        }
        if not capture:
            assert content == {}
            continue
        assert {k: json.loads(v) for k, v in content.items()} == {
            "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}],
            "gen_ai.tool.definitions": tools,
            "gen_ai.output.messages": [{
                "role": "assistant",
                "parts": [
                    {"type": "reasoning", "content": "Need the weather."},
                    {"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Oslo"}},
                    {"type": "tool_call", "id": "call_2", "name": "get_time", "arguments": {}},
                ],
                "finish_reason": "tool_calls",
            }],
        }


async def test_streaming_response_stream(spans: SpanCapture, mock: Mock, is_async: bool) -> None:
    mock.stream(CHUNKS)
    manager = mock.client(is_async).chat.completions.with_streaming_response.create(
        model=MODEL, messages=MESSAGES, stream=True)
    if is_async:
        async with manager as response:
            items = [item async for item in await response.parse()]
    else:
        with manager as response:
            items = list(response.parse())
    assert len(items) == len(CHUNKS)
    assert attrs_of(spans.one()) == {**STREAM_REQUEST, **FULL_STREAM}


async def test_raw_stream_never_parsed_is_abandoned(spans: SpanCapture, mock: Mock, is_async: bool) -> None:
    mock.stream(CHUNKS)
    raw = await maybe(mock.client(is_async).chat.completions.with_raw_response.create(
        model=MODEL, messages=MESSAGES, stream=True))
    assert raw.status_code == 200
    del raw
    gc.collect()
    assert attrs_of(spans.one()) == {**STREAM_REQUEST, "llm_agent.usage.missing": True,
                                     "llm_agent.stream.abandoned": True}


async def test_embeddings(spans: SpanCapture, mock: Mock, is_async: bool) -> None:
    mock.json({"object": "list", "model": "nomic-embed-text-v1_5",
               "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
               "usage": {"prompt_tokens": 5, "total_tokens": 5}})
    result = await maybe(mock.client(is_async).embeddings.create(
        model="nomic-embed-text-v1_5", input="hello", encoding_format="float"))
    assert len(result.data[0].embedding) == 3
    record = spans.one()
    assert record.name == "embeddings nomic-embed-text-v1_5"
    assert attrs_of(record) == {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "groq",
        "gen_ai.request.model": "nomic-embed-text-v1_5",
        "gen_ai.request.encoding_formats": ("float",),
        "gen_ai.span.kind": "EMBEDDING",
        "server.address": "mock.groq.test",
        "server.port": 443,
        "gen_ai.response.model": "nomic-embed-text-v1_5",
        "gen_ai.embeddings.dimension.count": 3,
        "gen_ai.usage.input_tokens": 5,
    }


def test_usage_absent_is_unknown_not_zero(spans: SpanCapture, mock: Mock) -> None:
    mock.json({**CHAT, "usage": None})
    mock.client().chat.completions.create(model=MODEL, messages=MESSAGES)
    attrs = attrs_of(spans.one())
    assert attrs == {**REQUEST, **{k: v for k, v in RESPONSE.items() if "usage" not in k},
                     "llm_agent.usage.missing": True}


async def test_session_and_user_on_every_span(spans: SpanCapture, mock: Mock, is_async: bool) -> None:
    with llm_agent.session("sess-g", user_id="ada"):
        await maybe(mock.client(is_async).chat.completions.create(model=MODEL, messages=MESSAGES))
        mock.stream(CHUNKS)
        await consume(await maybe(mock.client(is_async).chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True)))
    assert [(r.session_id, r.user_id) for r in spans.records] == [("sess-g", "ada")] * 2
    assert {r.attributes["gen_ai.conversation.id"] for r in spans.records} == {"sess-g"}


def test_request_parameters(spans: SpanCapture, mock: Mock) -> None:
    mock.client().chat.completions.create(
        model=MODEL, messages=MESSAGES, temperature=0.2, top_p=0.9, max_completion_tokens=50, seed=7,
        stop=["END"], n=2, frequency_penalty=0.1, presence_penalty=0.3, response_format={"type": "json_object"})
    assert attrs_of(spans.one()) == {
        **REQUEST, **RESPONSE,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.seed": 7,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.request.choice.count": 2,
        "gen_ai.request.frequency_penalty": 0.1,
        "gen_ai.request.presence_penalty": 0.3,
        "gen_ai.output.type": "json",
    }


def test_request_keys_cover_what_the_request_side_reads() -> None:
    every_option = {
        "model": MODEL, "messages": MESSAGES, "tools": [], "temperature": 0.1, "top_p": 0.9,
        "frequency_penalty": 0.1, "presence_penalty": 0.1, "max_completion_tokens": 5, "max_tokens": 6,
        "seed": 1, "stop": "x", "n": 2, "stream": True, "response_format": {"type": "text"},
        "encoding_format": "float", "input": "hi", "user": "u",
    }
    assert_keys_cover(request_attributes, REQUEST_KEYS, (semconv.OP_CHAT, semconv.OP_EMBEDDINGS), every_option,
                      (None, "max_completion_tokens"))


def test_the_request_side_is_a_copy_made_at_the_call(spans: SpanCapture, mock: Mock) -> None:
    stop = ["END"]
    mock.client().chat.completions.create(model=MODEL, messages=MESSAGES, stop=stop)
    stop.append("changed by the app after the call")
    assert list(spans.one().attributes["gen_ai.request.stop_sequences"]) == ["END"]


def test_user_from_the_request_only_when_enabled(mock: Mock) -> None:
    for enabled, expected in ((False, None), (True, "u-9")):
        with capture_spans(instrument=["groq"], session_from_request=enabled) as spans:
            mock.client().chat.completions.create(model=MODEL, messages=MESSAGES, user="u-9")
            assert spans.one().user_id == expected


def test_uninstrument_restores_exactly_and_reinstrument(spans: SpanCapture, mock: Mock) -> None:
    from groq.resources.chat.completions import AsyncCompletions, Completions
    from groq.resources.embeddings import Embeddings

    wrapped = {cls: cls.__dict__["create"] for cls in (Completions, AsyncCompletions, Embeddings)}
    assert all(isinstance(f, wrapt.FunctionWrapper) for f in wrapped.values())
    llm_agent.uninstrument("groq")
    try:
        assert {cls: cls.__dict__["create"] for cls in wrapped} == {cls: f.__wrapped__ for cls, f in wrapped.items()}
        llm_agent.uninstrument("groq")  # idempotent
        mock.client().chat.completions.create(model=MODEL, messages=MESSAGES)
        assert spans.records == []
    finally:
        llm_agent.instrument("groq")
        llm_agent.instrument("groq")  # idempotent: wrapped once
    assert isinstance(Completions.__dict__["create"], wrapt.FunctionWrapper)
    assert not isinstance(Completions.__dict__["create"].__wrapped__, wrapt.FunctionWrapper)
    mock.client().chat.completions.create(model=MODEL, messages=MESSAGES)
    assert attrs_of(spans.one()) == {**REQUEST, **RESPONSE}


def test_extraction_failure_leaves_the_result_unchanged(spans: SpanCapture, mock: Mock,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_agent.instrumentation.groq import _provider

    def broken(*args: Any) -> Any:
        raise RuntimeError("injected")

    monkeypatch.setattr(_provider.CHAT, "read_response", broken)
    with expect_internal_errors() as errors:
        result = mock.client().chat.completions.create(model=MODEL, messages=MESSAGES)
    assert type(result) is groq.types.chat.ChatCompletion and result.choices[0].message.content == "Hello"
    assert [where for where, _ in errors] == ["groq.response"]
    assert attrs_of(spans.one()) == REQUEST
