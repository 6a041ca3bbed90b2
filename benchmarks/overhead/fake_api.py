"""A fake OpenAI API with realistic bodies, served in-process or over loopback sockets.

Only the standard library here (plus the HTTP client library handed in), because the same module
runs in the peers' own virtual environments, which do not have llm_agent installed.

The bodies are built once at import: the benchmark measures the client and its instrumentation,
not the fake server, so the server's share of each call must be small and constant.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STREAM_CHUNKS = 50  # content chunks in the streamed answer (then a finish chunk and a usage chunk)
MODEL = "gpt-4o-mini"
CREATED = 1_760_000_000

CHAT_BODY = json.dumps(
    {
        "id": "chatcmpl-bench0001",
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL + "-2024-07-18",
        "system_fingerprint": "fp_bench",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "The capital of France is Paris. It has been the capital since the 10th century.",
                    "refusal": None,
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 24,
            "completion_tokens": 19,
            "total_tokens": 43,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        },
        "service_tier": "default",
    }
).encode()


def _chunk(delta: dict[str, Any], finish: str | None = None, usage: dict[str, Any] | None = None) -> bytes:
    body: dict[str, Any] = {
        "id": "chatcmpl-bench0002",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL + "-2024-07-18",
        "system_fingerprint": "fp_bench",
        "choices": []
        if usage is not None
        else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        "usage": usage,
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


STREAM_BODY = b"".join(
    [_chunk({"role": "assistant", "content": ""})]
    + [_chunk({"content": f"tok{i} "}) for i in range(STREAM_CHUNKS)]
    + [_chunk({}, finish="stop")]
    + [_chunk({}, usage={"prompt_tokens": 24, "completion_tokens": STREAM_CHUNKS, "total_tokens": 24 + STREAM_CHUNKS})]
    + [b"data: [DONE]\n\n"]
)

EMBEDDINGS_BODY = json.dumps(
    {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [round(0.001 * i, 3) for i in range(256)]}],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 8, "total_tokens": 8},
    }
).encode()

RESPONSES_BODY = json.dumps(
    {
        "id": "resp_bench0001",
        "object": "response",
        "created_at": CREATED,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": MODEL + "-2024-07-18",
        "output": [
            {
                "type": "message",
                "id": "msg_bench0001",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Paris is the capital of France.", "annotations": []}],
            }
        ],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": {
            "input_tokens": 14,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": 8,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": 22,
        },
        "user": None,
        "metadata": {},
    }
).encode()

ERROR_BODY = json.dumps(
    {
        "error": {
            "message": "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3.",
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
).encode()

ANTHROPIC_MODEL = "claude-sonnet-4-5"
ANTHROPIC_BODY = json.dumps(
    {
        "id": "msg_bench0001",
        "type": "message",
        "role": "assistant",
        "model": ANTHROPIC_MODEL + "-20250929",
        "content": [{"type": "text", "text": "The capital of France is Paris."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 24,
            "output_tokens": 9,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "service_tier": "standard",
        },
    }
).encode()


def _event(kind: str, body: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: ".encode() + json.dumps({"type": kind, **body}).encode() + b"\n\n"


#: A Messages API stream: message_start, one text block of STREAM_CHUNKS deltas, message_delta, stop.
ANTHROPIC_STREAM_BODY = b"".join(
    [
        _event(
            "message_start",
            {
                "message": {
                    "id": "msg_bench0002",
                    "type": "message",
                    "role": "assistant",
                    "model": ANTHROPIC_MODEL + "-20250929",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {"input_tokens": 24, "output_tokens": 1},
                }
            },
        ),
        _event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}),
    ]
    + [
        _event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": f"tok{i} "}})
        for i in range(STREAM_CHUNKS)
    ]
    + [
        _event("content_block_stop", {"index": 0}),
        _event(
            "message_delta",
            {"delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": STREAM_CHUNKS}},
        ),
        _event("message_stop", {}),
    ]
)

JSON_HEADERS = (("content-type", "application/json"), ("x-request-id", "req_bench"))
SSE_HEADERS = (("content-type", "text/event-stream"), ("x-request-id", "req_bench"))


def route(path: str, body: bytes) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
    """(status, headers, body) for one request. The error scenario uses a model name to ask for a 429."""
    if b'"rate-limited"' in body:
        return 429, (*JSON_HEADERS, ("retry-after", "20")), ERROR_BODY
    if path.endswith("/v1/messages"):
        if b'"stream":true' in body.replace(b" ", b""):
            return 200, SSE_HEADERS, ANTHROPIC_STREAM_BODY
        return 200, JSON_HEADERS, ANTHROPIC_BODY
    if path.endswith("/chat/completions"):
        if b'"stream":true' in body.replace(b" ", b""):
            return 200, SSE_HEADERS, STREAM_BODY
        return 200, JSON_HEADERS, CHAT_BODY
    if path.endswith("/embeddings"):
        return 200, JSON_HEADERS, EMBEDDINGS_BODY
    if path.endswith("/responses"):
        return 200, JSON_HEADERS, RESPONSES_BODY
    return 404, JSON_HEADERS, b'{"error": {"message": "not found", "type": "invalid_request_error"}}'


def mock_transport(httpx_module: Any) -> Any:
    """An in-process transport (no sockets): the client's own cost is the floor."""

    def handler(request: Any) -> Any:
        status, headers, body = route(request.url.path, request.content)
        return httpx_module.Response(status, headers=list(headers), content=body)

    return httpx_module.MockTransport(handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real API would

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        status, headers, body = route(self.path, self.rfile.read(length))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def serve_loopback() -> tuple[ThreadingHTTPServer, str]:
    """Start the fake API on 127.0.0.1 (an ephemeral port) in a daemon thread; returns (server, base_url)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="fake-openai", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"
