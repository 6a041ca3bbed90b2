"""The lifecycle matrix (sync/async x stream/non-stream x raw/not x success/API error) and one test
per stream exit path: every call ends its span exactly once."""

from __future__ import annotations

import gc
from typing import Any

import openai
import pytest

from llm_agent._util import error_type_name
from tests._lifecycle import LifecycleCases, LifecycleMatrix, consume, maybe
from tests.openai.conftest import MockAPI, attrs, chat_body, chat_chunks, response_events

MESSAGES = [{"role": "user", "content": "hi"}]
BASE = {
    "server.address": "api.openai.com",
    "server.port": 443,
    "gen_ai.provider.name": "openai",
    "gen_ai.span.kind": "LLM",
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o-mini",
    "openai.api.type": "chat_completions",
}
STARTED = {**BASE, "gen_ai.request.stream": True}
FIRST_CHUNK_ONLY = {"gen_ai.response.id": "chatcmpl-2", "gen_ai.response.model": "gpt-4o-mini-2024-07-18"}
FIRST_CHUNK = {**STARTED, **FIRST_CHUNK_ONLY}
#: What chat_body() adds to the span.
RESPONSE = {
    "gen_ai.response.id": "chatcmpl-1",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "openai.response.system_fingerprint": "fp_1",
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 10,
    "gen_ai.usage.output_tokens": 4,
    "gen_ai.usage.total_tokens": 14,
    "gen_ai.usage.cache_read.input_tokens": 2,
    "gen_ai.usage.reasoning.output_tokens": 1,
}
#: What the whole of chat_chunks() adds.
FULL_STREAM = {
    **FIRST_CHUNK_ONLY,
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 7,
    "gen_ai.usage.output_tokens": 2,
    "gen_ai.usage.total_tokens": 9,
}
ERROR_BODY = {"error": {"message": "overloaded", "type": "server_error", "code": None}}


class OpenAICases(LifecycleCases):
    """Chat completions through the real client against the in-process mock API."""

    error = openai.InternalServerError
    error_type = "openai.InternalServerError"
    stream_error = openai.APIError
    stream_error_type = "openai.APIError"
    chunks = 4
    variants = ("plain", "raw")  # and through with_raw_response(...).parse()

    def __init__(self, api: MockAPI) -> None:
        self.api = api

    def arrange(self, outcome: str) -> None:
        if outcome == "error":
            self.api.json("/chat/completions", ERROR_BODY, status=503)
        elif outcome == "stream":
            self.api.stream("/chat/completions", chat_chunks())
        elif outcome == "broken_stream":
            broken = {"error": {"message": "stream broke", "type": "server_error"}}
            self.api.stream("/chat/completions", [*chat_chunks(usage=False)[:1], broken])
        else:
            self.api.json("/chat/completions", chat_body())

    def call(self, is_async: bool, stream: bool, variant: str = "plain") -> Any:
        resource = self.api.client(is_async).chat.completions
        method = resource.with_raw_response.create if variant == "raw" else resource.create
        kwargs: dict[str, Any] = {"model": "gpt-4o-mini", "messages": MESSAGES}
        if stream:
            kwargs["stream"] = True
        if not is_async:
            result = method(**kwargs)
            return result.parse() if variant == "raw" else result

        async def run() -> Any:
            result = await method(**kwargs)
            return result.parse() if variant == "raw" else result

        return run()

    def requests(self) -> int:
        return len(self.api.requests)

    def check_result(self, result: Any, stream: bool) -> None:
        assert type(result) is openai.types.chat.ChatCompletion and result.usage.total_tokens == 14

    def request(self, stream: bool) -> dict[str, Any]:
        return STARTED if stream else BASE

    def response(self) -> dict[str, Any]:
        return RESPONSE

    def full_stream(self) -> dict[str, Any]:
        return FULL_STREAM

    def first_chunk(self) -> dict[str, Any]:
        return {**FIRST_CHUNK_ONLY, "llm_agent.usage.missing": True}


class TestOpenAILifecycle(LifecycleMatrix):
    @pytest.fixture
    def lifecycle(self, api: MockAPI) -> OpenAICases:
        return OpenAICases(api)


async def test_exception_object_propagates_unchanged(spans):
    boom = RuntimeError("transport down")

    def handler(request: Any) -> Any:
        raise boom

    api = MockAPI()
    api.handler = handler  # type: ignore[method-assign]
    with pytest.raises(Exception) as caught:
        api.client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    # openai 3.x lets it through as is; older SDKs wrap it in APIConnectionError - never we.
    assert caught.value is boom or (
        isinstance(caught.value, openai.APIConnectionError) and caught.value.__cause__ is boom
    )
    assert spans.one().error_type == error_type_name(caught.value)


# --- stream exit paths of OpenAI's own call shapes (the shared ones are in the matrix) ----------

def _stream(api: MockAPI, is_async: bool, **extra: Any) -> Any:
    return api.client(is_async).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True, **extra)


@pytest.fixture(params=[False, True], ids=["sync", "async"])
def is_async(request: Any) -> bool:
    return bool(request.param)


async def test_exit_helper_stream_early_break(spans, api, is_async):
    """``.stream()`` helpers close the HTTP response themselves; the span still ends (not abandoned)."""
    api.stream("/chat/completions", chat_chunks())
    manager = api.client(is_async).chat.completions.stream(model="gpt-4o-mini", messages=MESSAGES)
    if is_async:
        async with manager as stream:
            async for _ in stream:
                break
    else:
        with manager as stream:
            for _ in stream:
                break
    record = spans.one()
    assert "llm_agent.stream.abandoned" not in record.attributes
    assert record.attributes["llm_agent.stream.chunks"] == 1


async def test_passthrough_attributes(spans, api, is_async):
    api.stream("/chat/completions", chat_chunks())
    stream = await maybe(_stream(api, is_async))
    assert stream.response.status_code == 200
    assert isinstance(stream, openai.AsyncStream if is_async else openai.Stream)
    await consume(stream)


async def test_exit_streaming_response_left_early(spans, api, is_async):
    """``with_streaming_response`` + ``stream=True``: leaving the block mid-stream ends the span."""
    api.stream("/chat/completions", chat_chunks())
    manager = api.client(is_async).chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True
    )
    if is_async:
        async with manager as response:
            async for _ in await response.parse():
                break
    else:
        with manager as response:
            for _ in response.parse():
                break
    record = spans.one()
    assert attrs(record) == {**FIRST_CHUNK, "llm_agent.usage.missing": True, "llm_agent.stream.chunks": 1}


async def test_exit_raw_stream_never_parsed_is_abandoned(spans, api, is_async):
    api.stream("/chat/completions", chat_chunks())
    raw = await maybe(
        api.client(is_async).chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
    )
    assert raw.status_code == 200
    del raw
    gc.collect()
    assert attrs(spans.one()) == {**STARTED, "llm_agent.usage.missing": True, "llm_agent.stream.abandoned": True}


async def test_exit_responses_stream_closed_before_completion(spans, api, is_async):
    api.stream("/responses", response_events(complete=False), named=True)
    stream = await maybe(api.client(is_async).responses.create(model="gpt-4o-mini", input="hi", stream=True))
    assert len(await consume(stream)) == 2  # the server ended the stream without response.completed
    assert attrs(spans.one()) == {
        **STARTED,
        "openai.api.type": "responses",
        "gen_ai.response.id": "resp_1",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "llm_agent.usage.missing": True,
        "llm_agent.stream.chunks": 2,
    }
