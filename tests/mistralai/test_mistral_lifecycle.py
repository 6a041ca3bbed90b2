"""The lifecycle matrix for Mistral (sync/async x complete/stream x success/API error, and every
stream exit path) through the real client and the SDK's mock transport."""

from __future__ import annotations

from typing import Any

import pytest
from mistralai.client import errors, models

from tests._lifecycle import LifecycleCases, LifecycleMatrix
from tests._timing import with_arms_total
from tests.mistralai.mistral_helpers import (
    BAD_EVENT,
    CHAT,
    CHUNKS,
    ERROR_BODY,
    FIRST_CHUNK,
    FULL_STREAM,
    MESSAGES,
    MODEL,
    REQUEST,
    RESPONSE,
    STREAM_REQUEST,
    Mock,
)


class MistralCases(LifecycleCases):
    error = errors.SDKError
    error_type = "mistralai.client.errors.sdkerror.SDKError"
    stream_error = errors.ResponseValidationError
    stream_error_type = "mistralai.client.errors.responsevalidationerror.ResponseValidationError"
    chunks = len(CHUNKS)

    def __init__(self, mock: Mock) -> None:
        self.mock = mock

    def arrange(self, outcome: str) -> None:
        if outcome == "error":
            self.mock.json(ERROR_BODY, status=400)
        elif outcome == "stream":
            self.mock.stream(CHUNKS)
        elif outcome == "broken_stream":
            self.mock.stream([CHUNKS[0], BAD_EVENT])
        else:
            self.mock.json(CHAT)

    def call(self, is_async: bool, stream: bool, variant: str = "plain") -> Any:
        chat = self.mock.client(is_async).chat
        if is_async:
            method = chat.stream_async if stream else chat.complete_async
        else:
            method = chat.stream if stream else chat.complete
        return method(model=MODEL, messages=MESSAGES)

    def requests(self) -> int:
        return len(self.mock.requests)

    def check_result(self, result: Any, stream: bool) -> None:
        assert type(result) is models.ChatCompletionResponse and result.usage.total_tokens == 15

    def request(self, stream: bool) -> dict[str, Any]:
        return STREAM_REQUEST if stream else REQUEST

    def response(self) -> dict[str, Any]:
        return with_arms_total(RESPONSE)

    def full_stream(self) -> dict[str, Any]:
        return with_arms_total(FULL_STREAM)

    def first_chunk(self) -> dict[str, Any]:
        return with_arms_total({**FIRST_CHUNK, "llm_agent.usage.missing": True})


class TestMistralLifecycle(LifecycleMatrix):
    @pytest.fixture
    def lifecycle(self, mock: Mock) -> MistralCases:
        return MistralCases(mock)
