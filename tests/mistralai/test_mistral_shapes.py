"""Mistral call shapes beyond the matrix, through the real client and the SDK's mock transport:
unknown usage, parse helpers, the SDK's own tracing, context, uninstrument, request parameters
and their kept keys, content capture of multi-part messages, an extraction failure."""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pytest
import wrapt
from mistralai.client import models

import llm_agent
from llm_agent import semconv
from llm_agent.instrumentation.mistralai._extract import REQUEST_KEYS, request_attributes
from llm_agent.testing import SpanCapture, capture_spans, expect_internal_errors
from tests._lifecycle import consume, maybe
from tests._request_keys import assert_keys_cover
from tests.mistralai.mistral_helpers import (
    CHAT,
    CHUNKS,
    FULL_STREAM,
    MESSAGES,
    MODEL,
    REQUEST,
    RESPONSE,
    STREAM_REQUEST,
    Mock,
    attrs_of,
)

RESPONSE_WITHOUT_USAGE = {k: v for k, v in RESPONSE.items() if "usage" not in k}


@pytest.fixture(params=[False, True], ids=["sync", "async"])
def is_async(request: Any) -> bool:
    return bool(request.param)


def _complete(mock: Mock, is_async: bool, **kwargs: Any) -> Any:
    chat = mock.client(is_async).chat
    return (chat.complete_async if is_async else chat.complete)(**{"model": MODEL, "messages": MESSAGES, **kwargs})


async def test_counts_the_response_did_not_carry_are_unknown_not_zero(
    spans: SpanCapture, mock: Mock, is_async: bool
) -> None:
    """The SDK's UsageInfo reads 0 for an absent count: the span has no such count instead."""
    mock.json({**CHAT, "usage": {"completion_tokens": 3}})
    result = await maybe(_complete(mock, is_async))
    assert result.usage.prompt_tokens == 0  # what the SDK says
    assert attrs_of(spans.one()) == {**REQUEST, **RESPONSE_WITHOUT_USAGE, "gen_ai.usage.output_tokens": 3}
    spans.clear()
    mock.json({**CHAT, "usage": {}})
    await maybe(_complete(mock, is_async))
    assert attrs_of(spans.one()) == {**REQUEST, **RESPONSE_WITHOUT_USAGE, "llm_agent.usage.missing": True}
    spans.clear()
    mock.stream([*CHUNKS[:-1], {**CHUNKS[-1], "usage": None}])
    await consume(await maybe(getattr(mock.client(is_async).chat, "stream_async" if is_async else "stream")(
        model=MODEL, messages=MESSAGES)))
    expected = {**STREAM_REQUEST, **FULL_STREAM, "llm_agent.usage.missing": True}
    del expected["gen_ai.usage.input_tokens"], expected["gen_ai.usage.output_tokens"]
    assert attrs_of(spans.one()) == expected


class Answer(pydantic.BaseModel):
    text: str


async def test_parse_helpers_make_one_span(spans: SpanCapture, mock: Mock, is_async: bool) -> None:
    chat = mock.client(is_async).chat
    mock.json({**CHAT, "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": '{"text": "ok"}'}}]})
    parsed = await maybe((chat.parse_async if is_async else chat.parse)(Answer, model=MODEL, messages=MESSAGES))
    assert parsed.choices[0].message.parsed == Answer(text="ok")
    assert attrs_of(spans.one()) == {**REQUEST, **RESPONSE, "gen_ai.output.type": "json"}
    spans.clear()
    mock.stream(CHUNKS)
    stream = await maybe((chat.parse_stream_async if is_async else chat.parse_stream)(
        Answer, model=MODEL, messages=MESSAGES))
    await consume(stream)
    assert attrs_of(spans.one()) == {**STREAM_REQUEST, **FULL_STREAM, "gen_ai.output.type": "json"}
    assert len(mock.requests) == 2


async def test_the_sdks_own_tracing_makes_no_second_span(
    mock: Mock, is_async: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With its telemetry on, mistralai makes a GenAI span with the tokens of each request; under
    ours that would count the call twice.  Uninstrumented, the SDK's span is there (so this test
    sees it when it exists)."""
    monkeypatch.setenv("MISTRAL_SDK_TELEMETRY", "global")
    with capture_spans(instrument=["mistralai"]) as spans:
        await maybe(_complete(mock, is_async))
        mock.stream(CHUNKS)
        chat = mock.client(is_async).chat
        await consume(await maybe((chat.stream_async if is_async else chat.stream)(model=MODEL, messages=MESSAGES)))
        assert [(r.name, r.scope_name) for r in spans.records] == [(f"chat {MODEL}", "llm_agent")] * 2
        spans.clear()
        llm_agent.uninstrument("mistralai")
        try:
            mock.json(CHAT)
            await maybe(_complete(mock, is_async))
            assert [(r.name, r.input_tokens) for r in spans.records if r.scope_name != "llm_agent"] == [
                (f"chat {MODEL}", 12)
            ]
        finally:
            llm_agent.instrument("mistralai")


async def test_session_and_user_on_every_span(spans: SpanCapture, mock: Mock, is_async: bool) -> None:
    with llm_agent.session("sess-m", user_id="ada"):
        await maybe(_complete(mock, is_async))
        mock.stream(CHUNKS)
        chat = mock.client(is_async).chat
        await consume(await maybe((chat.stream_async if is_async else chat.stream)(model=MODEL, messages=MESSAGES)))
        mock.json({"id": "e1", "object": "list", "model": "mistral-embed", "usage": {"prompt_tokens": 2},
                   "data": [{"object": "embedding", "index": 0, "embedding": [0.5, 0.5]}]})
        embeddings = mock.client(is_async).embeddings
        await maybe((embeddings.create_async if is_async else embeddings.create)(model="mistral-embed", inputs="x"))
    assert [(r.session_id, r.user_id) for r in spans.records] == [("sess-m", "ada")] * 3
    assert [r.span_kind for r in spans.records] == ["LLM", "LLM", "EMBEDDING"]


def test_request_parameters(spans: SpanCapture, mock: Mock) -> None:
    _complete(mock, False, temperature=0.2, top_p=0.9, max_tokens=50, random_seed=7, stop="END", n=2,
              frequency_penalty=0.1, presence_penalty=0.3, response_format={"type": "json_object"})
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


def test_a_calls_own_server_url_is_its_server(spans: SpanCapture, mock: Mock) -> None:
    _complete(mock, False, server_url="http://127.0.0.1:8089")
    attrs = attrs_of(spans.one())
    assert (attrs["server.address"], attrs["server.port"]) == ("127.0.0.1", 8089)
    assert attrs["gen_ai.provider.name"] == "mistral_ai"


def test_request_keys_cover_what_the_request_side_reads() -> None:
    every_option = {
        "model": MODEL, "messages": MESSAGES, "tools": [], "temperature": 0.1, "top_p": 0.9,
        "frequency_penalty": 0.1, "presence_penalty": 0.1, "max_tokens": 5, "top_k": 3, "random_seed": 1,
        "stop": ["x"], "n": 2, "response_format": {"type": "text"}, "output_dimension": 8,
        "encoding_format": "float", "inputs": ["hi"], "metadata": {"user_id": "u"}, "server_url": "https://x",
    }
    assert_keys_cover(request_attributes, REQUEST_KEYS, (semconv.OP_CHAT, semconv.OP_EMBEDDINGS), every_option)


def test_the_request_side_is_a_copy_made_at_the_call(spans: SpanCapture, mock: Mock) -> None:
    stop = ["END"]
    _complete(mock, False, stop=stop)
    stop.append("changed by the app after the call")
    assert list(spans.one().attributes["gen_ai.request.stop_sequences"]) == ["END"]


def test_ids_from_request_metadata_only_when_enabled(mock: Mock) -> None:
    for enabled, expected in ((False, (None, None)), (True, ("s-1", "u-1"))):
        with capture_spans(instrument=["mistralai"], session_from_request=enabled) as spans:
            _complete(mock, False, metadata={"session_id": "s-1", "user_id": "u-1"})
            assert (spans.one().session_id, spans.one().user_id) == expected


def test_multi_part_messages_captured_in_the_conventions_schema(mock: Mock) -> None:
    image = "data:image/png;base64," + "A" * 400
    messages = [
        models.SystemMessage(content="be brief"),
        {"role": "user", "content": [{"type": "text", "text": "what is this?"},
                                     {"type": "image_url", "image_url": image},
                                     {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]},
        {"role": "assistant", "content": None,
         "tool_calls": [{"id": "t1", "function": {"name": "look", "arguments": {"zoom": 2}}}]},
        {"role": "tool", "tool_call_id": "t1", "name": "look", "content": "a cat"},
    ]
    mock.json({**CHAT, "choices": [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant",
        "content": [{"type": "thinking", "thinking": [{"type": "text", "text": "It is furry."}]},
                    {"type": "text", "text": "A cat."}]}}]})
    with capture_spans(instrument=["mistralai"], capture_content=True) as spans:
        mock.client().chat.complete(model=MODEL, messages=messages)
    attrs = spans.one().attributes
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
        {"role": "user", "parts": [
            {"type": "text", "content": "what is this?"},
            {"type": "blob", "modality": "image", "mime_type": "image/png", "size": 300},  # never the bytes
            {"type": "uri", "modality": "image", "uri": "https://example.com/cat.png"},
        ]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "t1", "name": "look", "arguments": {"zoom": 2}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "t1", "response": "a cat"}]},
    ]
    assert "AAAA" not in attrs["gen_ai.input.messages"]
    assert json.loads(attrs["gen_ai.output.messages"]) == [{
        "role": "assistant", "finish_reason": "stop",
        "parts": [{"type": "reasoning", "content": "It is furry."}, {"type": "text", "content": "A cat."}],
    }]


def test_content_is_truncated_to_the_limit(mock: Mock) -> None:
    with capture_spans(instrument=["mistralai"], capture_content=True, content_max_chars=40) as spans:
        mock.client().chat.complete(model=MODEL, messages=[{"role": "user", "content": "x" * 500}])
    from llm_agent.instrumentation._spans import TRUNCATION_MARKER

    captured = spans.one().attributes["gen_ai.input.messages"]
    assert len(captured) == 40 and captured.endswith(TRUNCATION_MARKER)  # the limit, its marker included


def test_uninstrument_restores_exactly_and_reinstrument(spans: SpanCapture, mock: Mock) -> None:
    from mistralai.client._hooks.tracing import TracingHook
    from mistralai.client.chat import Chat
    from mistralai.client.embeddings import Embeddings

    slots = [(Chat, m) for m in ("complete", "complete_async", "stream", "stream_async")]
    slots += [(Embeddings, "create"), (Embeddings, "create_async"), (TracingHook, "before_request")]
    wrapped = {slot: slot[0].__dict__[slot[1]] for slot in slots}
    assert all(isinstance(f, wrapt.FunctionWrapper) for f in wrapped.values())
    llm_agent.uninstrument("mistralai")
    try:
        assert {slot: slot[0].__dict__[slot[1]] for slot in slots} == {s: f.__wrapped__ for s, f in wrapped.items()}
        llm_agent.uninstrument("mistralai")  # idempotent
        _complete(mock, False)
        assert spans.records == []
    finally:
        llm_agent.instrument("mistralai")
        llm_agent.instrument("mistralai")  # idempotent: wrapped once
    assert not isinstance(Chat.__dict__["complete"].__wrapped__, wrapt.FunctionWrapper)
    _complete(mock, False)
    assert attrs_of(spans.one()) == {**REQUEST, **RESPONSE}


def test_extraction_failure_leaves_the_result_unchanged(
    spans: SpanCapture, mock: Mock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llm_agent.instrumentation.mistralai import _provider

    def broken(*args: Any) -> Any:
        raise RuntimeError("injected")

    monkeypatch.setattr(_provider.CHAT, "read_response", broken)
    with expect_internal_errors() as errors:
        result = _complete(mock, False)
    assert type(result) is models.ChatCompletionResponse and result.choices[0].message.content == "Hello"
    assert [where for where, _ in errors] == ["mistralai.response"]
    assert attrs_of(spans.one()) == REQUEST
