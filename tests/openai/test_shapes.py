"""Every supported call shape, sync and async, makes exactly one span with the whole attribute set
(in-process mock API through the real SDK, for the shapes the cassettes lack)."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from tests.openai.conftest import (
    SERVER,
    attrs,
    chat_body,
    chat_chunks,
    completion_body,
    completion_chunks,
    embeddings_body,
    response_body,
    response_events,
)

MESSAGES = [{"role": "user", "content": "hi"}]
LLM = {**SERVER, "gen_ai.span.kind": "LLM", "gen_ai.operation.name": "chat", "openai.api.type": "chat_completions"}
CHAT = {
    **LLM,
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.id": "chatcmpl-1",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "openai.response.system_fingerprint": "fp_1",
    "gen_ai.response.finish_reasons": ["stop"],
    "gen_ai.usage.input_tokens": 10,
    "gen_ai.usage.output_tokens": 4,
    "gen_ai.usage.total_tokens": 14,
    "gen_ai.usage.cache_read.input_tokens": 2,
    "gen_ai.usage.reasoning.output_tokens": 1,
}
CHAT_STREAM = {
    **LLM,
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.request.stream": True,
    "gen_ai.response.id": "chatcmpl-2",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.response.finish_reasons": ["stop"],
    "gen_ai.usage.input_tokens": 7,
    "gen_ai.usage.output_tokens": 2,
    "gen_ai.usage.total_tokens": 9,
    "llm_agent.stream.chunks": 4,
}
RESPONSES = {
    **LLM,
    "openai.api.type": "responses",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.id": "resp_1",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.response.finish_reasons": ["stop"],
    "gen_ai.usage.input_tokens": 20,
    "gen_ai.usage.output_tokens": 8,
    "gen_ai.usage.total_tokens": 28,
    "gen_ai.usage.cache_read.input_tokens": 5,
    "gen_ai.usage.reasoning.output_tokens": 3,
}
COMPLETION = {
    **SERVER,
    "gen_ai.span.kind": "LLM",
    "gen_ai.operation.name": "text_completion",
    "gen_ai.request.model": "gpt-3.5-turbo-instruct",
    "gen_ai.request.max_tokens": 5,
    "gen_ai.response.model": "gpt-3.5-turbo-instruct",
}
EMBEDDINGS = {
    **SERVER,
    "gen_ai.span.kind": "EMBEDDING",
    "gen_ai.operation.name": "embeddings",
    "gen_ai.request.model": "text-embedding-3-small",
    "gen_ai.response.model": "text-embedding-3-small",
    "gen_ai.embeddings.dimension.count": 3,
    "gen_ai.usage.input_tokens": 6,
}


class Answer(pydantic.BaseModel):
    answer: int


def full_response_events() -> list[dict[str, Any]]:
    """A complete Responses API event sequence, as the ``.stream()`` helper expects it."""
    created, delta, completed = response_events()
    item = {"id": "msg_1", "type": "message", "status": "in_progress", "role": "assistant", "content": []}
    part = {"type": "output_text", "text": "", "annotations": []}
    return [
        created,
        {"type": "response.output_item.added", "sequence_number": 1, "output_index": 0, "item": item},
        {
            "type": "response.content_part.added", "sequence_number": 2, "item_id": "msg_1",
            "output_index": 0, "content_index": 0, "part": part,
        },
        {**delta, "sequence_number": 3},
        {**completed, "sequence_number": 4},
    ]


async def maybe(value: Any) -> Any:
    return await value if hasattr(value, "__await__") else value


async def consume(stream: Any) -> list[Any]:
    if hasattr(stream, "__aiter__"):
        return [item async for item in stream]
    return list(stream)


@pytest.fixture(params=[False, True], ids=["sync", "async"])
def is_async(request: Any) -> bool:
    return bool(request.param)


async def test_chat_create(spans, api, is_async):
    api.json("/chat/completions", chat_body())
    result = await maybe(api.client(is_async).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES))
    assert result.usage.total_tokens == 14
    assert attrs(spans.one("chat gpt-4o-mini")) == CHAT
    assert len(api.requests) == 1


async def test_chat_create_stream(spans, api, is_async):
    api.stream("/chat/completions", chat_chunks())
    stream = await maybe(
        api.client(is_async).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    )
    chunks = await consume(stream)
    assert len(chunks) == 4
    record = spans.one()
    assert attrs(record) == CHAT_STREAM
    assert record.ttft_s is not None and 0 <= record.ttft_s <= (record.end_ns - record.start_ns) / 1e9


async def test_chat_stream_helper(spans, api, is_async):
    api.stream("/chat/completions", chat_chunks())
    manager = api.client(is_async).chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES)
    if is_async:
        async with manager as stream:
            events = [event.type async for event in stream]
            final = await stream.get_final_completion()
    else:
        with manager as stream:
            events = [event.type for event in stream]
            final = stream.get_final_completion()
    assert "content.done" in events and final.choices[0].message.content == "Hello"
    assert attrs(spans.one()) == CHAT_STREAM
    assert len(api.requests) == 1


async def test_chat_parse(spans, api, is_async):
    api.json("/chat/completions", chat_body(content='{"answer": 42}'))
    result = await maybe(
        api.client(is_async).chat.completions.parse(model="gpt-4o-mini", messages=MESSAGES, response_format=Answer)
    )
    assert result.choices[0].message.parsed == Answer(answer=42)
    assert attrs(spans.one()) == {**CHAT, "gen_ai.output.type": "json"}
    assert len(api.requests) == 1


async def test_responses_create(spans, api, is_async):
    api.json("/responses", response_body())
    result = await maybe(api.client(is_async).responses.create(model="gpt-4o-mini", input="hi"))
    assert result.output_text == '{"answer": 42}'
    assert attrs(spans.one()) == RESPONSES


async def test_responses_create_stream(spans, api, is_async):
    api.stream("/responses", response_events(), named=True)
    stream = await maybe(api.client(is_async).responses.create(model="gpt-4o-mini", input="hi", stream=True))
    events = await consume(stream)
    assert [e.type for e in events] == ["response.created", "response.output_text.delta", "response.completed"]
    assert attrs(spans.one()) == {**RESPONSES, "gen_ai.request.stream": True, "llm_agent.stream.chunks": 3}


async def test_responses_stream_helper(spans, api, is_async):
    api.stream("/responses", full_response_events(), named=True)
    manager = api.client(is_async).responses.stream(model="gpt-4o-mini", input="hi", text_format=Answer)
    if is_async:
        async with manager as stream:
            types = [event.type async for event in stream]
            final = await stream.get_final_response()
    else:
        with manager as stream:
            types = [event.type for event in stream]
            final = stream.get_final_response()
    assert types[-1] == "response.completed" and final.output_parsed == Answer(answer=42)
    assert attrs(spans.one()) == {
        **RESPONSES,
        "gen_ai.request.stream": True,
        "gen_ai.output.type": "json",
        "llm_agent.stream.chunks": 5,
    }


async def test_responses_parse(spans, api, is_async):
    api.json("/responses", response_body())
    result = await maybe(api.client(is_async).responses.parse(model="gpt-4o-mini", input="hi", text_format=Answer))
    assert result.output_parsed == Answer(answer=42)
    assert attrs(spans.one()) == {**RESPONSES, "gen_ai.output.type": "json"}
    assert len(api.requests) == 1


async def test_embeddings(spans, api, is_async):
    api.json("/embeddings", embeddings_body())
    await maybe(
        api.client(is_async).embeddings.create(model="text-embedding-3-small", input="hi", encoding_format="float")
    )
    assert attrs(spans.one("embeddings text-embedding-3-small")) == {
        **EMBEDDINGS,
        "gen_ai.request.encoding_formats": ["float"],
    }


async def test_legacy_completion(spans, api, is_async):
    api.json("/completions", completion_body())
    result = await maybe(
        api.client(is_async).completions.create(model="gpt-3.5-turbo-instruct", prompt="hello", max_tokens=5)
    )
    assert result.choices[0].text == " world"
    assert attrs(spans.one("text_completion gpt-3.5-turbo-instruct")) == {
        **COMPLETION,
        "gen_ai.response.id": "cmpl-1",
        "gen_ai.response.finish_reasons": ["length"],
        "gen_ai.usage.input_tokens": 3,
        "gen_ai.usage.output_tokens": 5,
        "gen_ai.usage.total_tokens": 8,
    }


async def test_legacy_completion_stream(spans, api, is_async):
    api.stream("/completions", completion_chunks())
    stream = await maybe(
        api.client(is_async).completions.create(
            model="gpt-3.5-turbo-instruct", prompt="hello", max_tokens=5, stream=True
        )
    )
    assert [c.choices[0].text for c in await consume(stream) if c.choices] == [" wor", "ld"]
    assert attrs(spans.one()) == {
        **COMPLETION,
        "gen_ai.request.stream": True,
        "gen_ai.response.id": "cmpl-2",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 3,
        "gen_ai.usage.output_tokens": 2,
        "gen_ai.usage.total_tokens": 5,
        "llm_agent.stream.chunks": 3,
    }


# --- with_raw_response / with_streaming_response ---------------------------------------------------

async def test_raw_response_non_stream_is_untouched(spans, api, is_async):
    from openai._legacy_response import LegacyAPIResponse

    api.json("/chat/completions", chat_body())
    raw = await maybe(
        api.client(is_async).chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    )
    assert type(raw) is LegacyAPIResponse
    assert raw.headers["content-type"] == "application/json"
    assert attrs(spans.one()) == CHAT  # recorded from the body, before the app parses it
    assert raw.parse().usage.total_tokens == 14
    assert len(spans.records) == 1


async def test_raw_response_stream(spans, api, is_async):
    api.stream("/chat/completions", chat_chunks())
    raw = await maybe(
        api.client(is_async).chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
    )
    assert raw.status_code == 200
    stream = raw.parse()
    assert raw.parse() is stream  # parse() is cached by the SDK; so is our proxy
    assert len(await consume(stream)) == 4
    assert attrs(spans.one()) == CHAT_STREAM


async def test_raw_response_parse_method(spans, api, is_async):
    api.json("/chat/completions", chat_body(content='{"answer": 42}'))
    raw = await maybe(
        api.client(is_async).chat.completions.with_raw_response.parse(
            model="gpt-4o-mini", messages=MESSAGES, response_format=Answer
        )
    )
    assert raw.parse().choices[0].message.parsed == Answer(answer=42)
    assert attrs(spans.one()) == {**CHAT, "gen_ai.output.type": "json"}


async def test_streaming_response_non_stream(spans, api, is_async):
    api.json("/chat/completions", chat_body())
    client = api.client(is_async)
    manager = client.chat.completions.with_streaming_response.create(model="gpt-4o-mini", messages=MESSAGES)
    if is_async:
        async with manager as response:
            assert response.status_code == 200
            parsed = await response.parse()
    else:
        with manager as response:
            assert response.status_code == 200
            parsed = response.parse()
    assert parsed.usage.total_tokens == 14
    assert attrs(spans.one()) == CHAT


async def test_streaming_response_stream(spans, api, is_async):
    api.stream("/chat/completions", chat_chunks())
    client = api.client(is_async)
    manager = client.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True
    )
    if is_async:
        async with manager as response:
            chunks = await consume(await response.parse())
    else:
        with manager as response:
            chunks = list(response.parse())
    assert len(chunks) == 4
    assert attrs(spans.one()) == CHAT_STREAM


async def test_streaming_response_read_without_parse(spans, api, is_async):
    """The app reads the body itself: the span still gets the usage from it at close."""
    api.json("/chat/completions", chat_body())
    manager = api.client(is_async).chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=MESSAGES
    )
    if is_async:
        async with manager as response:
            data = await response.json()
    else:
        with manager as response:
            data = response.json()
    assert data["usage"]["total_tokens"] == 14
    assert attrs(spans.one()) == CHAT


async def test_responses_with_streaming_response(spans, api, is_async):
    api.json("/responses", response_body())
    manager = api.client(is_async).responses.with_streaming_response.create(model="gpt-4o-mini", input="hi")
    if is_async:
        async with manager as response:
            await response.parse()
    else:
        with manager as response:
            response.parse()
    assert attrs(spans.one()) == RESPONSES
