"""A mock HTTP server for the provider tests of OpenAI-style SDKs (Groq, Mistral): answers every
request through the SDK's own httpx ``MockTransport`` with the arranged status and body."""

from __future__ import annotations

import json
from typing import Any


def sse_data(items: list[dict[str, Any]], done: bool = True) -> bytes:
    """Server-sent events of ``data:`` lines only, as the chat-completions APIs stream (``[DONE]`` last)."""
    text = "".join(f"data: {json.dumps(item)}\n\n" for item in items)
    return (text + ("data: [DONE]\n\n" if done else "")).encode()


class JsonMock:
    """Answers every request with the arranged status and body; counts the requests.  A subclass
    names the httpx module its SDK uses (``http``), its default body and how to make a client."""

    http: Any
    default_body: Any

    def __init__(self) -> None:
        self.status = 200
        self.body = json.dumps(self.default_body).encode()
        self.content_type = "application/json"
        self.requests: list[Any] = []

    def json(self, body: Any, status: int = 200) -> None:
        self.status, self.body, self.content_type = status, json.dumps(body).encode(), "application/json"

    def stream(self, items: list[dict[str, Any]], done: bool = True) -> None:
        self.status, self.body, self.content_type = 200, sse_data(items, done), "text/event-stream"

    def __call__(self, request: Any) -> Any:
        self.requests.append(request)
        return self.http.Response(self.status, content=self.body, headers={"content-type": self.content_type})
