"""The lifecycle matrix (sync/async x stream/non-stream x raw/not x success/API error) and one test
per stream exit path: every call ends its span exactly once."""

from __future__ import annotations

import gc
from typing import Any

import openai
import pytest

from llm_agent._util import error_type_name
from tests.openai.conftest import MockAPI, attrs, chat_body, chat_chunks, response_events

MESSAGES = [{"role": "user", "content": "hi"}]
BASE = {
    "server.address": "api.openai.com",
    "server.port": 443,
    "gen_ai.provider.name": "openai",
    "gen_ai.span.kind": "LLM",
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o-mini",
}
STARTED = {**BASE, "gen_ai.request.stream": True}
FIRST_CHUNK = {
    **STARTED,
    "gen_ai.response.id": "chatcmpl-2",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
}
ERROR_BODY = {"error": {"message": "overloaded", "type": "server_error", "code": None}}


async def maybe(value: Any) -> Any:
    return await value if hasattr(value, "__await__") else value


async def consume(stream: Any) -> list[Any]:
    if hasattr(stream, "__aiter__"):
        return [item async for item in stream]
    return list(stream)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("stream", [False, True], ids=["nonstream", "stream"])
@pytest.mark.parametrize("raw", [False, True], ids=["plain", "raw"])
@pytest.mark.parametrize("fails", [False, True], ids=["ok", "error"])
async def test_lifecycle_matrix(spans, api, is_async, stream, raw, fails):
    if fails:
        api.json("/chat/completions", ERROR_BODY, status=503)
    elif stream:
        api.stream("/chat/completions", chat_chunks())
    else:
        api.json("/chat/completions", chat_body())
    resource = api.client(is_async).chat.completions
    method = resource.with_raw_response.create if raw else resource.create
    kwargs: dict[str, Any] = {"model": "gpt-4o-mini", "messages": MESSAGES}
    if stream:
        kwargs["stream"] = True
    if fails:
        with pytest.raises(openai.InternalServerError) as caught:
            await maybe(method(**kwargs))
        record = spans.one()
        assert (record.status, record.error_type) == ("ERROR", "openai.InternalServerError")
        assert attrs(record) == {**(STARTED if stream else BASE), "error.type": "openai.InternalServerError"}
        assert record.events[0]["attributes"]["exception.message"] == str(caught.value)
    else:
        result = await maybe(method(**kwargs))
        if raw:
            result = result.parse()
        if stream:
            assert len(await consume(result)) == 4
        else:
            assert result.usage.total_tokens == 14
        record = spans.one()
        assert record.status == "UNSET"
        assert record.input_tokens == (7 if stream else 10)
    assert len(api.requests) == 1  # never called a second time


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


# --- stream exit paths --------------------------------------------------------------------------------

def _stream(api: MockAPI, is_async: bool, **extra: Any) -> Any:
    return api.client(is_async).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True, **extra)


@pytest.fixture(params=[False, True], ids=["sync", "async"])
def is_async(request: Any) -> bool:
    return bool(request.param)


async def test_exit_exhaustion(spans, api, is_async):
    api.stream("/chat/completions", chat_chunks())
    stream = await maybe(_stream(api, is_async))
    await consume(stream)
    await maybe(stream.close())  # closing after exhaustion does not end it twice
    record = spans.one()
    assert record.attributes["llm_agent.stream.chunks"] == 4 and record.status == "UNSET"


async def test_exit_exception_raised_by_the_stream(spans, api, is_async):
    chunks = [*chat_chunks(usage=False)[:1], {"error": {"message": "stream broke", "type": "server_error"}}]
    api.stream("/chat/completions", chunks)
    stream = await maybe(_stream(api, is_async))
    seen = []
    with pytest.raises(openai.APIError, match="stream broke"):
        if is_async:
            async for chunk in stream:
                seen.append(chunk)
        else:
            for chunk in stream:
                seen.append(chunk)
    assert len(seen) == 1
    record = spans.one()
    assert record.status == "ERROR"
    assert attrs(record) == {
        **FIRST_CHUNK,
        "error.type": "openai.APIError",
        "llm_agent.usage.missing": True,
        "llm_agent.stream.chunks": 1,
    }


class AppError(Exception):
    pass


async def test_exit_app_exception_inside_with(spans, api, is_async):
    api.stream("/chat/completions", chat_chunks())
    stream = await maybe(_stream(api, is_async))
    error = AppError("app bug")
    with pytest.raises(AppError) as caught:
        if is_async:
            async with stream as entered:
                assert entered is stream
                async for _ in entered:
                    raise error
        else:
            with stream as entered:
                assert entered is stream
                for _ in entered:
                    raise error
    assert caught.value is error
    record = spans.one()
    assert record.status == "UNSET"  # the app's failure is not the call's
    assert attrs(record) == {**FIRST_CHUNK, "llm_agent.usage.missing": True, "llm_agent.stream.chunks": 1}


async def test_exit_break_then_close(spans, api, is_async):
    api.stream("/chat/completions", chat_chunks())
    stream = await maybe(_stream(api, is_async))
    if is_async:
        async for _ in stream:
            break
        await stream.close()
    else:
        for _ in stream:
            break
        stream.close()
    record = spans.one()
    assert attrs(record) == {**FIRST_CHUNK, "llm_agent.usage.missing": True, "llm_agent.stream.chunks": 1}
    assert record.ttft_s is not None


async def test_exit_close_without_iterating(spans, api, is_async):
    api.stream("/chat/completions", chat_chunks())
    stream = await maybe(_stream(api, is_async))
    await maybe(stream.close())
    record = spans.one()
    assert attrs(record) == {**STARTED, "llm_agent.usage.missing": True, "llm_agent.stream.chunks": 0}
    assert record.ttft_s is None


async def test_exit_with_block_returns_proxy_and_ends(spans, api, is_async):
    api.stream("/chat/completions", chat_chunks())
    stream = await maybe(_stream(api, is_async))
    if is_async:
        async with stream as entered:
            assert entered is stream
            chunks = [c async for c in entered]
    else:
        with stream as entered:
            assert entered is stream
            chunks = list(entered)
    assert len(chunks) == 4
    assert spans.one().attributes["llm_agent.stream.chunks"] == 4


async def test_exit_abandoned_stream_is_finished_on_gc(spans, api, is_async):
    api.stream("/chat/completions", chat_chunks())
    stream = await maybe(_stream(api, is_async))
    assert spans.records == []  # still open
    del stream
    gc.collect()
    record = spans.one()
    assert attrs(record) == {
        **STARTED,
        "llm_agent.usage.missing": True,
        "llm_agent.stream.chunks": 0,
        "llm_agent.stream.abandoned": True,
    }


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
        "gen_ai.response.id": "resp_1",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "llm_agent.usage.missing": True,
        "llm_agent.stream.chunks": 2,
    }
