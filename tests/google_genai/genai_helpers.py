"""google-genai test helpers: recorded cassettes, clients of both backends, a loopback server.

The cassettes (tests/cassettes/google_genai, provenance in its README.md) are replayed by vcrpy in
``record_mode="none"``; vcrpy intercepts httpx (google-genai 1.x/2.x) and httpx2 (3.x, the default
transport there), so the real SDK runs end to end on every supported release.  Shapes the
recordings lack (API errors, errors inside a stream, a dropped connection) come from a loopback
HTTP server answering with bodies in the API's own JSON, whatever transport the SDK uses.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from google import genai
from google.auth import credentials as auth_credentials
from google.genai import types

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes" / "google_genai"
API_KEY = "test_gemini_api_key"
GEMINI_SERVER = {"server.address": "generativelanguage.googleapis.com", "server.port": 443}
VERSION = tuple(int(p) for p in genai.__version__.split(".")[:2])
#: google-genai reads ``responseId`` from Gemini API responses from 1.29 on (Vertex AI: always);
#: before, the SDK's object has no id, and so neither has the span (docs/gemini.md).
GEMINI_RESPONSE_ID = VERSION >= (1, 29)


def gemini_id(value: str) -> dict[str, str]:
    """The response-id attribute a Gemini API span has under the installed SDK."""
    return {"gen_ai.response.id": value} if GEMINI_RESPONSE_ID else {}


class FakeCredentials(auth_credentials.Credentials):  # type: ignore[misc]
    """Credentials that never refresh and always report valid (``AnonymousCredentials`` is refused)."""

    def __init__(self) -> None:
        super().__init__()
        self.token = "test-token"

    def refresh(self, request: Any) -> None:
        return None

    @property
    def valid(self) -> bool:
        return True


#: The clients made lately, kept alive: ``genai.Client`` closes its HTTP client when collected,
#: so ``gemini_client().models.generate_content(...)`` would lose it mid-call otherwise.
_recent: list[genai.Client] = []
_KEEP_CLIENTS = 8


def _keep(client: genai.Client) -> genai.Client:
    _recent.append(client)
    del _recent[:-_KEEP_CLIENTS]
    return client


def gemini_client(base_url: str | None = None) -> genai.Client:
    """A Gemini API client on ``/v1beta`` (what the cassettes were recorded against)."""
    options = types.HttpOptions(api_version="v1beta", base_url=base_url)
    return _keep(genai.Client(api_key=API_KEY, http_options=options))


def vertex_client(
    project: str = "test-project", location: str = "test-location", base_url: str | None = None, **flags: Any
) -> genai.Client:
    """A Vertex AI client (``vertexai=True`` unless ``flags`` says ``enterprise=True``)."""
    if not flags:
        flags = {"vertexai": True}
    options = types.HttpOptions(base_url=base_url) if base_url else None
    return _keep(
        genai.Client(project=project, location=location, credentials=FakeCredentials(), http_options=options, **flags)
    )


def _case_insensitive_method(r1: Any, r2: Any) -> None:
    # openinference's async files store the method lower-case (recorded through aiohttp).
    assert r1.method.upper() == r2.method.upper()


def _parsed_body_serializer() -> Any:
    """pydantic-ai's cassette format (``parsed_body`` instead of ``body``; see the README)."""
    import yaml

    class ParsedBody:
        @staticmethod
        def deserialize(text: str) -> Any:
            data = yaml.safe_load(text)
            for interaction in data["interactions"]:
                for side in ("request", "response"):
                    part = interaction[side]
                    if "parsed_body" in part:
                        body = json.dumps(part.pop("parsed_body"))
                        part["body"] = body if side == "request" else {"string": body}
            return data

        @staticmethod
        def serialize(data: Any) -> str:
            raise NotImplementedError("record_mode is none")

    return ParsedBody


@pytest.fixture
def cassette() -> Callable[[str], Any]:
    """``with cassette("name"):`` replays tests/cassettes/google_genai/name.yaml, never the network."""
    import vcr

    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none",
        match_on=["ci_method", "scheme", "host", "port", "path", "query"],
        decode_compressed_response=True,
    )
    recorder.register_matcher("ci_method", _case_insensitive_method)
    recorder.register_serializer("parsed_body", _parsed_body_serializer())

    def use(name: str) -> Any:
        if name.startswith("parsed_body/"):
            return recorder.use_cassette(f"{name}.yaml", serializer="parsed_body")
        return recorder.use_cassette(f"{name}.yaml")

    return use


def recorded_request(name: str, index: int = 0) -> dict[str, Any]:
    """The JSON body of the ``index``-th request recorded in cassette ``name``."""
    import yaml

    data = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text())
    return dict(json.loads(data["interactions"][index]["request"]["body"]))


# --- loopback server ------------------------------------------------------------------------------

#: A reply: (HTTP status, body bytes, content type), or ``DROP`` to cut the body off mid-way.
Reply = tuple[int, bytes, str]
#: How often the server thread checks for shutdown (seconds): short, so a test ends at once.
POLL_S = 0.01


#: ``error.type`` of what each HTTP library the SDK may send with raises on a cut-off body.
DROPPED_CONNECTION_ERRORS = {
    ("httpx", "RemoteProtocolError"): "httpx.RemoteProtocolError",
    ("httpx2", "RemoteProtocolError"): "httpx2.RemoteProtocolError",
    ("aiohttp", "ClientPayloadError"): "aiohttp.client_exceptions.ClientPayloadError",
}


def dropped_connection_error(cls: type) -> str:
    """The expected ``error.type`` of a cut-off stream (AssertionError for an unexpected class)."""
    key = (cls.__module__.split(".")[0], cls.__name__)
    assert key in DROPPED_CONNECTION_ERRORS, f"unexpected error for a dropped connection: {cls}"
    return DROPPED_CONNECTION_ERRORS[key]


def dropped_connection_class(is_async: bool) -> type[BaseException]:
    """What the installed SDK's transport raises on a cut-off body (async may go through aiohttp)."""
    from google.genai import _api_client

    if is_async and getattr(_api_client, "has_aiohttp", False):
        import aiohttp

        return aiohttp.ClientPayloadError  # type: ignore[no-any-return]
    http: Any = getattr(_api_client, "httpx2", None) or _api_client.httpx
    return http.RemoteProtocolError  # type: ignore[no-any-return]


def sse(*chunks: dict[str, Any]) -> bytes:
    """Server-sent events as the API sends them (``data: {...}\\r\\n\\r\\n``)."""
    return b"".join(b"data: " + json.dumps(c).encode() + b"\r\n\r\n" for c in chunks)


def api_error(code: int, message: str, status: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "status": status}}).encode()


class Loopback:
    """A local HTTP server answering every POST with the next queued reply; records the paths.

    A reply whose content type is ``"text/event-stream; drop"`` announces a longer body than it
    sends and closes the connection: the client sees the stream cut off after those events.
    """

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.paths: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                owner.paths.append(self.path)
                status, body, ctype = owner.replies.pop(0) if owner.replies else (500, b"{}", "application/json")
                drop = ctype.endswith("; drop")
                self.send_response(status)
                self.send_header("content-type", ctype.removesuffix("; drop"))
                self.send_header("content-length", str(len(body) + (1000 if drop else 0)))
                if drop:
                    self.send_header("connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                if drop:
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(POLL_S,), daemon=True)
        self.thread.start()

    def reply(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.replies.append((status, body, ctype))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    server = Loopback()
    try:
        yield server
    finally:
        server.close()


def response_json(text: str = "Hello!", *, model: str = "gemini-2.0-flash", rid: str = "resp-1",
                  usage: dict[str, Any] | None = None, finish: str | None = "STOP") -> dict[str, Any]:
    """A ``GenerateContentResponse`` in the API's JSON (camelCase), as the server sends it."""
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    body: dict[str, Any] = {"candidates": [candidate], "modelVersion": model, "responseId": rid}
    if usage is not None:
        body["usageMetadata"] = usage
    return body
