"""The lifecycle matrix for Groq (sync/async x stream/non-stream x plain/with_raw_response x
success/API error, and every stream exit path) through the real client and a mock transport."""

from __future__ import annotations

from typing import Any

import groq
import pytest

from tests._lifecycle import LifecycleCases, LifecycleMatrix
from tests._timing import with_arms_total
from tests.groq.groq_helpers import (
    CHAT,
    CHUNKS,
    ERROR_BODY,
    FIRST_CHUNK,
    FULL_STREAM,
    MESSAGES,
    MODEL,
    REQUEST,
    RESPONSE,
    Mock,
)


class GroqCases(LifecycleCases):
    error = groq.NotFoundError
    error_type = "groq.NotFoundError"
    stream_error = groq.APIError
    stream_error_type = "groq.APIError"
    chunks = len(CHUNKS)
    variants = ("plain", "raw")

    def __init__(self, mock: Mock) -> None:
        self.mock = mock

    def arrange(self, outcome: str) -> None:
        if outcome == "error":
            self.mock.json(ERROR_BODY, status=404)
        elif outcome == "stream":
            self.mock.stream(CHUNKS)
        elif outcome == "broken_stream":
            self.mock.stream([CHUNKS[0], {"error": {"message": "stream broke", "type": "internal_server_error"}}])
        else:
            self.mock.json(CHAT)

    def call(self, is_async: bool, stream: bool, variant: str = "plain") -> Any:
        resource = self.mock.client(is_async).chat.completions
        method = resource.with_raw_response.create if variant == "raw" else resource.create
        kwargs: dict[str, Any] = {"model": MODEL, "messages": MESSAGES}
        if stream:
            kwargs["stream"] = True
        if not is_async:
            result = method(**kwargs)
            return result.parse() if variant == "raw" else result

        async def run() -> Any:
            result = await method(**kwargs)
            return (await result.parse()) if variant == "raw" else result

        return run()

    def requests(self) -> int:
        return len(self.mock.requests)

    def check_result(self, result: Any, stream: bool) -> None:
        assert type(result) is groq.types.chat.ChatCompletion and result.usage.total_tokens == 15

    def request(self, stream: bool) -> dict[str, Any]:
        return {**REQUEST, "gen_ai.request.stream": True} if stream else REQUEST

    def response(self) -> dict[str, Any]:
        return with_arms_total(RESPONSE)

    def full_stream(self) -> dict[str, Any]:
        return with_arms_total(FULL_STREAM)

    def first_chunk(self) -> dict[str, Any]:
        return with_arms_total({**FIRST_CHUNK, "llm_agent.usage.missing": True})


class TestGroqLifecycle(LifecycleMatrix):
    @pytest.fixture
    def lifecycle(self, mock: Mock) -> GroqCases:
        return GroqCases(mock)
