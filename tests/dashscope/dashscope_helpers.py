"""DashScope test helpers: response bodies in the native API's shape, a loopback server for the
classic API (which posts with ``requests`` and ``aiohttp``), and 2.x clients on httpx's
``MockTransport`` (the 2.x client's own HTTP library).

The bodies follow the recorded exchanges in tests/cassettes/dashscope (``output``/``usage``/
``request_id``; streams as ``id:``/``event:result``/``:HTTP_STATUS/200``/``data:`` events).
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dashscope
import httpx

from tests._timing import pop_arms_total, pop_timing

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes" / "dashscope"
MODEL = "qwen-plus"
USAGE = {"input_tokens": 12, "output_tokens": 5, "total_tokens": 17, "prompt_tokens_details": {"cached_tokens": 4}}


def text_body(text: str = "Hello there", usage: dict[str, Any] | None = USAGE) -> dict[str, Any]:
    """A classic ``Generation.call`` answer (``result_format`` text)."""
    body: dict[str, Any] = {"output": {"text": text, "finish_reason": "stop"}, "request_id": "req-text"}
    if usage is not None:
        body["usage"] = usage
    return body


def message_body(content: str = "Hello there", usage: dict[str, Any] | None = USAGE) -> dict[str, Any]:
    """A ``result_format="message"`` answer (what the 2.x client always asks for)."""
    choice = {"finish_reason": "stop", "message": {"role": "assistant", "content": content}}
    body: dict[str, Any] = {"output": {"choices": [choice]}, "request_id": "req-message"}
    if usage is not None:
        body["usage"] = usage
    return body


def stream_events(pieces: list[str], cumulative: bool, message: bool = False) -> list[dict[str, Any]]:
    """One event per piece; the usage is the running total on every event (as DashScope sends it)."""
    events = []
    text = ""
    for i, piece in enumerate(pieces):
        text += piece
        shown = text if cumulative else piece
        reason = "stop" if i == len(pieces) - 1 else "null"
        usage = {"input_tokens": 12, "output_tokens": i + 1, "total_tokens": 13 + i}
        if message:
            choice = {"finish_reason": reason, "message": {"role": "assistant", "content": shown}}
            output: dict[str, Any] = {"choices": [choice]}
        else:
            output = {"text": shown, "finish_reason": reason}
        events.append({"output": output, "usage": usage, "request_id": "req-stream"})
    return events


ERROR = {"code": "InvalidParameter", "message": "Model not exist.", "request_id": "req-error"}


def sse(events: list[dict[str, Any]]) -> bytes:
    out = []
    for i, event in enumerate(events, 1):
        status = 400 if "code" in event else 200
        kind = "error" if status != 200 else "result"
        out.append(f"id:{i}\nevent:{kind}\n:HTTP_STATUS/{status}\ndata:{json.dumps(event)}\n\n")
    return "".join(out).encode()


class Answer:
    """What the loopback server sends next: a status, a body, and whether to cut the stream."""

    def __init__(self, status: int = 200, body: bytes = b"", sse: bool = False, cut: bool = False) -> None:
        self.status = status
        self.body = body
        self.sse = sse
        self.cut = cut  # send the body as one chunk, then drop the connection mid-stream


class ClassicServer:
    """A loopback server answering the classic API, one ``Answer`` at a time (the last repeats)."""

    def __init__(self) -> None:
        self.answer = Answer(200, json.dumps(text_body()).encode())
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.requests.append({"path": self.path, "body": json.loads(self.rfile.read(length) or b"{}")})
                answer = server.answer
                self.send_response(answer.status)
                kind = "text/event-stream;charset=UTF-8" if answer.sse else "application/json"
                self.send_header("Content-Type", kind)
                if answer.cut:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(answer.body), answer.body))
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)  # no last chunk: a broken stream
                    self.close_connection = True
                    return
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/api/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ClassicServer:
        self.thread.start()
        self.saved = dashscope.base_http_api_url
        dashscope.base_http_api_url = self.url
        return self

    def __exit__(self, *exc: Any) -> None:
        dashscope.base_http_api_url = self.saved
        self.httpd.shutdown()
        self.httpd.server_close()

    def json(self, body: dict[str, Any], status: int = 200) -> None:
        self.answer = Answer(status, json.dumps(body).encode())

    def stream(self, events: list[dict[str, Any]], cut: bool = False) -> None:
        self.answer = Answer(200, sse(events), sse=True, cut=cut)


class MockAPI:
    """The 2.x client's server: httpx ``MockTransport`` answers, and the requests it received."""

    def __init__(self) -> None:
        self.status = 200
        self.body: bytes = json.dumps(message_body()).encode()
        self.sse = False
        self.requests: list[httpx.Request] = []

    def json(self, body: dict[str, Any], status: int = 200) -> None:
        self.status, self.body, self.sse = status, json.dumps(body).encode(), False

    def stream(self, events: list[dict[str, Any]]) -> None:
        self.status, self.body, self.sse = 200, sse(events), True

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        kind = "text/event-stream" if self.sse else "application/json"
        return httpx.Response(self.status, content=self.body, headers={"content-type": kind})

    def client(self, is_async: bool = False, **options: Any) -> Any:
        transport = httpx.MockTransport(self.handler)
        common: dict[str, Any] = {
            "api_key": "test_dashscope_api_key", "base_url": "https://mock.dashscope.test/api/v1", "max_retries": 0,
        }
        common.update(options)
        # The resources other than chat post a path relative to the HTTP client's own base URL.
        http = {"transport": transport, "base_url": common["base_url"]}
        if is_async:
            return dashscope.AsyncClient(http_client=httpx.AsyncClient(**http), **common)
        return dashscope.Client(http_client=httpx.Client(**http), **common)


def attrs(record: Any) -> dict[str, Any]:
    """A span's attributes, lists as tuples, without the timings."""
    out = {k: tuple(v) if isinstance(v, list) else v for k, v in record.attributes.items()}
    pop_timing(out)
    pop_arms_total(out)
    return out
