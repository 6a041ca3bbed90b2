"""Mistral test helpers: the SDK's own HTTP library's mock transport, bodies in Mistral's API
shape (as its SDK models and API documentation give them), and recorded exchanges
(tests/cassettes/mistralai)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
from mistralai.client import Mistral

from tests._mock_http import JsonMock, sse_data
from tests._recorded import recorded_request, recorder
from tests._timing import span_attributes

API_KEY = "test_mistral_api_key"
MODEL = "mistral-small-latest"
MESSAGES = [{"role": "user", "content": "hi"}]
REQUEST = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "mistral_ai",
    "gen_ai.request.model": MODEL,
    "gen_ai.span.kind": "LLM",
    "server.address": "mock.mistral.test",
    "server.port": 443,
}
STREAM_REQUEST = {**REQUEST, "gen_ai.request.stream": True}
#: A ChatCompletionResponse as Mistral's API answers it (cached tokens as its API reports them).
CHAT = {
    "id": "cmpl-1", "object": "chat.completion", "created": 1, "model": MODEL,
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hello"}}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15,
              "prompt_tokens_details": {"cached_tokens": 4}},
}
RESPONSE = {
    "gen_ai.response.id": "cmpl-1",
    "gen_ai.response.model": MODEL,
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 12,
    "gen_ai.usage.output_tokens": 3,
    "gen_ai.usage.cache_read.input_tokens": 4,
}


def chunk(delta: dict[str, Any], finish: str | None = None, usage: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "cmpl-2", "object": "chat.completion.chunk", "created": 1, "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage is not None:
        body["usage"] = usage
    return body


#: A stream as Mistral sends it: the usage in the last chunk.
CHUNKS = [
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "Hel"}),
    chunk({"content": "lo"}),
    chunk({"content": ""}, "stop", {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}),
]
FIRST_CHUNK = {"gen_ai.response.id": "cmpl-2", "gen_ai.response.model": MODEL}
FULL_STREAM = {
    **FIRST_CHUNK,
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 9,
    "gen_ai.usage.output_tokens": 2,
}
ERROR_BODY = {"object": "error", "message": "Invalid model: nope", "type": "invalid_model", "code": "1500"}
#: An event the SDK cannot read as a chunk: iterating the stream raises there.
BAD_EVENT = {"object": "error", "message": "stream broke", "type": "internal", "code": "1000"}


sse = sse_data


class Mock(JsonMock):
    """The mock Mistral API (``JsonMock``) and clients of it."""

    http = httpx2
    default_body = CHAT

    def client(self, is_async: bool = False) -> Mistral:
        transport = httpx2.MockTransport(self)
        if is_async:
            return Mistral(api_key=API_KEY, server_url="https://mock.mistral.test",
                           async_client=httpx2.AsyncClient(transport=transport))
        return Mistral(api_key=API_KEY, server_url="https://mock.mistral.test",
                       client=httpx2.Client(transport=transport))


def recorded_client() -> Mistral:
    return Mistral(api_key=API_KEY)


def cassette_player() -> Callable[[str], Any]:
    return recorder("mistralai")


def request_of(name: str, index: int = 0) -> dict[str, Any]:
    """A recorded request as the SDK's keyword arguments (``stream`` is the method's, not an argument)."""
    kwargs = recorded_request("mistralai", name, index)
    kwargs.pop("stream", None)
    if "input" in kwargs:  # embeddings: the API's ``input`` is the SDK's ``inputs``
        kwargs["inputs"] = kwargs.pop("input")
    return kwargs


def attrs_of(record: Any) -> dict[str, Any]:
    """A span's attributes, lists as tuples, without the stream timing and chunk count."""
    return span_attributes(record, arms_total=True)
