"""A loopback server speaking the OpenAI and the Anthropic HTTP APIs, for LiteLLM's two own routes.

LiteLLM reaches an ``openai/...`` model through the ``openai`` client's low-level ``post()`` and an
``anthropic/...`` model through its own HTTP code, so the tests run the real library end to end
against a real socket on 127.0.0.1 (never the network).  The bodies are built from the SDKs' own
types (``openai.types``, ``anthropic.types``), so they are what the real APIs send.

``arrange(outcome)`` sets what the next requests get: ``"ok"`` (a JSON body), ``"stream"`` (server-sent
events), ``"error"`` (a 400 error body) or ``"broken_stream"`` (one event, then the connection cut).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from anthropic.types import Message, Usage
from openai.types import CreateEmbeddingResponse, Embedding
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.create_embedding_response import Usage as EmbeddingUsage

OPENAI_MODEL: Final = "gpt-4o-mini"
OPENAI_SNAPSHOT: Final = "gpt-4o-mini-2024-07-18"
EMBEDDING_MODEL: Final = "text-embedding-3-small"
ANTHROPIC_MODEL: Final = "claude-3-5-haiku-20241022"
#: The usage each answer reports (the tests assert exactly these).
CHAT_USAGE: Final = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18,
                     "prompt_tokens_details": {"cached_tokens": 3},
                     "completion_tokens_details": {"reasoning_tokens": 2}}  # fmt: skip
STREAM_USAGE: Final = {"prompt_tokens": 9, "completion_tokens": 4, "total_tokens": 13}
EMBEDDING_TOKENS: Final = 5
EMBEDDING_DIMENSIONS: Final = 4
ANTHROPIC_USAGE: Final = {"input_tokens": 12, "output_tokens": 6, "cache_read_input_tokens": 2,
                          "cache_creation_input_tokens": 1}  # fmt: skip


def chat_completion() -> dict[str, Any]:
    return ChatCompletion.model_validate({
        "id": "chatcmpl-loop1", "object": "chat.completion", "created": 1700000000, "model": OPENAI_SNAPSHOT,
        "system_fingerprint": "fp_loop",
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": "Hello there"}}],
        "usage": CHAT_USAGE,
    }).model_dump(mode="json", exclude_none=True)  # fmt: skip


def chat_chunks() -> list[dict[str, Any]]:
    """Two content chunks, the finishing chunk, then the usage-only chunk (``include_usage``)."""
    base = {"id": "chatcmpl-loop2", "object": "chat.completion.chunk", "created": 1700000000,
            "model": OPENAI_SNAPSHOT, "system_fingerprint": "fp_loop"}  # fmt: skip
    chunks = [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {**base, "choices": [], "usage": STREAM_USAGE},
    ]
    return [ChatCompletionChunk.model_validate(c).model_dump(mode="json", exclude_none=True) for c in chunks]


def embeddings(count: int) -> dict[str, Any]:
    return CreateEmbeddingResponse(
        object="list", model=EMBEDDING_MODEL,
        data=[Embedding(object="embedding", index=i, embedding=[0.1] * EMBEDDING_DIMENSIONS) for i in range(count)],
        usage=EmbeddingUsage(prompt_tokens=EMBEDDING_TOKENS, total_tokens=EMBEDDING_TOKENS),
    ).model_dump(mode="json")  # fmt: skip


def anthropic_message() -> dict[str, Any]:
    return Message(
        id="msg_loop1", type="message", role="assistant", model=ANTHROPIC_MODEL, stop_reason="end_turn",
        stop_sequence=None, content=[{"type": "text", "text": "Hi from Claude"}], usage=Usage(**ANTHROPIC_USAGE),
    ).model_dump(mode="json")  # fmt: skip


def anthropic_events() -> list[dict[str, Any]]:
    start = anthropic_message()
    start.update(id="msg_loop2", content=[], stop_reason=None,
                 usage={**ANTHROPIC_USAGE, "output_tokens": 1})  # fmt: skip
    return [
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi "}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "there"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
         "usage": {"output_tokens": 6}},
        {"type": "message_stop"},
    ]  # fmt: skip


OPENAI_ERROR: Final = {"error": {"message": "bad request", "type": "invalid_request_error", "param": None,
                                 "code": "bad"}}  # fmt: skip
ANTHROPIC_ERROR: Final = {"type": "error", "error": {"type": "invalid_request_error", "message": "bad request"}}


@dataclass
class Received:
    path: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        path = self.path.split("?", 1)[0]
        loop = self.server.loopback
        with loop.lock:
            loop.received.append(Received(path, body, {k.lower(): v for k, v in self.headers.items()}))
            outcome = loop.outcome
        anthropic = path.endswith("/messages")
        if outcome == "error":
            self._json(400, ANTHROPIC_ERROR if anthropic else OPENAI_ERROR)
        elif path.endswith("/embeddings"):
            inputs = body.get("input") if isinstance(body, dict) else None
            self._json(200, embeddings(len(inputs) if isinstance(inputs, list) else 1))
        elif outcome in ("stream", "broken_stream") and isinstance(body, dict) and body.get("stream"):
            events = anthropic_events() if anthropic else chat_chunks()
            if not anthropic and not (body.get("stream_options") or {}).get("include_usage"):
                events = events[:-1]  # the usage chunk only when asked for, as the API does
            self._stream(events, anthropic, broken=outcome == "broken_stream")
        else:
            self._json(200, anthropic_message() if anthropic else chat_completion())

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, events: list[dict[str, Any]], named: bool, broken: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i, event in enumerate(events):
            if broken and i == (3 if named else 1):  # after the first chunk the app gets
                # No terminating chunk: the client sees the connection cut mid-stream.
                self.close_connection = True
                self.wfile.flush()
                return
            prefix = f"event: {event['type']}\n" if named else ""
            self._chunk(f"{prefix}data: {json.dumps(event)}\n\n".encode())
        if not named:
            self._chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    loopback: Loopback

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # a client hanging up mid-stream is part of the tests


class Loopback:
    """The server on a free port of 127.0.0.1; a context manager."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.outcome = "ok"
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.loopback = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)  # fmt: skip

    @property
    def openai_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def arrange(self, outcome: str) -> None:
        with self.lock:
            self.outcome = outcome

    def __enter__(self) -> Loopback:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5.0)


__all__ = ["Loopback"]
