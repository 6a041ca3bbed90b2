"""Recorded Gemini API and Vertex AI exchanges -> one span per model call, every attribute checked."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.genai import types

from llm_agent.testing import SpanCapture, capture_spans
from tests.google_genai.genai_helpers import (
    GEMINI_RESPONSE_ID,
    GEMINI_SERVER,
    gemini_client,
    gemini_id,
    recorded_request,
    vertex_client,
)

VERTEX_SERVER = {"server.address": "test-location-aiplatform.googleapis.com", "server.port": 443}
SYSTEM = "You are a helpful assistant that can answer questions and help with tasks."
TOOLS_SYSTEM = SYSTEM + " Use the available tools when appropriate."


def base(model: str, provider: str = "gcp.gemini", stream: bool = False) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "generate_content",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        "gen_ai.span.kind": "LLM",
        **(GEMINI_SERVER if provider == "gcp.gemini" else VERTEX_SERVER),
    }
    if stream:
        attrs["gen_ai.request.stream"] = True
    return attrs


def attributes(record: Any, stream_chunks: int | None = None) -> dict[str, Any]:
    """A span's attributes, lists as tuples; a stream's time to first chunk checked for presence."""
    assert record.status != "ERROR"
    assert record.kind == "CLIENT"
    attrs = {k: tuple(v) if isinstance(v, list) else v for k, v in record.attributes.items()}
    if stream_chunks is not None:
        ttft = attrs.pop("gen_ai.response.time_to_first_chunk")
        assert isinstance(ttft, float) and ttft >= 0
        assert record.ttft_s == ttft
        assert attrs.pop("llm_agent.stream.chunks") == stream_chunks
    return attrs


def system_of(name: str) -> str:
    return "".join(p["text"] for p in recorded_request(name)["systemInstruction"]["parts"])


def tools_of(name: str) -> list[types.Tool]:
    return [types.Tool.model_validate(t) for t in recorded_request(name)["tools"]]


GENERATE = {
    **base("gemini-2.0-flash"),
    **gemini_id("hNcEarPuMNa3qtsP7MHt4As"),
    "gen_ai.response.model": "gemini-2.0-flash",
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 45,
    "gen_ai.usage.output_tokens": 23,
}


def _generate(name: str = "test_generate_content") -> Any:
    return gemini_client().models.generate_content(
        model="gemini-2.0-flash",
        contents=recorded_request(name)["contents"],
        config=types.GenerateContentConfig(system_instruction=system_of(name)),
    )


def test_generate_content_sync(spans: SpanCapture, cassette: Any) -> None:
    with cassette("test_generate_content"):
        response = _generate()
    assert response.text.startswith("The weather in San Francisco is foggy")
    record = spans.one()
    assert record.name == "generate_content gemini-2.0-flash"
    assert attributes(record) == GENERATE
    assert (record.provider, record.input_tokens, record.output_tokens) == ("gcp.gemini", 45, 23)


async def test_generate_content_async(spans: SpanCapture, cassette: Any) -> None:
    name = "test_async_generate_content"
    with cassette(name):
        response = await gemini_client().aio.models.generate_content(
            model="gemini-2.0-flash",
            contents=recorded_request(name)["contents"],
            config={"system_instruction": system_of(name)},
        )
    assert response.response_id == ("h9cEasnrMqCVmtkP9P7tiQU" if GEMINI_RESPONSE_ID else None)
    assert attributes(spans.one()) == {
        **base("gemini-2.0-flash"),
        **gemini_id("h9cEasnrMqCVmtkP9P7tiQU"),
        "gen_ai.response.model": "gemini-2.0-flash",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 21,
        "gen_ai.usage.output_tokens": 26,
    }


def test_stream_sync_usage_on_every_chunk(spans: SpanCapture, cassette: Any) -> None:
    """Gemini API streams repeat running usage on each chunk: the last values count."""
    name = "test_streaming_text_content"
    with cassette(name):
        chunks = list(
            gemini_client().models.generate_content_stream(
                model="gemini-2.0-flash", contents=recorded_request(name)["contents"]
            )
        )
    assert len(chunks) == 12
    assert attributes(spans.one(), stream_chunks=12) == {
        **base("gemini-2.0-flash", stream=True),
        **gemini_id("jNcEavSuHfWA7_UP9-uokQs"),
        "gen_ai.response.model": "gemini-2.0-flash",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 9,
        "gen_ai.usage.output_tokens": 527,
    }


async def test_stream_async(spans: SpanCapture, cassette: Any) -> None:
    name = "test_async_streaming_text_content"
    with cassette(name):
        stream = await gemini_client().aio.models.generate_content_stream(
            model="gemini-2.0-flash", contents=recorded_request(name)["contents"]
        )
        texts = [chunk.text async for chunk in stream]
    assert len(texts) == 4
    assert attributes(spans.one(), stream_chunks=4) == {
        **base("gemini-2.0-flash", stream=True),
        **gemini_id("kdcEatqVKunY1LsP272MiAo"),
        "gen_ai.response.model": "gemini-2.0-flash",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 14,
        "gen_ai.usage.output_tokens": 33,
    }


def get_weather(location: str, unit: str = "fahrenheit") -> dict[str, Any]:
    """This function will be automatically executed by Google GenAI.
    It must return a JSON-serializable value."""
    return {"location": location, "temperature": 65, "unit": unit, "condition": "foggy", "humidity": "85%"}


def test_automatic_function_calling_one_span_per_model_call(spans: SpanCapture, cassette: Any) -> None:
    """AFC: one ``generate_content`` call, two HTTP requests (function call, then the answer) -> two spans."""
    name = "test_generate_content_with_automatic_tool_calling"
    with cassette(name):
        response = gemini_client().models.generate_content(
            model="gemini-2.0-flash",
            contents=recorded_request(name)["contents"][0]["parts"][0]["text"],
            config=types.GenerateContentConfig(tools=[get_weather], system_instruction=TOOLS_SYSTEM),
        )
    assert response.text.startswith("The weather in San Francisco is foggy")
    first, second = spans.records
    assert first.trace_id != second.trace_id  # no parent span: each model call is its own trace
    assert attributes(first) == {
        **base("gemini-2.0-flash"),
        **gemini_id("mNcEaoaWM6bMqtsP75j8mA0"),
        "gen_ai.response.model": "gemini-2.0-flash",
        "gen_ai.response.finish_reasons": ("stop",),
        "llm_agent.response.tool_call_names": ("get_weather",),
        "gen_ai.usage.input_tokens": 64,
        "gen_ai.usage.output_tokens": 6,
    }
    assert attributes(second) == {
        **base("gemini-2.0-flash"),
        **gemini_id("mdcEauWdL8qnmtkPyrGawAw"),
        "gen_ai.response.model": "gemini-2.0-flash",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 89,
        "gen_ai.usage.output_tokens": 23,
    }


def test_chat_one_span_per_send_message(spans: SpanCapture, cassette: Any) -> None:
    name = "test_multi_turn_conversation"
    with cassette(name):
        chat = gemini_client().chats.create(model="gemini-2.0-flash")
        chat.send_message("What is the capital of France?")
        chat.send_message("Why is the sky blue?")
    first, second = spans.records
    common = {
        **base("gemini-2.0-flash"),
        "gen_ai.response.model": "gemini-2.0-flash",
        "gen_ai.response.finish_reasons": ("stop",),
    }
    assert attributes(first) == {
        **common,
        **gemini_id("iNcEatOgNqbMqtsP75j8mA0"),
        "gen_ai.usage.input_tokens": 7,
        "gen_ai.usage.output_tokens": 9,
    }
    assert attributes(second) == {
        **common,
        **gemini_id("idcEasGMJLCzqtsPgPryoQM"),
        "gen_ai.usage.input_tokens": 22,
        "gen_ai.usage.output_tokens": 290,
    }


MULTI_TOOLS = {
    **base("gemini-2.0-flash"),
    "gen_ai.response.model": "gemini-2.0-flash",
    "gen_ai.response.finish_reasons": ("stop",),
    "llm_agent.response.tool_call_names": ("get_weather", "get_weather"),
    "gen_ai.usage.input_tokens": 64,
    "gen_ai.usage.output_tokens": 11,
}


def test_parallel_function_calls(spans: SpanCapture, cassette: Any) -> None:
    name = "test_response_with_multiple_tool_calls[False]"
    with cassette(name):
        response = gemini_client().models.generate_content(
            model="gemini-2.0-flash",
            contents=recorded_request(name)["contents"],
            config=types.GenerateContentConfig(tools=tools_of(name), system_instruction=system_of(name)),
        )
    assert [c.args["location"] for c in response.function_calls] == ["Boston", "New Delhi"]
    assert attributes(spans.one()) == {**MULTI_TOOLS, **gemini_id("ldcEaoCaO72smtkPzqzB8Aw")}


def test_streamed_parallel_function_calls(spans: SpanCapture, cassette: Any) -> None:
    name = "test_response_with_multiple_tool_calls[True]"
    with cassette(name):
        chunks = list(
            gemini_client().models.generate_content_stream(
                model="gemini-2.0-flash",
                contents=recorded_request(name)["contents"],
                config=types.GenerateContentConfig(tools=tools_of(name), system_instruction=system_of(name)),
            )
        )
    assert len(chunks) == 1
    assert attributes(spans.one(), stream_chunks=1) == {
        **MULTI_TOOLS,
        "gen_ai.request.stream": True,
        **gemini_id("l9cEarvcAfjC7_UPtZea-Aw"),
    }


def test_streamed_thinking_tokens_count_as_output(spans: SpanCapture, cassette: Any) -> None:
    """output = candidates (703) + thoughts (713); reasoning = thoughts (docs/gemini.md)."""
    name = "test_streaming_reasoning"
    with cassette(name):
        chunks = list(
            gemini_client().models.generate_content_stream(
                model="gemini-3.5-flash",
                contents=recorded_request(name)["contents"],
                config=types.GenerateContentConfig(
                    thinking_config=types.ThinkingConfig(include_thoughts=True, thinking_budget=512)
                ),
            )
        )
    assert attributes(spans.one(), stream_chunks=len(chunks)) == {
        **base("gemini-3.5-flash", stream=True),
        **gemini_id("iCUhao2zJ-LHjuMP1vvH2Qk"),
        "gen_ai.response.model": "gemini-3.5-flash",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 11,
        "gen_ai.usage.output_tokens": 1416,
        "gen_ai.usage.reasoning.output_tokens": 713,
    }


def test_code_execution_tool_prompt_tokens_count_as_input(spans: SpanCapture, cassette: Any) -> None:
    """input = prompt (32) + tool-use prompt (720); input + output = the API's total (1196)."""
    name = "test_validate_token_counts"
    with cassette(name):
        response = gemini_client().models.generate_content(
            model="gemini-2.5-flash",
            contents=recorded_request(name)["contents"],
            config=types.GenerateContentConfig(tools=[types.Tool(code_execution=types.ToolCodeExecution())]),
        )
    usage = response.usage_metadata
    attrs = attributes(spans.one())
    assert attrs["gen_ai.usage.input_tokens"] + attrs["gen_ai.usage.output_tokens"] == usage.total_token_count
    assert attrs == {
        **base("gemini-2.5-flash"),
        **gemini_id("mtcEaq-wLtaIqtsPkaPb-Qw"),
        "gen_ai.response.model": "gemini-2.5-flash",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 752,
        "gen_ai.usage.output_tokens": 444,
        "gen_ai.usage.reasoning.output_tokens": 103,
    }


def test_json_response_mime_type_is_the_output_type(spans: SpanCapture, cassette: Any) -> None:
    import pydantic

    class ResponseData(pydantic.BaseModel):
        answer: str

    with cassette("test_instrument_google_genai_response_schema"):
        response = gemini_client().models.generate_content(
            model="gemini-2.5-flash",
            contents="Hi",
            config={"response_mime_type": "application/json", "response_schema": ResponseData},
        )
    assert json.loads(response.text)
    assert attributes(spans.one()) == {
        **base("gemini-2.5-flash"),
        "gen_ai.output.type": "json",
        **gemini_id("92CnaIKJCczj7M8P27z38Ag"),
        "gen_ai.response.model": "gemini-2.5-flash",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 2,
        "gen_ai.usage.output_tokens": 71,
        "gen_ai.usage.reasoning.output_tokens": 58,
    }


def test_cached_content_tokens_are_cache_reads(spans: SpanCapture, cassette: Any) -> None:
    """``caches.create``/``delete`` make no span; each generate_content reports the cache read."""
    name = "parsed_body/test_google_model_cached_content"
    with cassette(name):
        client = gemini_client()
        cache = client.caches.create(
            model="gemini-2.5-flash", config={"contents": ["Paris is the capital of France."], "ttl": "120s"}
        )
        for _ in range(2):
            client.models.generate_content(
                model="gemini-2.5-flash",
                contents="What is the capital of France?",
                config={"cached_content": cache.name, "response_modalities": ["TEXT"]},
            )
        client.caches.delete(name=cache.name)
    first, second = spans.records
    common = {
        **base("gemini-2.5-flash"),
        "gen_ai.response.model": "gemini-2.5-flash",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 3520,
        "gen_ai.usage.cache_read.input_tokens": 3512,
    }
    assert attributes(first) == {
        **common,
        **gemini_id("_VQYaqvRGbW6qtsPg4TDoAg"),
        "gen_ai.usage.output_tokens": 44,
        "gen_ai.usage.reasoning.output_tokens": 42,
    }
    assert attributes(second) == {
        **common,
        **gemini_id("_1QYavqiB-6wqtsPxaKcuQw"),
        "gen_ai.usage.output_tokens": 53,
        "gen_ai.usage.reasoning.output_tokens": 51,
    }
    assert second.cache_read_tokens == 3512


def test_embed_content_without_usage_is_unknown(spans: SpanCapture, cassette: Any) -> None:
    """The Gemini API's embeddings report no tokens: unknown (flagged), never 0."""
    with cassette("test_embed_content"):
        response = gemini_client().models.embed_content(
            model="gemini-embedding-001",
            contents=types.Content(parts=[types.Part(text="Why is the sky blue?"), types.Part(text="And green?")]),
            config={"task_type": "RETRIEVAL_DOCUMENT"},
        )
    assert len(response.embeddings[0].values) == 3072
    record = spans.one()
    assert record.name == "embeddings gemini-embedding-001"
    assert (record.input_tokens, record.output_tokens) == (None, None)
    assert attributes(record) == {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "gcp.gemini",
        "gen_ai.request.model": "gemini-embedding-001",
        "gen_ai.span.kind": "EMBEDDING",
        **GEMINI_SERVER,
        "llm_agent.usage.missing": True,
    }


VERTEX_SYNC = "test_non_streaming[logcontent-gemini-2.5-flash-vertexaiapi-sync-default]"
VERTEX_ASYNC = "test_non_streaming[logcontent-gemini-2.5-flash-vertexaiapi-async-default]"
VERTEX_STREAM = "test_streaming[logcontent-gemini-2.5-flash-vertexaiapi-sync-default]"


@pytest.mark.parametrize("flag", ["vertexai", "enterprise"])
def test_vertex_ai_client_is_gcp_vertex_ai(spans: SpanCapture, cassette: Any, flag: str) -> None:
    from google import genai

    if flag == "enterprise" and "enterprise" not in genai.Client.__init__.__code__.co_varnames:
        pytest.skip("this google-genai release has no enterprise flag (3.x added it)")
    with cassette(VERTEX_SYNC):
        vertex_client(**{flag: True}).models.generate_content(
            model="gemini-2.5-flash", contents=recorded_request(VERTEX_SYNC)["contents"]
        )
    assert attributes(spans.one()) == {
        **base("gemini-2.5-flash", "gcp.vertex_ai"),
        "gen_ai.response.id": "hizpaKmcH9qs698P85HHgAU",
        "gen_ai.response.model": "gemini-2.5-flash",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 8,
        "gen_ai.usage.output_tokens": 433 + 1477,
        "gen_ai.usage.reasoning.output_tokens": 1477,
    }


async def test_vertex_ai_async(spans: SpanCapture, cassette: Any) -> None:
    with cassette(VERTEX_ASYNC):
        await vertex_client().aio.models.generate_content(
            model="gemini-2.5-flash", contents=recorded_request(VERTEX_ASYNC)["contents"]
        )
    assert attributes(spans.one()) == {
        **base("gemini-2.5-flash", "gcp.vertex_ai"),
        "gen_ai.response.id": "lCzpaN3mBYqCnvgP5dCT6AU",
        "gen_ai.response.model": "gemini-2.5-flash",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 8,
        "gen_ai.usage.output_tokens": 340 + 1692,
        "gen_ai.usage.reasoning.output_tokens": 1692,
    }


def test_vertex_ai_stream_usage_only_on_last_chunk(spans: SpanCapture, cassette: Any) -> None:
    with cassette(VERTEX_STREAM):
        chunks = list(
            vertex_client().models.generate_content_stream(
                model="gemini-2.5-flash", contents=recorded_request(VERTEX_STREAM)["contents"]
            )
        )
    assert [c.usage_metadata.prompt_token_count for c in chunks] == [None] * 5 + [8]
    assert attributes(spans.one(), stream_chunks=6) == {
        **base("gemini-2.5-flash", "gcp.vertex_ai", stream=True),
        "gen_ai.response.id": "vizpaJGEDvXZnvgPisGa2A0",
        "gen_ai.response.model": "gemini-2.5-flash",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 8,
        "gen_ai.usage.output_tokens": 388 + 2193,
        "gen_ai.usage.reasoning.output_tokens": 2193,
    }


def test_vertex_ai_from_the_environment(spans: SpanCapture, cassette: Any, monkeypatch: Any) -> None:
    """No constructor flag: the backend the client resolved from the environment decides."""
    from google import genai

    from tests.google_genai.genai_helpers import FakeCredentials

    variable = "GOOGLE_GENAI_USE_ENTERPRISE" if "enterprise" in genai.Client.__init__.__code__.co_varnames else (
        "GOOGLE_GENAI_USE_VERTEXAI")
    monkeypatch.setenv(variable, "true")
    with cassette(VERTEX_SYNC):
        client = genai.Client(project="test-project", location="test-location", credentials=FakeCredentials())
        client.models.generate_content(model="gemini-2.5-flash", contents=recorded_request(VERTEX_SYNC)["contents"])
    assert spans.one().provider == "gcp.vertex_ai"


# --- content capture ---------------------------------------------------------------------------


@pytest.fixture
def captured() -> Any:
    with capture_spans(instrument=["google_genai"], capture_content=True) as capture:
        yield capture


def test_content_only_with_capture(captured: SpanCapture, cassette: Any) -> None:
    name = "test_generate_content"
    with cassette(name):
        _generate(name)
    attrs = attributes(captured.one())
    inputs = json.loads(attrs.pop("gen_ai.input.messages"))
    assert inputs == recorded_request(name)["contents"]
    assert json.loads(attrs.pop("gen_ai.system_instructions")) == SYSTEM
    assert json.loads(attrs.pop("gen_ai.output.messages")) == [
        {
            "role": "assistant",
            "content": "The weather in San Francisco is foggy with a temperature of 65 degrees Fahrenheit"
            " and 85% humidity.",
            "finish_reason": "stop",
        }
    ]
    assert attrs == GENERATE  # and nothing else: without capture, the same call has no content (above)


def test_captured_tool_calls_and_definitions(captured: SpanCapture, cassette: Any) -> None:
    name = "test_response_with_multiple_tool_calls[False]"
    with cassette(name):
        gemini_client().models.generate_content(
            model="gemini-2.0-flash",
            contents="What is the weather like in Boston & new Delhi?",
            config=types.GenerateContentConfig(tools=tools_of(name)),
        )
    attrs = attributes(captured.one())
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "user", "content": "What is the weather like in Boston & new Delhi?"}
    ]
    (tool,) = json.loads(attrs["gen_ai.tool.definitions"])
    assert [d["name"] for d in tool["function_declarations"]] == ["get_weather"]
    (output,) = json.loads(attrs["gen_ai.output.messages"])
    assert output == {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"id": None, "name": "get_weather", "arguments": {"location": "Boston"}},
            {"id": None, "name": "get_weather", "arguments": {"location": "New Delhi"}},
        ],
        "finish_reason": "stop",
    }


def test_captured_stream_output(captured: SpanCapture, cassette: Any) -> None:
    with cassette("test_streaming_text_content"):
        chunks = list(gemini_client().models.generate_content_stream(model="gemini-2.0-flash", contents="Hi"))
    (output,) = json.loads(captured.one().attributes["gen_ai.output.messages"])
    assert output == {"role": "assistant", "content": "".join(c.text for c in chunks), "finish_reason": "stop"}


def test_afc_callable_tools_captured_by_name(captured: SpanCapture, cassette: Any) -> None:
    name = "test_generate_content_with_automatic_tool_calling"
    with cassette(name):
        gemini_client().models.generate_content(
            model="gemini-2.0-flash",
            contents="What's the weather like in San Francisco?",
            config=types.GenerateContentConfig(tools=[get_weather]),
        )
    first, second = captured.records
    assert json.loads(first.attributes["gen_ai.tool.definitions"]) == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "This function will be automatically executed by Google GenAI.\n"
            "    It must return a JSON-serializable value.",
        }
    ]
    # The second request carries the function call and its result: read at the call, not later.
    assert len(json.loads(first.attributes["gen_ai.input.messages"])) == 1
    assert len(json.loads(second.attributes["gen_ai.input.messages"])) == 3
