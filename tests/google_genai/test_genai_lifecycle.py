"""Errors, every stream exit path, unknown usage, Vertex AI told apart, uninstrument: a loopback server.

The real SDK talks HTTP to a local server answering in the API's own JSON, so whatever transport
the installed release uses (httpx, httpx2) runs end to end.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from typing import Any

import pytest
from google.genai import errors

import llm_agent
from llm_agent.testing import SpanCapture
from tests.google_genai.genai_helpers import (
    VERSION,
    Loopback,
    api_error,
    dropped_connection_error,
    gemini_client,
    gemini_id,
    response_json,
    sse,
    vertex_client,
)

MODEL = "gemini-test-1"
#: How long (seconds) the drop test waits for the event loop to finalise the SDK's async generators.
FINALISER_WAIT_S = 10.0
FINALISER_POLL_S = 0.01
USAGE = {"promptTokenCount": 7, "candidatesTokenCount": 3, "thoughtsTokenCount": 2, "totalTokenCount": 12}
#: A Gemini API stream: running usage on every chunk, the finish reason on the last.
CHUNKS = [
    response_json("Hel", model=MODEL, usage={**USAGE, "candidatesTokenCount": 1}, finish=None),
    response_json("lo", model=MODEL, usage={**USAGE, "candidatesTokenCount": 2}, finish=None),
    response_json("!", model=MODEL, usage=USAGE),
]


def request(loopback: Loopback, stream: bool = False, provider: str = "gcp.gemini") -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "generate_content",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": MODEL,
        "gen_ai.span.kind": "LLM",
        "server.address": "127.0.0.1",
        "server.port": loopback.port,
    }
    if stream:
        attrs["gen_ai.request.stream"] = True
    return attrs


def response(finish: bool = True, output: int = 5, vertex: bool = False) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        **({"gen_ai.response.id": "resp-1"} if vertex else gemini_id("resp-1")),
        "gen_ai.response.model": MODEL,
        "gen_ai.usage.input_tokens": 7,
        "gen_ai.usage.output_tokens": output,
        "gen_ai.usage.reasoning.output_tokens": 2,
    }
    if finish:
        attrs["gen_ai.response.finish_reasons"] = ("stop",)
    return attrs


def attributes(record: Any, chunks: int | None = None) -> dict[str, Any]:
    attrs = {k: tuple(v) if isinstance(v, list) else v for k, v in record.attributes.items()}
    if chunks is not None:
        assert attrs.pop("llm_agent.stream.chunks") == chunks
        if chunks:
            assert attrs.pop("gen_ai.response.time_to_first_chunk") >= 0
    return attrs


def reply_stream(loopback: Loopback, chunks: list[dict[str, Any]] | None = None) -> None:
    loopback.reply(200, sse(*(CHUNKS if chunks is None else chunks)), "text/event-stream")


# --- non-streamed ------------------------------------------------------------------------------


def test_success_sync(spans: SpanCapture, loopback: Loopback) -> None:
    loopback.reply(200, json.dumps(response_json("Hi", model=MODEL, usage=USAGE)).encode())
    result = gemini_client(loopback.base_url).models.generate_content(model=MODEL, contents="hi")
    assert type(result).__name__ == "GenerateContentResponse"  # the SDK's own object, untouched
    record = spans.one()
    assert (record.name, record.status) == (f"generate_content {MODEL}", "UNSET")
    assert attributes(record) == {**request(loopback), **response()}


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (400, api_error(400, "API key not valid.", "INVALID_ARGUMENT"), errors.ClientError),
        (429, api_error(429, "Resource exhausted.", "RESOURCE_EXHAUSTED"), errors.ClientError),
        (500, api_error(500, "Internal error.", "INTERNAL"), errors.ServerError),
    ],
)
def test_api_error_sync(spans: SpanCapture, loopback: Loopback, status: int, body: bytes, error: type) -> None:
    loopback.reply(status, body)
    client = gemini_client(loopback.base_url)
    with pytest.raises(error) as caught:
        client.models.generate_content(model=MODEL, contents="hi")
    assert caught.value.code == status  # the SDK's exception, as it raised it
    assert len(loopback.paths) == 1  # sent once
    record = spans.one()
    assert record.status == "ERROR"
    assert record.error_type == f"google.genai.errors.{error.__name__}"
    assert attributes(record) == {**request(loopback), "error.type": f"google.genai.errors.{error.__name__}"}


async def test_success_and_error_async(spans: SpanCapture, loopback: Loopback) -> None:
    client = gemini_client(loopback.base_url)
    loopback.reply(200, json.dumps(response_json("Hi", model=MODEL, usage=USAGE)).encode())
    await client.aio.models.generate_content(model=MODEL, contents="hi")
    loopback.reply(404, api_error(404, "models/gemini-test-1 is not found.", "NOT_FOUND"))
    with pytest.raises(errors.ClientError):
        await client.aio.models.generate_content(model=MODEL, contents="hi")
    ok, failed = spans.records
    assert attributes(ok) == {**request(loopback), **response()}
    assert attributes(failed) == {**request(loopback), "error.type": "google.genai.errors.ClientError"}


def test_unknown_usage_is_absent_not_zero(spans: SpanCapture, loopback: Loopback) -> None:
    loopback.reply(200, json.dumps(response_json("Hi", model=MODEL)).encode())
    gemini_client(loopback.base_url).models.generate_content(model=MODEL, contents="hi")
    record = spans.one()
    assert (record.input_tokens, record.output_tokens) == (None, None)
    assert attributes(record) == {
        **request(loopback),
        **gemini_id("resp-1"),
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ("stop",),
        "llm_agent.usage.missing": True,
    }


def test_request_parameters_from_config(spans: SpanCapture, loopback: Loopback) -> None:
    from google.genai import types

    loopback.reply(200, json.dumps(response_json("Hi", model=MODEL, usage=USAGE)).encode())
    config = types.GenerateContentConfig(
        temperature=0.2, top_p=0.9, top_k=40, max_output_tokens=256, stop_sequences=["END"], seed=7,
        candidate_count=2, presence_penalty=0.5, frequency_penalty=0.25, response_mime_type="text/plain",
    )
    gemini_client(loopback.base_url).models.generate_content(model=f"models/{MODEL}", contents="hi", config=config)
    assert attributes(spans.one()) == {
        **request(loopback),
        **response(),
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.top_k": 40.0,
        "gen_ai.request.max_tokens": 256,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.request.seed": 7,
        "gen_ai.request.choice.count": 2,
        "gen_ai.request.presence_penalty": 0.5,
        "gen_ai.request.frequency_penalty": 0.25,
        "gen_ai.output.type": "text",
    }


def test_several_candidates_finish_reasons(spans: SpanCapture, loopback: Loopback) -> None:
    body = response_json("A", model=MODEL, usage=USAGE)
    second = {"content": {"role": "model", "parts": [{"text": "B"}]}, "index": 1, "finishReason": "MAX_TOKENS"}
    body["candidates"].append(second)
    loopback.reply(200, json.dumps(body).encode())
    gemini_client(loopback.base_url).models.generate_content(model=MODEL, contents="hi", config={"candidate_count": 2})
    attrs = attributes(spans.one())
    assert attrs["gen_ai.response.finish_reasons"] == ("stop", "max_tokens")


# --- Vertex AI ----------------------------------------------------------------------------------


def test_vertex_told_apart_by_client_state_not_url(spans: SpanCapture, loopback: Loopback) -> None:
    """Both clients point at the same local URL: the client's resolved backend names the provider."""
    for _ in range(2):
        loopback.reply(200, json.dumps(response_json("Hi", model=MODEL, usage=USAGE)).encode())
    gemini_client(loopback.base_url).models.generate_content(model=MODEL, contents="hi")
    vertex_client(base_url=loopback.base_url).models.generate_content(model=MODEL, contents="hi")
    gemini, vertex = spans.records
    assert attributes(gemini) == {**request(loopback), **response()}
    assert attributes(vertex) == {**request(loopback, provider="gcp.vertex_ai"), **response(vertex=True)}
    assert [r.provider for r in spans.records] == ["gcp.gemini", "gcp.vertex_ai"]


def test_vertex_embeddings_count_statistics_tokens(spans: SpanCapture, loopback: Loopback) -> None:
    body = {
        "predictions": [
            {"embeddings": {"statistics": {"token_count": 4, "truncated": False}, "values": [0.1, 0.2]}},
            {"embeddings": {"statistics": {"token_count": 3, "truncated": False}, "values": [0.3, 0.4]}},
        ],
        "metadata": {"billableCharacterCount": 12},
    }
    loopback.reply(200, json.dumps(body).encode())
    result = vertex_client(base_url=loopback.base_url).models.embed_content(
        model="text-embedding-005", contents=["hello", "world"], config={"output_dimensionality": 2}
    )
    assert len(result.embeddings) == 2
    assert loopback.paths[0].endswith("text-embedding-005:predict")
    record = spans.one()
    assert record.name == "embeddings text-embedding-005"
    assert attributes(record) == {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.provider.name": "gcp.vertex_ai",
        "gen_ai.request.model": "text-embedding-005",
        "gen_ai.span.kind": "EMBEDDING",
        "gen_ai.embeddings.dimension_count": 2,
        "server.address": "127.0.0.1",
        "server.port": loopback.port,
        "gen_ai.usage.input_tokens": 7,
    }


# --- streams: every exit path --------------------------------------------------------------------


def test_stream_exhausted(spans: SpanCapture, loopback: Loopback) -> None:
    reply_stream(loopback)
    stream = gemini_client(loopback.base_url).models.generate_content_stream(model=MODEL, contents="hi")
    assert "".join(c.text for c in stream) == "Hello!"
    assert attributes(spans.one(), chunks=3) == {**request(loopback, stream=True), **response()}


def test_stream_error_event_mid_stream(spans: SpanCapture, loopback: Loopback) -> None:
    if VERSION < (1, 30):
        pytest.skip("this google-genai release does not raise on an error event inside a stream")
    error = {"error": {"code": 500, "message": "Internal error.", "status": "INTERNAL"}}
    reply_stream(loopback, [CHUNKS[0], error])
    stream = gemini_client(loopback.base_url).models.generate_content_stream(model=MODEL, contents="hi")
    seen = []
    with pytest.raises(errors.ServerError):
        for chunk in stream:
            seen.append(chunk.text)
    assert seen == ["Hel"]
    record = spans.one()
    assert record.status == "ERROR"
    assert attributes(record, chunks=1) == {
        **request(loopback, stream=True),
        **response(finish=False, output=3),
        "error.type": "google.genai.errors.ServerError",
    }


def test_stream_connection_dropped(spans: SpanCapture, loopback: Loopback) -> None:
    loopback.reply(200, sse(CHUNKS[0]), "text/event-stream; drop")
    stream = gemini_client(loopback.base_url).models.generate_content_stream(model=MODEL, contents="hi")
    with pytest.raises(Exception) as caught:
        for _ in stream:
            pass
    name = dropped_connection_error(type(caught.value))
    record = spans.one()
    assert record.status == "ERROR"
    assert attributes(record, chunks=1) == {
        **request(loopback, stream=True),
        **response(finish=False, output=3),
        "error.type": name,
    }


def test_stream_api_error_before_the_first_chunk(spans: SpanCapture, loopback: Loopback) -> None:
    """The SDK sends the request on the first ``next()``: an API error then fails the call as a
    non-stream call fails (no chunk count, no usage flag: nothing was streamed)."""
    loopback.reply(400, api_error(400, "Bad request.", "INVALID_ARGUMENT"))
    stream = gemini_client(loopback.base_url).models.generate_content_stream(model=MODEL, contents="hi")
    with pytest.raises(errors.ClientError):
        next(iter(stream))
    record = spans.one()
    assert record.status == "ERROR"
    assert attributes(record) == {**request(loopback, stream=True), "error.type": "google.genai.errors.ClientError"}


def test_stream_break_then_close_ends_ok(spans: SpanCapture, loopback: Loopback) -> None:
    reply_stream(loopback)
    stream = gemini_client(loopback.base_url).models.generate_content_stream(model=MODEL, contents="hi")
    for chunk in stream:
        assert chunk.text == "Hel"
        break
    assert spans.records == []  # still open: the app may iterate on
    stream.close()
    record = spans.one()
    assert record.status == "UNSET"
    assert attributes(record, chunks=1) == {**request(loopback, stream=True), **response(finish=False, output=3)}


@pytest.mark.parametrize("collect", [False, True], ids=["refcount", "gc"])
def test_stream_dropped_after_break_is_abandoned(spans: SpanCapture, loopback: Loopback, collect: bool) -> None:
    reply_stream(loopback)
    stream = gemini_client(loopback.base_url).models.generate_content_stream(model=MODEL, contents="hi")
    for _ in stream:
        break
    del stream
    if collect:
        gc.collect()
    record = spans.one()
    assert record.status == "UNSET"
    assert attributes(record, chunks=1) == {
        **request(loopback, stream=True),
        **response(finish=False, output=3),
        "llm_agent.stream.abandoned": True,
    }


def test_stream_never_iterated_sends_nothing(spans: SpanCapture, loopback: Loopback) -> None:
    """The SDK's generator sends its request on the first ``next()``: no request, no span."""
    stream = gemini_client(loopback.base_url).models.generate_content_stream(model=MODEL, contents="hi")
    del stream
    gc.collect()
    assert (loopback.paths, spans.records) == ([], [])


async def test_async_stream_exhausted(spans: SpanCapture, loopback: Loopback) -> None:
    reply_stream(loopback)
    stream = await gemini_client(loopback.base_url).aio.models.generate_content_stream(model=MODEL, contents="hi")
    assert "".join([c.text async for c in stream]) == "Hello!"
    assert attributes(spans.one(), chunks=3) == {**request(loopback, stream=True), **response()}


async def test_async_stream_error_mid_stream(spans: SpanCapture, loopback: Loopback) -> None:
    loopback.reply(200, sse(CHUNKS[0]), "text/event-stream; drop")
    stream = await gemini_client(loopback.base_url).aio.models.generate_content_stream(model=MODEL, contents="hi")
    with pytest.raises(Exception) as caught:
        async for _ in stream:
            pass
    name = dropped_connection_error(type(caught.value))
    record = spans.one()
    assert record.status == "ERROR"
    assert attributes(record, chunks=1) == {
        **request(loopback, stream=True),
        **response(finish=False, output=3),
        "error.type": name,
    }


async def test_async_stream_api_error(spans: SpanCapture, loopback: Loopback) -> None:
    loopback.reply(503, api_error(503, "The model is overloaded.", "UNAVAILABLE"))
    with pytest.raises(errors.ServerError):
        stream = await gemini_client(loopback.base_url).aio.models.generate_content_stream(model=MODEL, contents="hi")
        async for _ in stream:
            pass
    record = spans.one()
    assert record.status == "ERROR"
    assert record.attributes["error.type"] == "google.genai.errors.ServerError"
    assert len(loopback.paths) == 1


async def test_async_stream_break_then_aclose(spans: SpanCapture, loopback: Loopback) -> None:
    reply_stream(loopback)
    stream = await gemini_client(loopback.base_url).aio.models.generate_content_stream(model=MODEL, contents="hi")
    async for _ in stream:
        break
    assert spans.records == []
    await stream.aclose()
    assert attributes(spans.one(), chunks=1) == {**request(loopback, stream=True), **response(finish=False, output=3)}


async def test_async_stream_dropped_after_break_is_abandoned(spans: SpanCapture, loopback: Loopback) -> None:
    reply_stream(loopback)
    stream = await gemini_client(loopback.base_url).aio.models.generate_content_stream(model=MODEL, contents="hi")
    async for _ in stream:
        break
    del stream
    # The SDK's inner async generators are finalised by the event loop (its asyncgen hooks); with
    # aiohttp as the transport that takes a few hundred milliseconds.
    deadline = time.monotonic() + FINALISER_WAIT_S
    while not spans.records and time.monotonic() < deadline:
        gc.collect()
        await asyncio.sleep(FINALISER_POLL_S)
    assert attributes(spans.one(), chunks=1) == {
        **request(loopback, stream=True),
        **response(finish=False, output=3),
        "llm_agent.stream.abandoned": True,
    }


def test_chat_stream_one_span_per_message(spans: SpanCapture, loopback: Loopback) -> None:
    reply_stream(loopback)
    reply_stream(loopback)
    chat = gemini_client(loopback.base_url).chats.create(model=MODEL)
    for message in ("hi", "again"):
        assert "".join(c.text for c in chat.send_message_stream(message)) == "Hello!"
    assert len(loopback.paths) == 2
    assert [attributes(r, chunks=3) for r in spans.records] == [{**request(loopback, stream=True), **response()}] * 2


async def test_async_chat_one_span_per_message(spans: SpanCapture, loopback: Loopback) -> None:
    loopback.reply(200, json.dumps(response_json("Hi", model=MODEL, usage=USAGE)).encode())
    reply_stream(loopback)
    chat = gemini_client(loopback.base_url).aio.chats.create(model=MODEL)
    await chat.send_message("hi")
    async for _ in await chat.send_message_stream("again"):
        pass
    plain, streamed = spans.records
    assert attributes(plain) == {**request(loopback), **response()}
    assert attributes(streamed, chunks=3) == {**request(loopback, stream=True), **response()}


# --- context and uninstrument ------------------------------------------------------------------------


def test_session_and_user_on_the_span(spans: SpanCapture, loopback: Loopback) -> None:
    loopback.reply(200, json.dumps(response_json("Hi", model=MODEL, usage=USAGE)).encode())
    with llm_agent.session("sess-g", user_id="ada"):
        gemini_client(loopback.base_url).models.generate_content(model=MODEL, contents="hi")
    record = spans.one()
    assert (record.session_id, record.user_id) == ("sess-g", "ada")


def test_uninstrument_restores_and_reinstrument(spans: SpanCapture, loopback: Loopback) -> None:
    from google.genai import models

    patched = models.Models.__dict__["_generate_content"]
    llm_agent.uninstrument("google_genai")
    assert models.Models.__dict__["_generate_content"] is not patched
    loopback.reply(200, json.dumps(response_json("Hi", model=MODEL, usage=USAGE)).encode())
    client = gemini_client(loopback.base_url)
    client.models.generate_content(model=MODEL, contents="hi")
    assert spans.records == []
    llm_agent.instrument("google_genai")
    loopback.reply(200, json.dumps(response_json("Hi", model=MODEL, usage=USAGE)).encode())
    client.models.generate_content(model=MODEL, contents="hi")
    assert len(spans.records) == 1


def test_request_side_is_what_the_call_had(spans: SpanCapture, loopback: Loopback) -> None:
    """The request side is read when the span is built (maybe later, on an export worker): the
    config values are copied at the call, so an app reusing and changing its config after the
    call does not change the span."""
    loopback.reply(200, json.dumps(response_json("Hi", model=MODEL, usage=USAGE)).encode())
    config: dict[str, Any] = {"temperature": 0.5, "stop_sequences": ["END"], "max_output_tokens": 64}
    gemini_client(loopback.base_url).models.generate_content(model=MODEL, contents="hi", config=config)
    config["temperature"] = 1.5
    config["stop_sequences"].append("LATER")
    config["max_output_tokens"] = 1
    attrs = attributes(spans.one())
    assert (
        attrs["gen_ai.request.temperature"],
        attrs["gen_ai.request.stop_sequences"],
        attrs["gen_ai.request.max_tokens"],
    ) == (0.5, ("END",), 64)
