"""OpenAI test helpers: a capture of finished spans, recorded cassettes, and an in-process mock API.

The mock API is the SDK's own HTTP library's ``MockTransport`` (httpx2 in openai 3.x, httpx
before), so the real client code runs end to end; it counts the requests it receives.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import openai._base_client as _base_client
import pytest

from llm_agent.testing import SpanCapture, capture_spans
from tests._timing import pop_timing

#: The HTTP library the installed SDK is built on.
HTTP: Any = getattr(_base_client, "httpx2", None) or _base_client.httpx
CASSETTES = Path(__file__).resolve().parent.parent / "cassettes" / "openai"
API_KEY = "test_openai_api_key"


@pytest.fixture
def spans() -> Iterator[SpanCapture]:
    with capture_spans(instrument=["openai"]) as capture:
        yield capture


@pytest.fixture
def cassette() -> Callable[[str], Any]:
    """``with cassette("name"):`` replays tests/cassettes/openai/name.yaml and never reaches the network."""
    import vcr

    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none",
        match_on=["method", "scheme", "host", "port", "path", "query"],
        decode_compressed_response=True,
    )

    def use(name: str) -> Any:
        return recorder.use_cassette(f"{name}.yaml")

    return use


def recorded_client(is_async: bool = False) -> Any:
    cls = openai.AsyncOpenAI if is_async else openai.OpenAI
    return cls(api_key=API_KEY, base_url="https://api.openai.com/v1", max_retries=0)


def sse(items: list[dict[str, Any]], named: bool = False) -> bytes:
    """Server-sent events, ending with ``[DONE]`` (chat) or not (Responses API, ``named``)."""
    out = []
    for item in items:
        if named:
            out.append(f"event: {item['type']}\ndata: {json.dumps(item)}\n\n")
        else:
            out.append(f"data: {json.dumps(item)}\n\n")
    if not named:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


class MockAPI:
    """Route table path -> (status, body, content type); records every request it receives."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, str]] = {}
        self.requests: list[dict[str, Any]] = []

    def json(self, path: str, body: dict[str, Any], status: int = 200) -> MockAPI:
        self.routes[path] = (status, json.dumps(body).encode(), "application/json")
        return self

    def stream(self, path: str, items: list[dict[str, Any]], named: bool = False) -> MockAPI:
        self.routes[path] = (200, sse(items, named), "text/event-stream")
        return self

    def handler(self, request: Any) -> Any:
        body = json.loads(request.content) if request.content else None
        self.requests.append({"path": request.url.path, "body": body, "headers": dict(request.headers)})
        for path, (status, content, ctype) in self.routes.items():
            if request.url.path.endswith(path):
                return HTTP.Response(status, content=content, headers={"content-type": ctype})
        return HTTP.Response(404, json={"error": {"message": "no route", "type": "invalid_request_error"}})

    def client(self, is_async: bool = False, base_url: str = "https://api.openai.com/v1") -> Any:
        transport = HTTP.MockTransport(self.handler)
        if is_async:
            return openai.AsyncOpenAI(
                api_key=API_KEY, base_url=base_url, max_retries=0, http_client=HTTP.AsyncClient(transport=transport)
            )
        return openai.OpenAI(
            api_key=API_KEY, base_url=base_url, max_retries=0, http_client=HTTP.Client(transport=transport)
        )


@pytest.fixture
def api() -> MockAPI:
    return MockAPI()


# --- canned bodies ------------------------------------------------------------------------------

def chat_body(model: str = "gpt-4o-mini-2024-07-18", usage: bool = True, content: str = "Hello!") -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "system_fingerprint": "fp_1",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
    }
    if usage:
        body["usage"] = {
            "prompt_tokens": 10,
            "completion_tokens": 4,
            "total_tokens": 14,
            "prompt_tokens_details": {"cached_tokens": 2},
            "completion_tokens_details": {"reasoning_tokens": 1},
        }
    return body


def chat_chunks(usage: bool = True, model: str = "gpt-4o-mini-2024-07-18") -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-2", "object": "chat.completion.chunk", "created": 1, "model": model}
    chunks = [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    if usage:
        chunks.append({**base, "choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}})
    return chunks


def completion_body(usage: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1,
        "model": "gpt-3.5-turbo-instruct",
        "choices": [{"index": 0, "text": " world", "finish_reason": "length", "logprobs": None}],
    }
    if usage:
        body["usage"] = {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}
    return body


def completion_chunks(usage: bool = True) -> list[dict[str, Any]]:
    base = {"id": "cmpl-2", "object": "text_completion", "created": 1, "model": "gpt-3.5-turbo-instruct"}
    chunks = [
        {**base, "choices": [{"index": 0, "text": " wor", "finish_reason": None, "logprobs": None}]},
        {**base, "choices": [{"index": 0, "text": "ld", "finish_reason": "stop", "logprobs": None}]},
    ]
    if usage:
        chunks.append({**base, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}})
    return chunks


def response_body(status: str = "completed", usage: bool = True, text: str = '{"answer": 42}') -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "status": status,
        "model": "gpt-4o-mini-2024-07-18",
        "output": [
            {
                "id": "msg_1",
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "metadata": {},
        "temperature": 1.0,
        "top_p": 1.0,
    }
    if usage:
        body["usage"] = {
            "input_tokens": 20,
            "input_tokens_details": {"cached_tokens": 5},
            "output_tokens": 8,
            "output_tokens_details": {"reasoning_tokens": 3},
            "total_tokens": 28,
        }
    return body


def response_events(usage: bool = True, complete: bool = True) -> list[dict[str, Any]]:
    created = response_body(status="in_progress", usage=False)
    created["output"] = []
    events: list[dict[str, Any]] = [
        {"type": "response.created", "sequence_number": 0, "response": created},
        {
            "type": "response.output_text.delta",
            "sequence_number": 1,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "delta": '{"answer": 42}',
            "logprobs": [],
        },
    ]
    if complete:
        events.append({"type": "response.completed", "sequence_number": 2, "response": response_body(usage=usage)})
    return events


def embeddings_body() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 6, "total_tokens": 6},
    }


#: Attributes every span from MockAPI's default client carries.
SERVER = {"server.address": "api.openai.com", "server.port": 443, "gen_ai.provider.name": "openai"}


def attrs(record: Any) -> dict[str, Any]:
    """A record's attributes without the timing-dependent one (TTFT is checked for presence)."""
    out = dict(record.attributes)
    pop_timing(out)
    return out
