"""The shared lifecycle matrix for Ollama ``chat`` (``Client``/``AsyncClient``) through the SDK's mock transport.

A ``stream=True`` result is a generator (an async generator on ``AsyncClient``) that posts when
first iterated: an API error is raised then, by the stream; it is not a context manager.
"""

from __future__ import annotations

from typing import Any

import ollama
import pytest

from tests._lifecycle import LifecycleCases, LifecycleMatrix
from tests.ollama.ollama_helpers import CHAT_BODY, CHUNKS, ERROR_BODY, FINAL_ATTRS, MESSAGES, MODEL, Mock, make, ndjson

REQUEST = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "ollama",
    "gen_ai.request.model": MODEL,
    "gen_ai.request.temperature": 0.2,
    "gen_ai.request.max_tokens": 64,
    "gen_ai.span.kind": "LLM",
    "server.address": "127.0.0.1",
    "server.port": 11434,
}


class OllamaCases(LifecycleCases):
    error = ollama.ResponseError
    error_type = "ollama.ResponseError"
    stream_error = ollama.ResponseError
    stream_error_type = "ollama.ResponseError"
    chunks = len(CHUNKS)
    streams_are_context_managers = False
    async_close = "aclose"

    def __init__(self) -> None:
        self.mock = Mock()

    def arrange(self, outcome: str) -> None:
        mock = self.mock
        mock.status = 200
        if outcome == "error":
            mock.status, mock.body = 404, ERROR_BODY
        elif outcome == "stream":
            mock.body = ndjson(CHUNKS)
        elif outcome == "broken_stream":  # the server reports an error mid-stream, as a line
            mock.body = ndjson([CHUNKS[0], {"error": "an error was encountered while running the model"}])
        else:
            mock.body = CHAT_BODY

    def call(self, is_async: bool, stream: bool, variant: str = "plain") -> Any:
        options = {"temperature": 0.2, "num_predict": 64}
        return make(self.mock, is_async).chat(MODEL, MESSAGES, stream=stream, options=options)

    def requests(self) -> int:
        return len(self.mock.paths)

    def check_result(self, result: Any, stream: bool) -> None:
        assert type(result) is ollama.ChatResponse and result.message.content == "ok"

    def request(self, stream: bool) -> dict[str, Any]:
        return {**REQUEST, "gen_ai.request.stream": True} if stream else REQUEST

    def response(self) -> dict[str, Any]:
        return FINAL_ATTRS

    def full_stream(self) -> dict[str, Any]:
        return FINAL_ATTRS

    def first_chunk(self) -> dict[str, Any]:
        return {"gen_ai.response.model": MODEL, "llm_agent.usage.missing": True}


class TestOllamaLifecycle(LifecycleMatrix):
    @pytest.fixture
    def lifecycle(self) -> OllamaCases:
        return OllamaCases()
