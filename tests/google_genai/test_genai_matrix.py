"""The shared lifecycle matrix (tests/_lifecycle.py) for google-genai, against a loopback server.

Two of its stream exit paths are Gemini's own: the SDK's generator sends the request on its first
``next()``, so a stream closed or dropped before it is iterated made no model call, and has no
span (the matrix's versions expect one, opened by a ``create()`` that already sent the request).
"""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from google.genai import errors

from llm_agent.testing import SpanCapture
from tests._lifecycle import LifecycleCases, LifecycleMatrix, close, maybe
from tests.google_genai.genai_helpers import (
    Loopback,
    api_error,
    dropped_connection_class,
    dropped_connection_error,
    gemini_client,
    gemini_id,
    response_json,
    sse,
)

MODEL = "gemini-matrix-1"
USAGE = {"promptTokenCount": 7, "candidatesTokenCount": 3, "thoughtsTokenCount": 2, "totalTokenCount": 12}
CHUNKS = [
    response_json("Hel", model=MODEL, usage={**USAGE, "candidatesTokenCount": 1}, finish=None),
    response_json("lo", model=MODEL, usage={**USAGE, "candidatesTokenCount": 2}, finish=None),
    response_json("!", model=MODEL, usage=USAGE),
]


class GeminiCases(LifecycleCases):
    error = errors.ClientError
    error_type = "google.genai.errors.ClientError"
    chunks = len(CHUNKS)
    streams_are_context_managers = False  # the SDK returns a plain generator
    async_close = "aclose"

    def __init__(self, server: Loopback) -> None:
        self.server = server
        self.client = gemini_client(server.base_url)
        self.is_async = False  # of the last call: async calls may go through another HTTP library

    @property
    def stream_error(self) -> type[BaseException]:  # type: ignore[override]
        """What the transport raises when the connection drops after the first chunk."""
        return dropped_connection_class(self.is_async)

    @property
    def stream_error_type(self) -> str:  # type: ignore[override]
        return dropped_connection_error(self.stream_error)

    def arrange(self, outcome: str) -> None:
        if outcome == "ok":
            self.server.reply(200, json.dumps(response_json("Hello!", model=MODEL, usage=USAGE)).encode())
        elif outcome == "error":
            self.server.reply(400, api_error(400, "API key not valid.", "INVALID_ARGUMENT"))
        elif outcome == "stream":
            self.server.reply(200, sse(*CHUNKS), "text/event-stream")
        else:  # broken_stream
            self.server.reply(200, sse(CHUNKS[0]), "text/event-stream; drop")

    def call(self, is_async: bool, stream: bool, variant: str = "plain") -> Any:
        self.is_async = is_async
        models = self.client.aio.models if is_async else self.client.models
        method = models.generate_content_stream if stream else models.generate_content
        return method(model=MODEL, contents="hi")

    def requests(self) -> int:
        return len(self.server.paths)

    def check_result(self, result: Any, stream: bool) -> None:
        assert type(result).__name__ == "GenerateContentResponse"
        assert result.text == "Hello!"

    def request(self, stream: bool) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            "gen_ai.operation.name": "generate_content",
            "gen_ai.provider.name": "gcp.gemini",
            "gen_ai.request.model": MODEL,
            "gen_ai.span.kind": "LLM",
            "server.address": "127.0.0.1",
            "server.port": self.server.port,
        }
        if stream:
            attrs["gen_ai.request.stream"] = True
        return attrs

    def _usage(self, output: int) -> dict[str, Any]:
        return {
            **gemini_id("resp-1"),
            "gen_ai.response.model": MODEL,
            "gen_ai.usage.input_tokens": 7,
            "gen_ai.usage.output_tokens": output,
            "gen_ai.usage.reasoning.output_tokens": 2,
        }

    def response(self) -> dict[str, Any]:
        return {**self._usage(5), "gen_ai.response.finish_reasons": ("stop",)}

    def full_stream(self) -> dict[str, Any]:
        return self.response()

    def first_chunk(self) -> dict[str, Any]:
        return self._usage(3)


class TestGeminiLifecycle(LifecycleMatrix):
    @pytest.fixture
    def lifecycle(self, loopback: Loopback) -> GeminiCases:
        return GeminiCases(loopback)

    async def test_exit_close_without_iterating(
        self, spans: SpanCapture, lifecycle: LifecycleCases, is_async: bool
    ) -> None:
        """Closed before the first ``next()``: the SDK never sent the request, so no span."""
        lifecycle.arrange("stream")
        stream = await maybe(lifecycle.call(is_async, True))
        await close(lifecycle, stream, is_async)
        await close(lifecycle, stream, is_async)  # idempotent
        assert (lifecycle.requests(), spans.records) == (0, [])

    async def test_exit_abandoned_is_ended_on_gc(
        self, spans: SpanCapture, lifecycle: LifecycleCases, is_async: bool
    ) -> None:
        """Dropped before the first ``next()``: no request, no span (after one chunk it is
        abandoned: test_genai_lifecycle.py)."""
        lifecycle.arrange("stream")
        stream = await maybe(lifecycle.call(is_async, True))
        del stream
        gc.collect()
        assert (lifecycle.requests(), spans.records) == (0, [])
