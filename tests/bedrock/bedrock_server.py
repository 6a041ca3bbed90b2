"""A loopback HTTP server speaking Bedrock Runtime, for the shapes the recordings lack.

Event-stream bodies are encoded here with the binary framing botocore decodes (and checks):
a 12-byte prelude (total length, headers length, CRC32 of those 8 bytes), string headers, the
JSON payload, and a CRC32 of everything before it.  botocore ships only the decoder.
"""

from __future__ import annotations

import base64
import json
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STRING_HEADER = 7  # header value type "string" of the event-stream format
POLL_S = 0.05  # how often the server thread checks for shutdown (seconds)


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return struct.pack("!B", len(raw_name)) + raw_name + struct.pack("!BH", STRING_HEADER, len(raw_value)) + raw_value


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message."""
    encoded = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack("!II", total, len(encoded))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    message = prelude + encoded + payload
    return message + struct.pack("!I", zlib.crc32(message))


def event(event_type: str, payload: dict[str, Any]) -> bytes:
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return frame(headers, json.dumps(payload).encode())


def exception(exception_type: str, message: str) -> bytes:
    """A modeled exception event inside the stream (``throttlingException``...)."""
    headers = {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"}
    return frame(headers, json.dumps({"message": message}).encode())


def chunk(native: dict[str, Any]) -> bytes:
    """An ``invoke_model_with_response_stream`` chunk holding a model's native JSON event."""
    return event("chunk", {"bytes": base64.b64encode(json.dumps(native).encode()).decode()})


def converse_events(model_text: str = "Hello", input_tokens: int = 7, output_tokens: int = 3) -> list[bytes]:
    return [
        event("messageStart", {"role": "assistant"}),
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": model_text[:3]}}),
        event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": model_text[3:]}}),
        event("contentBlockStop", {"contentBlockIndex": 0}),
        event("messageStop", {"stopReason": "end_turn"}),
        event(
            "metadata",
            {
                "usage": {
                    "inputTokens": input_tokens,
                    "outputTokens": output_tokens,
                    "totalTokens": input_tokens + output_tokens + 5,
                    "cacheReadInputTokens": 5,
                },
                "metrics": {"latencyMs": 12},
            },
        ),
    ]


def claude_chunks() -> list[bytes]:
    """A Claude Messages stream through ``invoke_model_with_response_stream``."""
    return [
        chunk(
            {
                "type": "message_start",
                "message": {
                    "id": "msg_bdrk_loop",
                    "model": "claude-loop",
                    "usage": {"input_tokens": 9, "output_tokens": 1},
                },
            }
        ),
        chunk({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}}),
        chunk({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}}),
        chunk({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 4}}),
        chunk(
            {
                "type": "message_stop",
                "amazon-bedrock-invocationMetrics": {"inputTokenCount": 9, "outputTokenCount": 4},
            }
        ),
    ]


class Reply:
    """One canned answer: status, headers, body (bytes, or frames sent one write each)."""

    def __init__(self, status: int, body: bytes | list[bytes], headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}


class BedrockServer:
    """``with BedrockServer() as server:`` serves ``server.routes`` (path suffix -> Reply) on 127.0.0.1."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}
        self.requests: list[tuple[str, str, bytes]] = []  # (method, path, body)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append((self.command, self.path, body))
                path = self.path.split("?")[0]
                reply = next((r for suffix, r in server.routes.items() if path.endswith(suffix)), None)
                if reply is None:
                    reply = Reply(404, b'{"message": "no route"}', {"x-amzn-ErrorType": "ResourceNotFoundException"})
                frames = reply.body if isinstance(reply.body, list) else [reply.body]
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(sum(len(f) for f in frames)))
                self.end_headers()
                try:
                    for part in frames:
                        self.wfile.write(part)
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client closed the stream early: what the exit-path tests do

            do_POST = _answer
            do_GET = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_S,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def __enter__(self) -> BedrockServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()


EVENT_STREAM = {"Content-Type": "application/vnd.amazon.eventstream"}
JSON = {"Content-Type": "application/json"}
