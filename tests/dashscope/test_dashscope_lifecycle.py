"""The shared lifecycle matrix for both DashScope APIs.

The 2.x client (``dashscope.Client``) raises ``DashScopeError`` subclasses, so it runs the matrix as
it is, on httpx's ``MockTransport``.  The classic API (``Generation.call``...) *returns* its API
errors as responses with a ``status_code``: its matrix keeps every stream exit path and replaces
the raising error case by the returned one (an error span with the response's ``code``, the app
getting the response unchanged), against a loopback server (it posts with requests and aiohttp).
"""

from __future__ import annotations

from typing import Any, ClassVar

import aiohttp
import dashscope
import pytest
import requests
from dashscope.v2 import errors

from llm_agent.testing import SpanCapture
from tests._lifecycle import LifecycleCases, LifecycleMatrix, attributes, consume, maybe
from tests._timing import with_arms_total
from tests.dashscope.dashscope_helpers import (
    ERROR,
    MODEL,
    ClassicServer,
    MockAPI,
    message_body,
    stream_events,
    text_body,
)

PIECES = ["Hel", "lo", " there"]
BROKEN = {"code": "InternalError", "message": "boom", "request_id": "req-broken"}
RESPONSE = {
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 12,
    "gen_ai.usage.output_tokens": 5,
    "gen_ai.usage.cache_read.input_tokens": 4,
}
# Every event carries the running usage: the last one is the call's, nothing is summed.
FULL_STREAM = {
    "gen_ai.response.id": "req-stream",
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 12,
    "gen_ai.usage.output_tokens": 3,
}
FIRST_CHUNK = {"gen_ai.response.id": "req-stream", "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 1}


def request(stream: bool, address: str, port: int) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "dashscope",
        "gen_ai.request.model": MODEL,
        "gen_ai.span.kind": "LLM",
        "server.address": address,
        "server.port": port,
    }
    if stream:
        attrs["gen_ai.request.stream"] = True
    return attrs


class ClientCases(LifecycleCases):
    """``client.chat.completions.create`` and ``client.multimodal.chat.create``, sync and async."""

    error = errors.BadRequestError
    error_type = "dashscope.v2.errors.BadRequestError"
    stream_error = errors.InternalServerError
    stream_error_type = "dashscope.v2.errors.InternalServerError"
    chunks = len(PIECES)
    variants: ClassVar[tuple[str, ...]] = ("chat", "multimodal")
    streams_are_context_managers: ClassVar[bool] = False  # ChatStream has no __enter__
    async_close: ClassVar[str] = "aclose"

    def __init__(self, api: MockAPI) -> None:
        self.api = api
        self.clients = {False: api.client(), True: api.client(is_async=True)}

    def arrange(self, outcome: str) -> None:
        if outcome == "ok":
            self.api.json(message_body())
        elif outcome == "error":
            self.api.json(ERROR, status=400)
        elif outcome == "stream":
            self.api.stream(stream_events(PIECES, cumulative=False, message=True))
        else:
            self.api.stream([*stream_events(PIECES, cumulative=False, message=True)[:1], BROKEN])

    def call(self, is_async: bool, stream: bool, variant: str = "chat") -> Any:
        client = self.clients[is_async]
        resource = client.chat.completions if variant == "chat" else client.multimodal.chat
        return resource.create(model=MODEL, messages="hi", stream=stream)

    def requests(self) -> int:
        return len(self.api.requests)

    def check_result(self, result: Any, stream: bool) -> None:
        assert result.output_text == "Hello there"

    def request(self, stream: bool) -> dict[str, Any]:
        return request(stream, "mock.dashscope.test", 443)

    def response(self) -> dict[str, Any]:
        return with_arms_total({"gen_ai.response.id": "req-message", **RESPONSE})

    def full_stream(self) -> dict[str, Any]:
        return with_arms_total(FULL_STREAM)

    def first_chunk(self) -> dict[str, Any]:
        return with_arms_total(FIRST_CHUNK)


class TestClientLifecycle(LifecycleMatrix):
    @pytest.fixture
    def lifecycle(self, api: MockAPI) -> ClientCases:
        return ClientCases(api)


class ClassicCases(LifecycleCases):
    """``Generation.call`` / ``AioGeneration.call`` and ``MultiModalConversation.call`` / its Aio form."""

    chunks = len(PIECES)
    variants: ClassVar[tuple[str, ...]] = ("generation", "multimodal")
    streams_are_context_managers: ClassVar[bool] = False  # generators
    async_close: ClassVar[str] = "aclose"

    def __init__(self, server: ClassicServer, is_async: bool) -> None:
        self.server = server
        # A stream cut mid-way raises the HTTP library's own error, unchanged.
        if is_async:
            self.stream_error = aiohttp.ClientPayloadError
            self.stream_error_type = "aiohttp.client_exceptions.ClientPayloadError"
        else:
            self.stream_error = requests.exceptions.ChunkedEncodingError
            self.stream_error_type = "requests.exceptions.ChunkedEncodingError"

    def arrange(self, outcome: str) -> None:
        if outcome == "ok":
            self.server.json(text_body())
        elif outcome == "error":
            self.server.json(ERROR, status=400)
        elif outcome == "stream":
            self.server.stream(stream_events(PIECES, cumulative=True))
        else:
            self.server.stream(stream_events(PIECES, cumulative=True)[:1], cut=True)

    def call(self, is_async: bool, stream: bool, variant: str = "generation") -> Any:
        if variant == "generation":
            api: Any = dashscope.AioGeneration if is_async else dashscope.Generation
            return api.call(MODEL, "hi", stream=stream)  # model and prompt positional, as the SDK allows
        api = dashscope.AioMultiModalConversation if is_async else dashscope.MultiModalConversation
        return api.call(MODEL, [{"role": "user", "content": [{"text": "hi"}]}], stream=stream)

    def requests(self) -> int:
        return len(self.server.requests)

    def check_result(self, result: Any, stream: bool) -> None:
        assert (result.status_code, result.output.text) == (200, "Hello there")

    def request(self, stream: bool) -> dict[str, Any]:
        return request(stream, "127.0.0.1", self.server.port)

    def response(self) -> dict[str, Any]:
        return with_arms_total({"gen_ai.response.id": "req-text", **RESPONSE})

    def full_stream(self) -> dict[str, Any]:
        return with_arms_total(FULL_STREAM)

    def first_chunk(self) -> dict[str, Any]:
        return with_arms_total(FIRST_CHUNK)


class TestClassicLifecycle(LifecycleMatrix):
    @pytest.fixture
    def lifecycle(self, classic: ClassicServer, is_async: bool, aio_session: None) -> ClassicCases:
        return ClassicCases(classic, is_async)

    @pytest.mark.parametrize("stream", [False, True], ids=["nonstream", "stream"])
    @pytest.mark.parametrize("fails", [False, True], ids=["ok", "error"])
    async def test_call(  # type: ignore[override]
        self, spans: SpanCapture, lifecycle: ClassicCases, is_async: bool, stream: bool, fails: bool
    ) -> None:
        """The classic API's API error is a *returned* response: an error span with its ``code``."""
        if not fails:
            await super().test_call(spans, lifecycle, is_async, stream, fails)
            return
        for variant in lifecycle.variants:
            spans.clear()
            before = lifecycle.requests()
            lifecycle.arrange("error")
            result = await maybe(lifecycle.call(is_async, stream, variant))
            items = await consume(result) if stream else [result]
            # the app gets the SDK's own error response, unchanged
            got = [(r.status_code, r.code, r.message) for r in items]
            assert got == [(400, "InvalidParameter", "Model not exist.")]
            record = spans.one()
            assert (record.status, record.error_type) == ("ERROR", "InvalidParameter"), variant
            expected = {
                **lifecycle.request(stream), "gen_ai.response.id": "req-error", "error.type": "InvalidParameter"
            }
            if stream:  # the error is the stream's one chunk, which carries no usage
                expected.update({"llm_agent.stream.chunks": 1, "llm_agent.usage.missing": True})
            assert attributes(spans) == expected
            assert record.events[0]["attributes"]["exception.message"] == "Model not exist.", variant
            assert lifecycle.requests() == before + 1, variant
