"""The shared lifecycle matrix for Cohere v2 ``chat`` / ``chat_stream`` through the SDK's mock transport.

``chat_stream`` is a generator (an async generator on ``AsyncClientV2``): it posts when first
iterated, and an API error is raised then, by the stream; it is not a context manager.
"""

from __future__ import annotations

from typing import Any

import cohere
import httpx
import pytest

from tests._lifecycle import LifecycleCases, LifecycleMatrix
from tests.cohere.cohere_helpers import ERROR_BODY, EVENTS, MESSAGES, MODEL, Mock, make, sse

REQUEST = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "cohere",
    "gen_ai.request.model": MODEL,
    "gen_ai.request.max_tokens": 64,
    "gen_ai.span.kind": "LLM",
    "server.address": "mock.cohere.test",
    "server.port": 443,
}
USAGE_ATTRS = {
    "gen_ai.usage.input_tokens": 60,  # what the model processed, the 8 cached included
    "gen_ai.usage.output_tokens": 3,
    "gen_ai.usage.cache_read.input_tokens": 8,
    "cohere.usage.billed.input_tokens": 5,
    "cohere.usage.billed.output_tokens": 2,
}


class CohereCases(LifecycleCases):
    error = cohere.BadRequestError
    error_type = "cohere.errors.bad_request_error.BadRequestError"
    stream_error = httpx.ReadError
    stream_error_type = "httpx.ReadError"
    chunks = len(EVENTS)
    streams_are_context_managers = False
    async_close = "aclose"

    def __init__(self) -> None:
        self.mock = Mock()

    def arrange(self, outcome: str) -> None:
        mock = self.mock
        mock.status, mock.broken = 200, False
        if outcome == "error":
            mock.status, mock.body, mock.content_type = 400, ERROR_BODY, "application/json"
        elif outcome == "stream":
            mock.body, mock.content_type = sse(EVENTS), "text/event-stream"
        elif outcome == "broken_stream":
            mock.broken, mock.content_type = True, "text/event-stream"
        else:
            mock.body, mock.content_type = None, "application/json"
            mock.body = {
                "id": "chat-2", "finish_reason": "COMPLETE",
                "message": {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
                "usage": {"billed_units": {"input_tokens": 5, "output_tokens": 2},
                          "tokens": {"input_tokens": 60, "output_tokens": 3}, "cached_tokens": 8},
            }

    def call(self, is_async: bool, stream: bool, variant: str = "plain") -> Any:
        client = make(self.mock, is_async)
        method = client.chat_stream if stream else client.chat
        return method(model=MODEL, messages=MESSAGES, max_tokens=64)

    def requests(self) -> int:
        return len(self.mock.paths)

    def check_result(self, result: Any, stream: bool) -> None:
        assert type(result) is cohere.V2ChatResponse and result.message.content[0].text == "ok"

    def request(self, stream: bool) -> dict[str, Any]:
        return {**REQUEST, "gen_ai.request.stream": True} if stream else REQUEST

    def response(self) -> dict[str, Any]:
        return {"gen_ai.response.id": "chat-2", "gen_ai.response.finish_reasons": ("COMPLETE",), **USAGE_ATTRS}

    def full_stream(self) -> dict[str, Any]:
        return {"gen_ai.response.id": "chat-1", "gen_ai.response.finish_reasons": ("COMPLETE",), **USAGE_ATTRS}

    def first_chunk(self) -> dict[str, Any]:
        return {"gen_ai.response.id": "chat-1", "llm_agent.usage.missing": True}


class TestCohereLifecycle(LifecycleMatrix):
    @pytest.fixture
    def lifecycle(self) -> CohereCases:
        return CohereCases()
