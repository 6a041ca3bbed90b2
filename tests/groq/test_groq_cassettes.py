"""Recorded Groq exchanges replayed through the real SDK -> exactly one span each, whole
attributes checked (tests/cassettes/groq, provenance in its README)."""

from __future__ import annotations

import json
from typing import Any

import groq
import pytest

from llm_agent.testing import SpanCapture, capture_spans
from tests.groq.groq_helpers import attrs_of, recorded_client, request_of

SERVER = {"server.address": "api.groq.com", "server.port": 443}


def base(model: str, stream: bool = False, **extra: Any) -> dict[str, Any]:
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "groq",
        "gen_ai.request.model": model,
        "gen_ai.span.kind": "LLM",
        **SERVER,
        **extra,
    }
    if stream:
        attrs["gen_ai.request.stream"] = True
    return attrs


def test_chat_sync(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_chat_legacy"):
        result = recorded_client().chat.completions.create(**request_of("test_chat_legacy"))
    assert result.usage.total_tokens == 61
    record = spans.one()
    assert (record.name, record.kind, record.status) == ("chat llama3-8b-8192", "CLIENT", "UNSET")
    assert attrs_of(record) == {
        **base("llama3-8b-8192"),
        "gen_ai.response.id": "chatcmpl-645691ff-34af-4d0f-a1c1-fe888f8685cc",
        "gen_ai.response.model": "llama3-8b-8192",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 18,
        "gen_ai.usage.output_tokens": 43,
    }


async def test_chat_async(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_async_chat_legacy"):
        result = await recorded_client(True).chat.completions.create(**request_of("test_async_chat_legacy"))
    assert attrs_of(spans.one()) == {
        **base("llama3-8b-8192"),
        "gen_ai.response.id": result.id,
        "gen_ai.response.model": "llama3-8b-8192",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": result.usage.prompt_tokens,
        "gen_ai.usage.output_tokens": result.usage.completion_tokens,
    }


def test_stream_usage_from_the_last_chunks_x_groq(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_chat_streaming_legacy"):
        chunks = list(recorded_client().chat.completions.create(**request_of("test_chat_streaming_legacy")))
    assert chunks[-1].x_groq.usage.prompt_tokens == 18 and chunks[-1].usage is None
    record = spans.one()
    assert record.attributes["llm_agent.stream.chunks"] == len(chunks) == 74
    assert record.ttft_s is not None
    assert attrs_of(record) == {
        **base("llama3-8b-8192", stream=True),
        "gen_ai.response.id": "chatcmpl-532a6640-2e18-4a4c-8406-8437a857ce48",
        "gen_ai.response.model": "llama3-8b-8192",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 18,
        "gen_ai.usage.output_tokens": 73,
    }


def test_model_not_found_is_a_typed_error_span(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_tool_regular_error"), pytest.raises(groq.NotFoundError) as caught:
        recorded_client().chat.completions.create(**request_of("test_tool_regular_error"))
    record = spans.one()
    assert (record.status, record.error_type) == ("ERROR", "groq.NotFoundError")
    assert attrs_of(record) == {**base("non-existent"), "error.type": "groq.NotFoundError"}
    assert record.events[0]["attributes"]["exception.message"] == str(caught.value)


TOOL_CALL = "test_tool_use_failed_error"
GPT_OSS = "openai/gpt-oss-120b"


def test_failed_tool_use_then_tool_call_then_answer(spans: SpanCapture, cassette: Any) -> None:
    """A 400 (tool_use_failed), then a tool call and the answer: reasoning and cached tokens."""
    with cassette(TOOL_CALL):
        client = recorded_client()
        with pytest.raises(groq.BadRequestError):
            client.chat.completions.create(**request_of(TOOL_CALL, 0))
        client.chat.completions.create(**request_of(TOOL_CALL, 1))
        client.chat.completions.create(**request_of(TOOL_CALL, 2))
    first, second, third = (attrs_of(r) for r in spans.records)
    request = base(GPT_OSS)
    assert first == {**request, "error.type": "groq.BadRequestError"}
    assert second == {
        **request,
        "gen_ai.response.id": "chatcmpl-b089cbdd-ca65-41a1-9409-639d476f87c0",
        "gen_ai.response.model": GPT_OSS,
        "gen_ai.response.finish_reasons": ("tool_calls",),
        "llm_agent.response.tool_call_names": ("get_something_by_name",),
        "gen_ai.usage.input_tokens": 301,
        "gen_ai.usage.output_tokens": 52,
        "gen_ai.usage.reasoning.output_tokens": 22,
    }
    assert third == {
        **request,
        "gen_ai.response.id": "chatcmpl-c7c67aaa-6e09-4a05-a43c-664a9db28d52",
        "gen_ai.response.model": GPT_OSS,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 336,  # prompt_tokens includes the 256 read from the cache
        "gen_ai.usage.output_tokens": 96,
        "gen_ai.usage.cache_read.input_tokens": 256,
        "gen_ai.usage.reasoning.output_tokens": 59,
    }


def test_captured_content_in_the_conventions_schema(cassette: Any) -> None:
    with capture_spans(instrument=["groq"], capture_content=True) as spans, cassette(TOOL_CALL):
        client = recorded_client()
        with pytest.raises(groq.BadRequestError):
            client.chat.completions.create(**request_of(TOOL_CALL, 0))
        client.chat.completions.create(**request_of(TOOL_CALL, 1))
        kwargs = request_of(TOOL_CALL, 2)
        client.chat.completions.create(**kwargs)
    record = spans.records[1]
    assert json.loads(record.attributes["gen_ai.output.messages"]) == [{
        "role": "assistant",
        "parts": [
            {"type": "reasoning",
             "content": 'We need to call with correct param: name field. Use some name, e.g., "test".'},
            {"type": "tool_call", "id": "fc_311ba17b-89f9-48d3-8fd9-7e74a1264855", "name": "get_something_by_name",
             "arguments": {"name": "test"}},
        ],
        "finish_reason": "tool_calls",
    }]
    assert json.loads(record.attributes["gen_ai.tool.definitions"]) == request_of(TOOL_CALL, 1)["tools"]
    # The last request holds the whole history: system, user, assistant tool calls, tool results.
    history = json.loads(spans.records[2].attributes["gen_ai.input.messages"])
    assert [m["role"] for m in history] == [m["role"] for m in kwargs["messages"]]
    assert history[0] == {"role": "system", "parts": [{"type": "text", "content": kwargs["messages"][0]["content"]}]}
    assert history[2] == {"role": "assistant", "parts": [
        {"type": "tool_call", "id": "pyd_ai_445dbde6c4764cafb5782bb928ef6c2c", "name": "get_something_by_name",
         "arguments": {"foo": "bar"}},
    ]}
    tool_message = kwargs["messages"][3]
    assert history[3] == {"role": "tool", "parts": [
        {"type": "tool_call_response", "id": tool_message["tool_call_id"], "response": tool_message["content"]},
    ]}
    assert "gen_ai.system_instructions" not in spans.records[2].attributes  # the system message is history


def test_reasoning_model_content_only_with_capture(cassette: Any) -> None:
    name = "test_groq_model_thinking_part"
    for capture in (False, True):
        with capture_spans(instrument=["groq"], capture_content=capture) as spans, cassette(name):
            result = recorded_client().chat.completions.create(**request_of(name, 0))
            attrs = attrs_of(spans.one())
        content = {k: attrs.pop(k) for k in list(attrs) if k.startswith(("gen_ai.input", "gen_ai.output"))}
        assert attrs == {
            **base("deepseek-r1-distill-llama-70b"),
            "gen_ai.response.id": result.id,
            "gen_ai.response.model": "deepseek-r1-distill-llama-70b",
            "gen_ai.response.finish_reasons": ("stop",),
            "gen_ai.usage.input_tokens": result.usage.prompt_tokens,
            "gen_ai.usage.output_tokens": result.usage.completion_tokens,
        }
        if not capture:
            assert content == {}
            continue
        (output,) = json.loads(content["gen_ai.output.messages"])
        # reasoning_format "raw": the thought is inside the text (<think>), not a field of its own
        assert output == {"role": "assistant", "finish_reason": "stop",
                          "parts": [{"type": "text", "content": result.choices[0].message.content}]}
