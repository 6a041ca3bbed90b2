"""A local OpenAI-compatible server for the demo, the examples' ``--offline`` mode and tests.

    from llm_agent._demo.server import DemoServer

    with DemoServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="demo")
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])

Endpoints: ``POST /v1/chat/completions``, ``/v1/responses``, ``/v1/completions`` (each plain or
streamed as server-sent events, with the usage chunk when ``stream_options.include_usage``),
``/v1/embeddings`` and ``GET /v1/models``.  Token usage is computed from the text; latency follows
each model's typical time to first token and per-token time, multiplied by ``latency_scale``.

Failures, on purpose: ``error_rates={429: 0.05, 500: 0.02}`` fails that share of requests at
random (429 carries ``Retry-After``), and a request header ``x-demo-fail: 429|500|503|midstream``
fails that request deterministically (``midstream`` cuts a stream off halfway).  It listens on
127.0.0.1 only and needs any non-empty API key, like the real API.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from llm_agent._demo import _payloads, _text

#: 1.0 = latencies like the real API; the default keeps tests and examples quick.
DEFAULT_LATENCY_SCALE: Final = 0.05
#: What the 429 answer asks the client to wait (``retry-after-ms``); ``Retry-After`` rounds it up.
DEFAULT_RETRY_AFTER_S: Final = 0.05
#: Prefix hashes kept for the prompt-cache imitation before it is reset.
MAX_CACHED_PREFIXES: Final = 20_000
#: The request body size the server accepts (the API's own limit is larger; this is a demo).
MAX_BODY_BYTES: Final = 8 * 1024 * 1024

_ERRORS: Final[dict[int, tuple[str, str | None, str]]] = {
    429: ("Rate limit reached for requests. Please try again shortly.", "rate_limit_exceeded", "requests"),
    500: ("The server had an error while processing your request. Sorry about that!", None, "server_error"),
    503: ("The engine is currently overloaded, please try again later.", None, "server_error"),
}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received (the Authorization header is never kept)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streams, like the real API
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the demo prints its own progress
        return None

    # --- plumbing -------------------------------------------------------------------------------
    def _send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-request-id", "req_" + hashlib.sha1(data).hexdigest()[:20])
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, status: int, message: str, code: str | None, kind: str, param: str | None = None,
                    headers: Mapping[str, str] | None = None) -> None:  # fmt: skip
        self._send_json(status, {"error": {"message": message, "type": kind, "param": param, "code": code}}, headers)

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _read_body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise _payloads.RequestError(413, "Request body too large.", "request_too_large")
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise _payloads.RequestError(400, "We could not parse the JSON body of your request.", None) from None

    # --- dispatch -------------------------------------------------------------------------------
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        demo = self.server.demo
        demo._record(self, None)
        if path in ("/v1/models", "/models"):
            data = [{"id": name, "object": "model", "created": 1700000000, "owned_by": "demo"}
                    for name in _payloads.MODELS]  # fmt: skip
            self._send_json(200, {"object": "list", "data": data})
        else:
            self._send_error(404, f"Unknown request URL: GET {path}.", "unknown_url", "invalid_request_error")

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path.startswith("/v1/"):
            path = path[3:]
        demo = self.server.demo
        try:
            body = self._read_body()
        except _payloads.RequestError as exc:
            self.close_connection = True
            self._send_error(exc.status, str(exc), exc.code, "invalid_request_error")
            return
        demo._record(self, body)
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            self._send_error(401, "You didn't provide an API key.", "invalid_api_key", "invalid_request_error")
            return
        rng = demo._rng()
        fail = (self.headers.get("x-demo-fail") or "").strip().lower()
        status = int(fail) if fail.isdigit() and int(fail) in _ERRORS else demo._random_error(rng)
        if status:
            time.sleep(demo._latency(0.1, rng))
            message, code, kind = _ERRORS[status]
            headers = {}
            if status == 429:
                headers = {"retry-after-ms": str(max(1, round(demo.retry_after_s * 1000))),
                           "retry-after": str(max(1, int(demo.retry_after_s + 0.999))),
                           "x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "0"}  # fmt: skip
            self._send_error(status, message, code, kind, headers=headers)
            return
        try:
            if not isinstance(body, Mapping):
                raise _payloads.RequestError(400, "The request body must be a JSON object.", "invalid_type")
            if path == "/chat/completions":
                reply = _payloads.build_chat(body, rng, demo._cached_tokens(body.get("messages")))
            elif path == "/responses":
                reply = _payloads.build_response(body, rng, demo._cached_tokens(body.get("input")))
            elif path == "/completions":
                reply = _payloads.build_completion(body, rng)
            elif path == "/embeddings":
                reply = _payloads.build_embeddings(body)
            else:
                raise _payloads.RequestError(404, f"Unknown request URL: POST {self.path}.", "unknown_url")
        except _payloads.RequestError as exc:
            self._send_error(exc.status, str(exc), exc.code, "invalid_request_error", exc.param)
            return
        spec = reply.spec
        assert spec is not None
        if reply.body is not None:
            time.sleep(demo._latency(spec.ttft_s + spec.per_token_s * reply.output_tokens, rng))
            self._send_json(200, reply.body, {"openai-processing-ms": "1", "openai-model": spec.snapshot})
            return
        self._stream(reply, spec, rng, midstream_failure=fail == "midstream")

    def _stream(self, reply: _payloads.Reply, spec: _payloads.ModelSpec, rng: random.Random,
                midstream_failure: bool) -> None:  # fmt: skip
        demo = self.server.demo
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        per_event = spec.per_token_s * reply.output_tokens / max(1, len(reply.events))
        cut_at = len(reply.events) // 2 if midstream_failure else None
        # The first content (a chat chunk; a delta event of the Responses API) waits for the time
        # to first token; the rest comes at the token rate.
        first = next((i for i, (event, _) in enumerate(reply.events) if event is None or event.endswith(".delta")), 0)
        for i, (event, data) in enumerate(reply.events):
            if i == cut_at:
                self.close_connection = True  # no terminating chunk: the client sees a broken stream
                return
            time.sleep(demo._latency(spec.ttft_s if i == first else per_event, rng))
            text = data if isinstance(data, str) else json.dumps(data)
            prefix = f"event: {event}\n" if event else ""
            self._write_chunk(f"{prefix}data: {text}\n\n".encode())
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    demo: DemoServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (a closed keep-alive connection, an abandoned stream) is normal.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class DemoServer:
    """The server on 127.0.0.1 (a free port unless given); a context manager.

    ``base_url`` is what ``openai.OpenAI(base_url=...)`` takes; ``requests`` lists what arrived.
    """

    def __init__(self, *, port: int = 0, latency_scale: float = DEFAULT_LATENCY_SCALE,
                 error_rates: Mapping[int, float] | None = None, seed: int | None = 0,
                 retry_after_s: float = DEFAULT_RETRY_AFTER_S, record_requests: bool = True) -> None:  # fmt: skip
        if latency_scale < 0:
            raise ValueError(f"latency_scale must be >= 0, got {latency_scale!r}")
        rates = dict(error_rates or {})
        bad = {k: v for k, v in rates.items() if k not in _ERRORS or not 0 <= v <= 1}
        if bad or sum(rates.values()) > 1:
            raise ValueError(
                f"error_rates: statuses {sorted(_ERRORS)} with shares in [0, 1] summing to <= 1, got {rates}"
            )
        self.port = port
        self.latency_scale = latency_scale
        self.error_rates = rates
        self.retry_after_s = retry_after_s
        self.record_requests = record_requests
        self.requests: list[RecordedRequest] = []
        self._seed_rng = random.Random(seed)
        self._lock = threading.Lock()
        self._prefixes: set[str] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> DemoServer:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer(("127.0.0.1", self.port), _Handler)
        httpd.demo = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="llm-agent-demo-server", daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # --- used by the handler --------------------------------------------------------------------
    def _rng(self) -> random.Random:
        with self._lock:
            return random.Random(self._seed_rng.getrandbits(64))

    def _random_error(self, rng: random.Random) -> int:
        roll = rng.random()
        for status, share in sorted(self.error_rates.items()):
            if roll < share:
                return status
            roll -= share
        return 0

    def _latency(self, seconds: float, rng: random.Random) -> float:
        return max(0.0, seconds * self.latency_scale * rng.uniform(0.6, 1.6))

    def _cached_tokens(self, items: Any) -> int:
        """Imitates OpenAI prompt caching: the longest prefix seen before, from 1024 tokens, in 128s."""
        if not isinstance(items, list):
            return 0
        keys = [hashlib.sha1(json.dumps(items[: i + 1], sort_keys=True, default=str).encode()).hexdigest()
                for i in range(len(items))]  # fmt: skip
        with self._lock:
            hit = max((i + 1 for i, k in enumerate(keys[:-1]) if k in self._prefixes), default=0)
            if len(self._prefixes) > MAX_CACHED_PREFIXES:
                self._prefixes.clear()
            self._prefixes.update(keys)
        if not hit:
            return 0
        prefix = [m if isinstance(m, Mapping) else {} for m in items[:hit]]
        tokens = _text.messages_tokens(prefix)
        return tokens // _text.CACHE_STEP_TOKENS * _text.CACHE_STEP_TOKENS if tokens >= _text.CACHE_MIN_TOKENS else 0

    def _record(self, handler: BaseHTTPRequestHandler, body: Any) -> None:
        if not self.record_requests:
            return
        headers = {k.lower(): v for k, v in handler.headers.items() if k.lower() not in ("authorization", "api-key")}
        with self._lock:
            self.requests.append(RecordedRequest(handler.command, handler.path, headers, body))
