"""Real recorded OpenAI exchanges (tests/cassettes/openai, see tests/cassettes/README.md) through the
real SDK; whole attribute sets are asserted."""

from __future__ import annotations

import openai
import pytest

from tests.openai.conftest import attrs, recorded_client

LLM = {
    "server.address": "api.openai.com",
    "server.port": 443,
    "gen_ai.provider.name": "openai",
    "gen_ai.span.kind": "LLM",
    "gen_ai.operation.name": "chat",
    "openai.api.type": "chat_completions",
}
#: The Responses API's spans: the same, but for the API type.
RESPONSES_LLM = {**LLM, "openai.api.type": "responses"}
MESSAGES = [{"role": "user", "content": "Say this is a test"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
        },
    }
]
ZERO_DETAILS = {"gen_ai.usage.cache_read.input_tokens": 0, "gen_ai.usage.reasoning.output_tokens": 0}


def test_chat_completion(spans, cassette):
    with cassette("test_chat_completion_no_content"):
        result = recorded_client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=False)
    assert result.choices[0].message.content == "This is a test."
    record = spans.one()
    assert (record.name, record.kind, record.status) == ("chat gpt-4o-mini", "CLIENT", "UNSET")
    assert attrs(record) == {
        **LLM,
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.id": "chatcmpl-ASYMQRl3A3DXL9FWCK9tnGRcKIO7q",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "openai.response.system_fingerprint": "fp_0ba0d124f1",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 5,
        "gen_ai.usage.total_tokens": 17,
        **ZERO_DETAILS,
    }
    assert (record.input_tokens, record.output_tokens, record.cache_read_tokens) == (12, 5, 0)


def test_chat_stop_string_becomes_list(spans, cassette):
    with cassette("test_chat_completion_handle_stop_sequences_as_string"):
        recorded_client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stop="stop")
    assert attrs(spans.one()) == {
        **LLM,
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.stop_sequences": ["stop"],
        "gen_ai.response.id": "chatcmpl-Clubs1bbZwGUeDKpnPUWDMEhSbquh",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "openai.response.system_fingerprint": "fp_11f3029f6b",
        "openai.response.service_tier": "default",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 12,
        "gen_ai.usage.total_tokens": 24,
        **ZERO_DETAILS,
    }


def test_chat_tool_call_names_without_arguments(spans, cassette):
    with cassette("test_chat_completion_tool_calls_no_content"):
        result = recorded_client().chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, tools=TOOLS, tool_choice="auto"
        )
    assert result.choices[0].finish_reason == "tool_calls"
    assert attrs(spans.one()) == {
        **LLM,
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.id": "chatcmpl-ASYMW6w3m9qqpHUVhYTbQbw61zMqA",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "openai.response.system_fingerprint": "fp_0ba0d124f1",
        "gen_ai.response.finish_reasons": ["tool_calls"],
        "llm_agent.response.tool_call_names": ["get_current_weather", "get_current_weather"],
        "gen_ai.usage.input_tokens": 75,
        "gen_ai.usage.output_tokens": 51,
        "gen_ai.usage.total_tokens": 126,
        **ZERO_DETAILS,
    }


STREAM_ATTRS = {
    **LLM,
    "gen_ai.request.model": "gpt-4",
    "gen_ai.request.stream": True,
    "gen_ai.response.model": "gpt-4-0613",
    "gen_ai.response.finish_reasons": ["stop"],
    "gen_ai.usage.input_tokens": 12,
    "gen_ai.usage.output_tokens": 5,
    "gen_ai.usage.total_tokens": 17,
    **ZERO_DETAILS,
    "llm_agent.stream.chunks": 8,
}


def test_chat_stream_with_usage_chunk(spans, cassette):
    with cassette("test_chat_completion_streaming"):
        stream = recorded_client().chat.completions.create(
            model="gpt-4", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = list(stream)
    assert len(chunks) == 8 and chunks[-1].usage.prompt_tokens == 12  # the app still sees the usage chunk
    record = spans.one()
    assert attrs(record) == {**STREAM_ATTRS, "gen_ai.response.id": "chatcmpl-ASYMZ4oSykiIFK4lXLReDiKyAjsQl"}
    assert record.ttft_s is not None and record.ttft_s >= 0


async def test_async_chat_stream_with_usage_chunk(spans, cassette):
    with cassette("test_async_chat_completion_streaming"):
        stream = await recorded_client(is_async=True).chat.completions.create(
            model="gpt-4", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = [chunk async for chunk in stream]
    assert len(chunks) == 8
    record = spans.one()
    assert attrs(record) == {**STREAM_ATTRS, "gen_ai.response.id": "chatcmpl-ASv9ejXDUtAhGOJJxWuw026zdinc4"}
    assert record.ttft_s is not None


def test_chat_stream_without_usage_is_flagged_not_zero(spans, cassette):
    with cassette("test_chat_completion_streaming_not_complete"):
        list(recorded_client().chat.completions.create(model="gpt-4", messages=MESSAGES, stream=True))
    record = spans.one()
    assert attrs(record) == {
        **LLM,
        "gen_ai.request.model": "gpt-4",
        "gen_ai.request.stream": True,
        "gen_ai.response.id": "chatcmpl-ASYMZbRqo8Bkz53FVzaTj7W7feOn4",
        "gen_ai.response.model": "gpt-4-0613",
        "gen_ai.response.finish_reasons": ["stop"],
        "llm_agent.usage.missing": True,
        "llm_agent.stream.chunks": 7,
    }
    assert (record.input_tokens, record.output_tokens, record.usage_missing) == (None, None, True)


def test_chat_stream_tool_call_names(spans, cassette):
    with cassette("test_chat_completion_multiple_tools_streaming_no_content"):
        client = recorded_client()
        list(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, tools=TOOLS, stream=True))
    assert attrs(spans.one()) == {
        **LLM,
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.stream": True,
        "gen_ai.response.id": "chatcmpl-ASYMdbuQwnGMCODejEnbp2ufs6WgR",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "openai.response.system_fingerprint": "fp_9b78b61c52",
        "gen_ai.response.finish_reasons": ["tool_calls"],
        "llm_agent.response.tool_call_names": ["get_current_weather", "get_current_weather"],
        "gen_ai.usage.input_tokens": 75,
        "gen_ai.usage.output_tokens": 51,
        "gen_ai.usage.total_tokens": 126,
        **ZERO_DETAILS,
        "llm_agent.stream.chunks": 18,
    }


def test_chat_with_raw_response(spans, cassette):
    with cassette("test_chat_completion_with_raw_response"):
        raw = recorded_client().chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(raw).__name__ == "LegacyAPIResponse"  # untouched, not a proxy
    assert raw.parse().usage.total_tokens == 17
    record = spans.one()
    assert record.attributes["gen_ai.usage.input_tokens"] == 12
    assert record.attributes["gen_ai.usage.output_tokens"] == 5


@pytest.mark.parametrize("is_async", [False, True])
async def test_chat_404_error(spans, cassette, is_async):
    name = "test_async_chat_completion_404" if is_async else "test_chat_completion_404"
    client = recorded_client(is_async)
    with cassette(name), pytest.raises(openai.NotFoundError):
        call = client.chat.completions.create(model="this-model-does-not-exist", messages=MESSAGES)
        if is_async:
            await call
    record = spans.one()
    assert (record.status, record.error_type) == ("ERROR", "openai.NotFoundError")
    assert attrs(record) == {
        **LLM,
        "gen_ai.request.model": "this-model-does-not-exist",
        "error.type": "openai.NotFoundError",
    }
    assert [e["name"] for e in record.events] == ["exception"]


@pytest.mark.parametrize("is_async", [False, True])
async def test_embeddings(spans, cassette, is_async):
    name = "test_async_embeddings_no_content" if is_async else "test_embeddings_no_content"
    client = recorded_client(is_async)
    with cassette(name):
        result = client.embeddings.create(model="text-embedding-3-small", input="This is a test for embeddings")
        if is_async:
            result = await result
    assert len(result.data[0].embedding) == 1536
    record = spans.one("embeddings text-embedding-3-small")
    embeddings = {k: v for k, v in LLM.items() if k != "openai.api.type"}  # no API type named for it
    assert attrs(record) == {
        **embeddings,
        "gen_ai.operation.name": "embeddings",
        "gen_ai.span.kind": "EMBEDDING",
        "gen_ai.request.model": "text-embedding-3-small",
        "gen_ai.response.model": "text-embedding-3-small",
        "gen_ai.embeddings.dimension.count": 1536,
        "gen_ai.usage.input_tokens": record.attributes["gen_ai.usage.input_tokens"],
    }
    assert record.input_tokens == result.usage.prompt_tokens and record.output_tokens is None
    assert record.usage_missing is False


RESPONSES_ATTRS = {
    **RESPONSES_LLM,
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "openai.response.service_tier": "default",
    "gen_ai.response.finish_reasons": ["stop"],
    "gen_ai.usage.input_tokens": 22,
    "gen_ai.usage.output_tokens": 6,
    "gen_ai.usage.total_tokens": 28,
    **ZERO_DETAILS,
}


def test_responses_create(spans, cassette):
    with cassette("test_responses_create_basic"):
        recorded_client().responses.create(
            model="gpt-4o-mini", input="Say this is a test", instructions="You are a helpful assistant.", stream=False
        )
    assert attrs(spans.one()) == {
        **RESPONSES_ATTRS,
        "gen_ai.response.id": "resp_0f4faba17dcd0f1e0069e2f3e4907881909179832ba1237025",
    }


def test_responses_stream(spans, cassette):
    with cassette("test_responses_create_streaming"):
        events = list(
            recorded_client().responses.create(
                model="gpt-4o-mini",
                input="Say this is a test",
                instructions="You are a helpful assistant.",
                service_tier="default",
                stream=True,
            )
        )
    assert events[-1].type == "response.completed"
    record = spans.one()
    assert attrs(record) == {
        **RESPONSES_ATTRS,
        "gen_ai.request.stream": True,
        "openai.request.service_tier": "default",
        "gen_ai.response.id": "resp_0415a3de5d3015560069e2f3f4b3088192949253e91aff1eb3",
        "llm_agent.stream.chunks": 13,
    }
    assert record.ttft_s is not None


def test_responses_reasoning_tokens_and_max_output_tokens(spans, cassette):
    with cassette("test_responses_create_reports_reasoning_tokens"):
        recorded_client().responses.create(
            model="gpt-5.4", input="transpose", max_output_tokens=300, reasoning={"effort": "low"}
        )
    record = spans.one("chat gpt-5.4")
    assert attrs(record) == {
        **RESPONSES_LLM,
        "gen_ai.request.model": "gpt-5.4",
        "gen_ai.request.max_tokens": 300,
        "gen_ai.response.id": "resp_05177a4994c7df3a0069e2f402f00881a1b9eda520cb779fef",
        "gen_ai.response.model": "gpt-5.4-2026-03-05",
        "openai.response.service_tier": "default",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 44,
        "gen_ai.usage.output_tokens": 288,
        "gen_ai.usage.total_tokens": 332,
        "gen_ai.usage.cache_read.input_tokens": 0,
        "gen_ai.usage.reasoning.output_tokens": 9,
    }
    assert record.reasoning_tokens == 9


def test_responses_api_error(spans, cassette):
    with cassette("test_responses_create_api_error"), pytest.raises(openai.BadRequestError):
        recorded_client().responses.create(model="this-model-does-not-exist", input="Hello")
    record = spans.one()
    assert attrs(record) == {
        **RESPONSES_LLM,
        "gen_ai.request.model": "this-model-does-not-exist",
        "error.type": "openai.BadRequestError",
    }
