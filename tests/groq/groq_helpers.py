"""Groq test helpers: the SDK's own HTTP library's mock transport, bodies in Groq's API shape
(as its SDK types and documentation give them), and recorded exchanges (tests/cassettes/groq)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import groq
import groq._base_client as _base_client

from tests._mock_http import JsonMock, sse_data
from tests._recorded import recorded_request, recorder
from tests._timing import span_attributes

HTTP: Any = getattr(_base_client, "httpx2", None) or _base_client.httpx
API_KEY = "test_groq_api_key"
MODEL = "llama-3.1-8b-instant"
MESSAGES = [{"role": "user", "content": "hi"}]
REQUEST = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "groq",
    "gen_ai.request.model": MODEL,
    "gen_ai.span.kind": "LLM",
    "server.address": "mock.groq.test",
    "server.port": 443,
}
#: A ChatCompletion as Groq's API answers it (usage with its timing fields and cached tokens).
CHAT = {
    "id": "chatcmpl-groq-1", "object": "chat.completion", "created": 1, "model": MODEL,
    "system_fingerprint": "fp_1",
    "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                 "message": {"role": "assistant", "content": "Hello"}}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15, "queue_time": 0.01,
              "prompt_time": 0.001, "completion_time": 0.002, "total_time": 0.003,
              "prompt_tokens_details": {"cached_tokens": 4}},
    "x_groq": {"id": "req_1"},
}
RESPONSE = {
    "gen_ai.response.id": "chatcmpl-groq-1",
    "gen_ai.response.model": MODEL,
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 12,
    "gen_ai.usage.output_tokens": 3,
    "gen_ai.usage.cache_read.input_tokens": 4,
}


def chunk(delta: dict[str, Any], finish: str | None = None, x_groq: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-groq-2", "object": "chat.completion.chunk", "created": 1, "model": MODEL,
        "system_fingerprint": "fp_1",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }
    if x_groq is not None:
        body["x_groq"] = x_groq
    return body


#: A stream as Groq sends it: the usage only in the last chunk's x_groq.usage.
CHUNKS = [
    chunk({"role": "assistant", "content": ""}, x_groq={"id": "req_2"}),
    chunk({"content": "Hel"}),
    chunk({"content": "lo"}),
    chunk({}, "stop", x_groq={"id": "req_2", "usage": {"prompt_tokens": 9, "completion_tokens": 2,
                                                        "total_tokens": 11}}),
]
FIRST_CHUNK = {"gen_ai.response.id": "chatcmpl-groq-2", "gen_ai.response.model": MODEL}
FULL_STREAM = {
    **FIRST_CHUNK,
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 9,
    "gen_ai.usage.output_tokens": 2,
}
ERROR_BODY = {"error": {"message": "The model does not exist", "type": "invalid_request_error",
                        "code": "model_not_found"}}


sse = sse_data


class Mock(JsonMock):
    """The mock Groq API (``JsonMock``) and clients of it."""

    http = HTTP
    default_body = CHAT

    def client(self, is_async: bool = False) -> Any:
        transport = HTTP.MockTransport(self)
        if is_async:
            return groq.AsyncGroq(api_key=API_KEY, base_url="https://mock.groq.test", max_retries=0,
                                  http_client=HTTP.AsyncClient(transport=transport))
        return groq.Groq(api_key=API_KEY, base_url="https://mock.groq.test", max_retries=0,
                         http_client=HTTP.Client(transport=transport))


def recorded_client(is_async: bool = False) -> Any:
    cls = groq.AsyncGroq if is_async else groq.Groq
    return cls(api_key=API_KEY, max_retries=0)


def cassette_player() -> Callable[[str], Any]:
    return recorder("groq")


def request_of(name: str, index: int = 0) -> dict[str, Any]:
    return recorded_request("groq", name, index)


def attrs_of(record: Any) -> dict[str, Any]:
    """A span's attributes, lists as tuples, without the stream timing and chunk count."""
    return span_attributes(record, arms_total=True)
