"""Recorded DashScope exchanges (tests/cassettes/dashscope, provenance in its README) replayed
through the real SDK: each call gives one span with exactly these attributes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import dashscope
import pytest

from llm_agent.testing import SpanCapture, capture_spans
from tests.dashscope.dashscope_helpers import attrs

SERVER = {"server.address": "dashscope.aliyuncs.com", "server.port": 443, "gen_ai.provider.name": "dashscope"}
CHAT = {**SERVER, "gen_ai.operation.name": "chat", "gen_ai.span.kind": "LLM"}
TURBO = {**CHAT, "gen_ai.request.model": "qwen-turbo", "gen_ai.span.kind": "LLM"}
HELLO = {"gen_ai.response.finish_reasons": ("stop",), "gen_ai.usage.input_tokens": 14,
         "gen_ai.usage.output_tokens": 11, "gen_ai.usage.cache_read.input_tokens": 0}
COUNT = {"gen_ai.request.stream": True, "gen_ai.response.finish_reasons": ("stop",),
         "gen_ai.usage.input_tokens": 19, "gen_ai.usage.output_tokens": 14,
         "gen_ai.usage.cache_read.input_tokens": 0, "llm_agent.stream.chunks": 7}
EMBEDDING = {**SERVER, "gen_ai.operation.name": "embeddings", "gen_ai.span.kind": "EMBEDDING",
             "gen_ai.request.model": "text-embedding-v1", "gen_ai.embeddings.dimension.count": 1536}
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_current_weather", "description": "Get the current weather in a given location",
    "parameters": {"type": "object", "properties": {"location": {
        "type": "string", "description": "The city and state, e.g. San Francisco, CA"}}, "required": ["location"]}}}
QUESTION = {"role": "user", "content": "What's the weather in Beijing?"}


CASES = [
    ("test_generation_call_basic", lambda: dashscope.Generation.call(model="qwen-turbo", prompt="Hello!"),
     {**TURBO, **HELLO, "gen_ai.response.id": "49323c4e-a33e-42be-a301-9abb5dd9e20a"}),
    ("test_generation_call_with_messages",
     lambda: dashscope.Generation.call(model="qwen-turbo", messages=[{"role": "user", "content": "Hello!"}]),
     {**TURBO, **HELLO, "gen_ai.response.id": "95386392-96f0-4464-badd-331cdbb37634"}),
    ("test_generation_call_with_all_parameters",
     lambda: dashscope.Generation.call(
         model="qwen-turbo", prompt="Test prompt", temperature=0.7, top_p=0.9, top_k=50, max_tokens=200,
         frequency_penalty=0.5, presence_penalty=0.5, stop=["stop1", "stop2"], seed=42),
     {**TURBO, "gen_ai.request.temperature": 0.7, "gen_ai.request.top_p": 0.9, "gen_ai.request.top_k": 50,
      "gen_ai.request.max_tokens": 200, "gen_ai.request.presence_penalty": 0.5,
      "gen_ai.request.stop_sequences": ("stop1", "stop2"), "gen_ai.request.seed": 42,
      "gen_ai.response.id": "261dbe28-018c-488b-a068-c712f1317418", "gen_ai.response.finish_reasons": ("stop",),
      "gen_ai.usage.input_tokens": 14, "gen_ai.usage.output_tokens": 52, "gen_ai.usage.cache_read.input_tokens": 0}),
    # Without incremental_output every event repeats the whole text and the usage so far: counted once.
    ("test_generation_call_streaming",
     lambda: list(dashscope.Generation.call(model="qwen-turbo", prompt="Count from 1 to 5", stream=True)),
     {**TURBO, **COUNT, "gen_ai.response.id": "14b9983a-83d6-491f-9ea0-ada34f950fa1"}),
    ("test_generation_call_streaming_incremental_output",
     lambda: list(dashscope.Generation.call(
         model="qwen-turbo", prompt="Count from 1 to 5", stream=True, incremental_output=True)),
     {**TURBO, **COUNT, "llm_agent.stream.chunks": 8, "gen_ai.response.id": "76895413-ba3a-4afc-9583-f7cc2d4c769d"}),
    ("test_generation_call_with_tool_calls_content_capture",
     lambda: dashscope.Generation.call(
         model="qwen-turbo", messages=[QUESTION], tools=[WEATHER_TOOL], result_format="message"),
     {**TURBO, "gen_ai.response.id": "b115657b-aac4-4b43-8bfb-e374186c6183",
      "gen_ai.response.finish_reasons": ("tool_calls",), "llm_agent.response.tool_call_names": ("get_current_weather",),
      "gen_ai.usage.input_tokens": 177, "gen_ai.usage.output_tokens": 21, "gen_ai.usage.cache_read.input_tokens": 0}),
    ("test_multimodal_conversation_call_basic",
     lambda: dashscope.MultiModalConversation.call(
         model="qwen-vl-plus", messages=[{"role": "user", "content": [{"text": "Hello, how are you?"}]}]),
     {**CHAT, "gen_ai.request.model": "qwen-vl-plus", "gen_ai.response.id": "20c1dd89-b3cd-447b-b139-3fbecf5ade21",
      "gen_ai.response.finish_reasons": ("stop",), "gen_ai.usage.input_tokens": 14, "gen_ai.usage.output_tokens": 39,
      "gen_ai.usage.cache_read.input_tokens": 0}),
    # The image's tokens are part of input_tokens (1249 of 1265).
    ("test_multimodal_conversation_call_with_image",
     lambda: dashscope.MultiModalConversation.call(model="qwen-vl-plus", messages=[{"role": "user", "content": [
         {"image": "https://dashscope.oss-cn-beijing.aliyuncs.com/images/dog_and_girl.jpeg"},
         {"text": "What do you see in this image?"}]}]),
     {**CHAT, "gen_ai.request.model": "qwen-vl-plus", "gen_ai.response.id": "f7ffa05a-1ed0-402c-ba63-ec6a01e3c172",
      "gen_ai.response.finish_reasons": ("stop",), "gen_ai.usage.input_tokens": 1265,
      "gen_ai.usage.output_tokens": 564, "gen_ai.usage.cache_read.input_tokens": 0}),
    ("test_text_embedding_basic",
     lambda: dashscope.TextEmbedding.call(model="text-embedding-v1", input="Hello, world!"),
     {**EMBEDDING, "gen_ai.response.id": "954841fa-daca-4ae9-abbd-319c25137097", "gen_ai.usage.input_tokens": 4}),
    ("test_text_embedding_batch",
     lambda: dashscope.TextEmbedding.call(model="text-embedding-v1", input=["Hello", "World"]),
     {**EMBEDDING, "gen_ai.response.id": "ebc4cec4-c040-470e-a978-76c61b2cfd4e", "gen_ai.usage.input_tokens": 2}),
    # 512 asked for, 1536 returned (text-embedding-v1 has one size): the span says what came back.
    ("test_text_embedding_with_dimension",
     lambda: dashscope.TextEmbedding.call(model="text-embedding-v1", input="What is machine learning?", dimension=512),
     {**EMBEDDING, "gen_ai.response.id": "91c2cd03-6b00-4e66-b9ee-1688d18d81a1", "gen_ai.usage.input_tokens": 5}),
    ("test_text_rerank_basic",
     lambda: dashscope.TextReRank.call(model="gte-rerank", query="What is machine learning?", documents=[
         "Machine learning is a subset of artificial intelligence.", "Python is a programming language.",
         "Deep learning uses neural networks."]),
     {**SERVER, "gen_ai.operation.name": "rerank", "gen_ai.span.kind": "RERANKER", "gen_ai.request.model": "gte-rerank",
      "llm_agent.rerank.documents": 3, "gen_ai.response.id": "1fe6281a-1b9f-47ce-b733-5f710de2deab",
      "gen_ai.usage.input_tokens": 54}),
]


@pytest.mark.parametrize(("name", "call", "expected"), CASES, ids=[c[0] for c in CASES])
def test_recorded_call_gives_one_whole_span(
    spans: SpanCapture, cassette: Any, name: str, call: Any, expected: dict[str, Any]
) -> None:
    with cassette(name):
        result = call()
    for response in result if isinstance(result, list) else [result]:
        assert response.status_code == 200  # the app's own result, read as usual
    record = spans.one()
    assert record.status == "UNSET"
    assert attrs(record) == expected


@pytest.mark.parametrize("stream", [False, True], ids=["nonstream", "stream"])
def test_aio_generation(spans: SpanCapture, cassette: Any, stream: bool) -> None:
    async def call() -> Any:
        try:
            result = await dashscope.AioGeneration.call(
                model="qwen-turbo", prompt="Count from 1 to 5" if stream else "Hello!", stream=stream)
            return [item async for item in result] if stream else result
        finally:
            await dashscope.close_shared_aio_session()

    with cassette("test_aio_generation_call_streaming" if stream else "test_aio_generation_call_basic"):
        result = asyncio.run(call())
    if stream:
        assert result[-1].output.text == "1, 2, 3, 4, 5."
        expected = {**TURBO, **COUNT, "gen_ai.response.id": "ab7cd9ac-82e9-4209-87ef-6b219204d339"}
    else:
        assert result.output.text.startswith("Hello!")
        expected = {**TURBO, **HELLO, "gen_ai.response.id": "a5641492-94a0-45dc-abd7-e365cfab23a3"}
    assert attrs(spans.one()) == expected


def test_rerank_error_is_an_error_span_and_the_app_gets_the_response(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_text_rerank_error_handling"):
        result = dashscope.TextReRank.call(model="invalid-model-name", query="test query", documents=["test document"])
    assert (result.status_code, result.code, result.message) == (400, "InvalidParameter", "Model not exist.")
    record = spans.one()
    assert (record.status, record.error_type) == ("ERROR", "InvalidParameter")
    assert attrs(record) == {
        **SERVER, "gen_ai.operation.name": "rerank", "gen_ai.span.kind": "RERANKER",
        "gen_ai.request.model": "invalid-model-name", "llm_agent.rerank.documents": 1,
        "gen_ai.response.id": "d7859a78-9d8f-44f2-9cab-0222b87b74de", "error.type": "InvalidParameter",
    }
    assert record.events[0]["attributes"]["exception.message"] == "Model not exist."


def test_tool_round_trip_captured_in_the_conventions_schema(cassette: Any) -> None:
    """Both requests of a tool round trip, content captured: input, output and tool definitions as
    the GenAI conventions' messages (tool arguments parsed from their JSON string)."""
    with capture_spans(instrument=["dashscope"], capture_content=True) as spans:
        with cassette("test_generation_call_with_tool_call_response_content_capture"):
            first = dashscope.Generation.call(
                model="qwen-turbo", messages=[QUESTION], tools=[WEATHER_TOOL], result_format="message")
            call = first.output.choices[0].message.tool_calls[0]
            history = [
                QUESTION,
                {"role": "assistant", "content": "", "tool_calls": [call]},
                {"role": "tool", "content": '{"temperature": 20, "condition": "sunny"}', "tool_call_id": call["id"],
                 "name": "get_current_weather"},
            ]
            dashscope.Generation.call(
                model="qwen-turbo", messages=history, tools=[WEATHER_TOOL], result_format="message")
        one, two = spans.records
    question = {"role": "user", "parts": [{"type": "text", "content": "What's the weather in Beijing?"}]}
    tool_call = {"type": "tool_call", "id": "call_9c0097983c9244429df063", "name": "get_current_weather",
                 "arguments": {"location": "Beijing"}}
    assert json.loads(one.attributes["gen_ai.input.messages"]) == [question]
    assert json.loads(one.attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [tool_call], "finish_reason": "tool_calls"}]
    assert json.loads(one.attributes["gen_ai.tool.definitions"]) == [WEATHER_TOOL]
    assert json.loads(two.attributes["gen_ai.input.messages"]) == [
        question,
        {"role": "assistant", "parts": [tool_call]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_9c0097983c9244429df063",
                                    "response": '{"temperature": 20, "condition": "sunny"}'}]},
    ]
    assert json.loads(two.attributes["gen_ai.output.messages"]) == [{"role": "assistant", "parts": [
        {"type": "text", "content": "The current weather in Beijing is sunny with a temperature of 20 degrees."}],
        "finish_reason": "stop"}]


def test_image_input_is_a_reference_never_bytes(cassette: Any) -> None:
    with capture_spans(instrument=["dashscope"], capture_content=True) as spans:
        with cassette("test_multimodal_conversation_call_with_image"):
            dashscope.MultiModalConversation.call(model="qwen-vl-plus", messages=[{"role": "user", "content": [
                {"image": "https://dashscope.oss-cn-beijing.aliyuncs.com/images/dog_and_girl.jpeg"},
                {"text": "What do you see in this image?"}]}])
        record = spans.one()
    image = "https://dashscope.oss-cn-beijing.aliyuncs.com/images/dog_and_girl.jpeg"
    assert json.loads(record.attributes["gen_ai.input.messages"]) == [{"role": "user", "parts": [
        {"type": "uri", "modality": "image", "uri": image},
        {"type": "text", "content": "What do you see in this image?"}]}]
    output = json.loads(record.attributes["gen_ai.output.messages"])
    assert [(m["role"], [p["type"] for p in m["parts"]], m["finish_reason"]) for m in output] == [
        ("assistant", ["text"], "stop")]
    assert output[0]["parts"][0]["content"].startswith("This image captures a heartwarming")


def test_streamed_text_captured_once_both_ways(cassette: Any) -> None:
    """Cumulative events give the last text, incremental ones the joined deltas: the same answer."""
    with capture_spans(instrument=["dashscope"], capture_content=True) as spans:
        for name, incremental in (("test_generation_call_streaming", None),
                                  ("test_generation_call_streaming_incremental_output", True)):
            with cassette(name):
                list(dashscope.Generation.call(
                    model="qwen-turbo", prompt="Count from 1 to 5", stream=True, incremental_output=incremental))
        outputs = [json.loads(r.attributes["gen_ai.output.messages"]) for r in spans.records]
    answer = [{"role": "assistant", "parts": [{"type": "text", "content": "1, 2, 3, 4, 5."}], "finish_reason": "stop"}]
    assert outputs == [answer, answer]
