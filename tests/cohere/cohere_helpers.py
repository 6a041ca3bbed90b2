"""Cohere test helpers: the v2 client against the SDK's own HTTP library's mock transport.

The mock answers with bodies in the v2 API's shapes (the SSE events and JSON bodies of the
recorded exchanges in tests/cassettes/cohere), so the real client code parses them end to end;
it counts the requests it receives.  ``broken`` streams one event and then fails the connection.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import cohere
import httpx
import yaml

from tests._timing import span_attributes

BASE_URL = "https://mock.cohere.test"
MODEL = "command-r-test"
MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "hi"}]
USAGE = {
    "billed_units": {"input_tokens": 5, "output_tokens": 2},
    "tokens": {"input_tokens": 60, "output_tokens": 3},
    "cached_tokens": 8,
}
EVENTS: list[dict[str, Any]] = [
    {"id": "chat-1", "type": "message-start",
     "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}},
    {"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}},
    {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "Hel"}}}},
    {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "lo"}}}},
    {"type": "content-end", "index": 0},
    {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": USAGE}},
]
CHAT_BODY: dict[str, Any] = {
    "id": "chat-2", "finish_reason": "COMPLETE",
    "message": {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
    "usage": USAGE,
}
ERROR_BODY: dict[str, Any] = {"message": "invalid request: model 'nope' not found"}


def sse(events: list[dict[str, Any]], done: bool = True) -> bytes:
    out = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    return (out + ("data: [DONE]\n\n" if done else "")).encode()


class _Broken(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that delivers one event, then loses the connection."""

    def __init__(self, first: bytes) -> None:
        self.first = first

    def __iter__(self) -> Iterator[bytes]:
        yield self.first
        raise httpx.ReadError("connection lost")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.first
        raise httpx.ReadError("connection lost")


class Mock:
    """The next answer (``status``, ``body``, ``content_type``); ``paths`` of the requests received."""

    def __init__(self, status: int = 200, body: Any = None, content_type: str = "application/json") -> None:
        self.status = status
        self.body: Any = CHAT_BODY if body is None else body
        self.content_type = content_type
        self.broken = False
        self.paths: list[str] = []
        self.bodies: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        self.bodies.append(json.loads(request.content or b"null"))
        headers = {"content-type": self.content_type}
        if self.broken:
            return httpx.Response(self.status, stream=_Broken(sse(EVENTS[:1], done=False)), headers=headers)
        content = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        return httpx.Response(self.status, content=content, headers=headers)


def make(mock: Mock, is_async: bool = False) -> Any:
    transport = httpx.MockTransport(mock)
    if is_async:
        return cohere.AsyncClientV2(
            api_key="test_cohere_api_key", base_url=BASE_URL, httpx_client=httpx.AsyncClient(transport=transport)
        )
    return cohere.ClientV2(
        api_key="test_cohere_api_key", base_url=BASE_URL, httpx_client=httpx.Client(transport=transport)
    )


def attrs_of(record: Any) -> dict[str, Any]:
    """A span's attributes, lists as tuples, without the timing and chunk count."""
    return span_attributes(record)


# --- recorded exchanges -----------------------------------------------------------------------------

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes" / "cohere"


def _parsed_body_deserialize(text: str) -> dict[str, Any]:
    """pydantic-ai's cassettes (``parsed_body/``) store JSON bodies as YAML data: back to strings
    (default ``json.dumps``, so the stored ``content-length`` stays right)."""
    data = yaml.safe_load(text)
    for interaction in data["interactions"]:
        for side in ("request", "response"):
            part = interaction[side]
            if "parsed_body" in part:
                body = json.dumps(part.pop("parsed_body"))
                part["body"] = body if side == "request" else {"string": body}
    return data  # type: ignore[no-any-return]


def _parsed_body_serialize(data: dict[str, Any]) -> str:
    raise AssertionError("the cassettes are replayed, never recorded")


def recorder() -> Any:
    import vcr

    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none",
        match_on=["method", "scheme", "host", "port", "path", "query"],
        decode_compressed_response=True,
    )
    recorder.register_serializer("parsed_body", _ParsedBody())
    return recorder


class _ParsedBody:
    deserialize = staticmethod(_parsed_body_deserialize)
    serialize = staticmethod(_parsed_body_serialize)


def cassette(name: str) -> Any:
    """``with cassette("name"):`` replays tests/cassettes/cohere/name.yaml (``parsed_body/...``
    with its serializer) and never reaches the network."""
    if name.startswith("parsed_body/"):
        return recorder().use_cassette(f"{name}.yaml", serializer="parsed_body")
    return recorder().use_cassette(f"{name}.yaml")


def recorded_request(name: str, index: int = 0, path: str | None = None) -> dict[str, Any]:
    """The JSON body of the ``index``-th request (to ``path``, if given) recorded in cassette ``name``."""
    data = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text())
    requests = [i["request"] for i in data["interactions"] if path is None or i["request"]["uri"].endswith(path)]
    request = requests[index]
    body = request["parsed_body"] if "parsed_body" in request else json.loads(request["body"])
    body.pop("stream", None)
    return dict(body)


def recorded_client(is_async: bool = False) -> Any:
    cls = cohere.AsyncClientV2 if is_async else cohere.ClientV2
    return cls(api_key="test_cohere_api_key")
