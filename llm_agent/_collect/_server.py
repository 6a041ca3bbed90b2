"""``llm-agent collect``: a local OTLP/HTTP receiver writing traces into the sqlite sink.

Answers per the OTLP/HTTP specification: 200 with an ``ExportTraceServiceResponse`` (partial
success counts spans it could not use), 400 for a body that does not decode, 411 without a
``Content-Length``, 413 over ``MAX_BODY_BYTES`` (compressed, or once decompressed: a gzip bomb
stops at the limit), 415 for a content type other than ``application/x-protobuf`` or
``application/json``, 503 with ``Retry-After`` while the queue is full (the request is then not
taken at all; exporters retry 503).  Error bodies are a ``google.rpc.Status`` in the request's
encoding.  ``/v1/metrics`` and ``/v1/logs`` answer 200 and are ignored, so exporters that send
all three signals do not log errors.  It binds to loopback unless told otherwise.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from llm_agent._collect import _decode
from llm_agent._collect._ingest import Ingest

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 4318
#: Largest request body accepted, in bytes, before and after gzip decompression.
MAX_BODY_BYTES: Final = 32 * 1024 * 1024
#: What a 503 asks the exporter to wait, in seconds.
RETRY_AFTER_S: Final = 1
#: A body over the limit up to this many times it is read (and discarded) before the 413.
_DRAIN_FACTOR: Final = 4
_PROTOBUF: Final = "application/x-protobuf"
_JSON: Final = "application/json"
_IGNORED_PATHS: Final = ("/v1/metrics", "/v1/logs")
_TRACES_PATH: Final = "/v1/traces"


class BodyTooLarge(ValueError):
    pass


def gunzip_bounded(data: bytes, limit: int) -> bytes:
    """``data`` decompressed, refusing (``BodyTooLarge``) to produce more than ``limit`` bytes."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise _decode.DecodeError(f"not gzip: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise BodyTooLarge(f"decompressed body over {limit} bytes")
    return out


def _status_body(json_body: bool, code: int, message: str) -> bytes:
    """A ``google.rpc.Status`` (gRPC code, message) in the request's encoding."""
    if json_body:
        return json.dumps({"code": code, "message": message}).encode()
    try:
        from google.rpc import status_pb2
    except ImportError:  # googleapis-common-protos absent: the message as text
        return message.encode()
    return bytes(status_pb2.Status(code=code, message=message).SerializeToString())


class _Handler(BaseHTTPRequestHandler):
    server: CollectServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # the live count line says enough
        return None

    def _reply(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, grpc_code: int, message: str, json_body: bool, **headers: str) -> None:
        self._reply(status, _status_body(json_body, grpc_code, message), _JSON if json_body else _PROTOBUF, headers)

    def do_GET(self) -> None:
        self.close_connection = True
        self._reply(405, b"POST OTLP to /v1/traces\n", "text/plain", {"Allow": "POST"})

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        json_body = ctype == _JSON
        if path not in (_TRACES_PATH, *_IGNORED_PATHS):
            self.close_connection = True
            self._error(404, 5, f"no such endpoint {path[:80]!r}: POST OTLP traces to {_TRACES_PATH}", json_body)
            return
        if ctype not in (_PROTOBUF, _JSON):
            self.close_connection = True
            self._error(415, 3, f"unsupported content type {ctype[:80]!r}: send {_PROTOBUF} or {_JSON}", False)
            return
        length_text = self.headers.get("Content-Length")
        try:
            length = int(length_text) if length_text is not None else -1
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._error(411, 3, "a Content-Length is required", json_body)
            return
        limit = self.server.max_body_bytes
        if length > limit:
            # Read and discarded in pieces (a sender still writing would see a reset, not the
            # answer), unless far over the limit: then the connection is just closed.
            self.close_connection = True
            if length <= _DRAIN_FACTOR * limit:
                remaining = length
                while remaining > 0 and (piece := self.rfile.read(min(remaining, 1 << 20))):
                    remaining -= len(piece)
            self._error(413, 8, f"body of {length} bytes is over the limit of {limit}", json_body)
            return
        body = self.rfile.read(length)
        try:
            if (self.headers.get("Content-Encoding") or "").strip().lower() == "gzip":
                body = gunzip_bounded(body, limit)
            if path != _TRACES_PATH:  # metrics and logs: accepted and ignored (docs/collect.md)
                self._reply(200, b"{}" if json_body else b"", _JSON if json_body else _PROTOBUF)
                return
            request = _decode.parse_json(body) if json_body else _decode.parse_protobuf(body)
            spans, rejected = _decode.spans_from_request(request)
        except BodyTooLarge as exc:
            self.close_connection = True
            self._error(413, 8, str(exc), json_body)
            return
        except _decode.DecodeError as exc:
            self._error(400, 3, str(exc)[:500], json_body)
            return
        self.server.answer_traces(self, spans, rejected, json_body)


class CollectServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False  # a port in use must say so, not share it

    def __init__(self, ingest: Ingest, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 max_body_bytes: int = MAX_BODY_BYTES) -> None:  # fmt: skip
        self.ingest = ingest
        self.max_body_bytes = max_body_bytes
        super().__init__((host, port), _Handler)

    @property
    def endpoint(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def answer_traces(self, handler: _Handler, spans: list[Any], rejected: int, json_body: bool) -> None:
        ingest = self.ingest
        if len(spans) > ingest.queue_spans:
            ingest.reject(len(spans) + rejected)
            handler._error(413, 8, f"{len(spans)} spans in one request; at most {ingest.queue_spans}", json_body)
            return
        if spans and not ingest.offer(spans, ingest.offer_wait_s):
            ingest.refuse()
            handler._error(
                503, 14, "the sink's queue is full; retry later", json_body, **{"Retry-After": str(RETRY_AFTER_S)}
            )
            return
        if rejected:
            ingest.reject(rejected)
        pb = _decode._pb()
        response = pb.ExportTraceServiceResponse()
        if rejected:
            response.partial_success.rejected_spans = rejected
            response.partial_success.error_message = f"{rejected} span(s) without a valid trace or span ID"
        if json_body:
            from google.protobuf import json_format

            body = json_format.MessageToJson(response, indent=None).encode()
        else:
            body = response.SerializeToString()
        handler._reply(200, body, _JSON if json_body else _PROTOBUF)


class LiveCount:
    """The one-line live count (stderr, rewritten in place on a terminal, else every few seconds)."""

    def __init__(self, ingest: Ingest, stream: Any = None, interval_s: float = 0.5) -> None:
        self._ingest = ingest
        self._stream = stream or sys.stderr
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._interval_s = interval_s if self._tty else 5.0
        self._stop = threading.Event()
        self._last = ""
        self._thread = threading.Thread(target=self._run, name="llm-agent-collect-count", daemon=True)

    def line(self) -> str:
        s = self._ingest.stats()
        text = f"received {s['received']}  stored {s['stored']}  rejected {s['rejected']}  queued {s['queued']}"
        # Accepted but not written (the sink failed: disk full, a broken file): said, never silent.
        return text + (f"  lost {s['dropped']} (see the log)" if s["dropped"] else "")

    def _show(self, final: bool = False) -> None:
        text = self.line()
        if text == self._last and not final:
            return
        self._last = text
        end = "\n" if final or not self._tty else ""
        prefix = "\r\x1b[2K" if self._tty else ""
        print(f"{prefix}llm-agent collect: {text}", end=end, file=self._stream, flush=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval_s):
            self._show()

    def start(self) -> LiveCount:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
        self._show(final=True)


def start(
    sink_path: str | None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, **ingest_options: Any
) -> tuple[CollectServer, Ingest]:
    """A receiver serving on its own thread (for ``ui --collect`` and tests); ``stop(server)`` ends it.
    ``ingest_options``: ``Ingest``'s (queue size, bytes, how long a request waits for room)."""
    ingest = Ingest(sink_path, **ingest_options)
    try:
        server = CollectServer(ingest, host, port)
    except BaseException:
        ingest.close()
        raise
    threading.Thread(target=server.serve_forever, name="llm-agent-collect", daemon=True).start()
    return server, ingest


def stop(server: CollectServer, timeout_s: float = 60.0) -> None:
    """Stop taking requests, then write everything accepted and close the sink."""
    server.shutdown()
    server.server_close()
    server.ingest.close(timeout_s)


def serve(sink_path: str | None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Receive until Ctrl-C (or SIGTERM); then write what was accepted and say how much."""
    stopping = threading.Event()
    # A handler, not KeyboardInterrupt: a Ctrl-C at any moment (even before the wait, or during
    # the final flush) only asks for the one clean stop below.
    previous = {sig: signal.signal(sig, lambda *_: stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server, ingest = start(sink_path, host, port)
        print(f"llm-agent collect: receiving OTLP/HTTP at {server.endpoint}/v1/traces into {ingest.sink_path} "
              f"(Ctrl-C to stop)", file=sys.stderr, flush=True)  # fmt: skip
        count = LiveCount(ingest).start()
        try:
            while not stopping.wait(1.0):
                pass
        finally:
            stop(server)
            count.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
