"""Ollama test helpers: the real clients against the SDK's own HTTP library's mock transport.

The mock answers with bodies in the native API's shapes (the NDJSON lines and JSON bodies of the
recorded exchanges in tests/cassettes/ollama), so the real client code parses them end to end;
it counts the requests it receives.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import ollama
import yaml

from tests._timing import span_attributes

HOST = "http://127.0.0.1:11434"
MODEL = "llama3.2:1b"
MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "hi"}]
DONE: dict[str, Any] = {
    "done": True, "done_reason": "stop", "total_duration": 2_500_000_000, "load_duration": 500_000_000,
    "prompt_eval_count": 11, "prompt_eval_duration": 250_000_000, "eval_count": 4, "eval_duration": 1_000_000_000,
}
CHUNKS: list[dict[str, Any]] = [
    {"model": MODEL, "created_at": "2025-05-19T09:26:59.678947Z",
     "message": {"role": "assistant", "content": "Hel"}, "done": False},
    {"model": MODEL, "created_at": "2025-05-19T09:26:59.689977Z",
     "message": {"role": "assistant", "content": "lo"}, "done": False},
    {"model": MODEL, "created_at": "2025-05-19T09:26:59.698682Z",
     "message": {"role": "assistant", "content": ""}, **DONE},
]
CHAT_BODY: dict[str, Any] = {
    "model": MODEL, "created_at": "2025-05-19T09:27:00.000000Z",
    "message": {"role": "assistant", "content": "ok"}, **DONE,
}
ERROR_BODY: dict[str, Any] = {"error": f"model '{MODEL}' not found"}
#: What every done response adds: model, reason, usage and the server-side durations in seconds.
FINAL_ATTRS: dict[str, Any] = {
    "gen_ai.response.model": MODEL,
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 11,
    "gen_ai.usage.output_tokens": 4,
    "gen_ai.usage.total_tokens": 15,
    "ollama.response.total_duration": 2.5,
    "ollama.response.load_duration": 0.5,
    "ollama.response.prompt_eval_duration": 0.25,
    "ollama.response.eval_duration": 1.0,
}


def ndjson(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


class Mock:
    """The next answer (``status``, ``body``); ``paths`` and ``bodies`` of the requests received."""

    def __init__(self, status: int = 200, body: Any = None) -> None:
        self.status = status
        self.body: Any = CHAT_BODY if body is None else body
        self.paths: list[str] = []
        self.bodies: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        self.bodies.append(json.loads(request.content or b"null"))
        content = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        return httpx.Response(self.status, content=content, headers={"content-type": "application/json"})


def make(mock: Mock, is_async: bool = False) -> Any:
    transport = httpx.MockTransport(mock)
    cls = ollama.AsyncClient if is_async else ollama.Client
    return cls(host=HOST, transport=transport)


def attrs_of(record: Any) -> dict[str, Any]:
    """A span's attributes, lists as tuples, without the timing and chunk count."""
    return span_attributes(record)


# --- recorded exchanges -----------------------------------------------------------------------------

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes" / "ollama"


def cassette(name: str) -> Any:
    """``with cassette("name"):`` replays tests/cassettes/ollama/name.yaml, never the network."""
    import vcr

    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none",
        match_on=["method", "scheme", "host", "port", "path", "query"],
        decode_compressed_response=True,
    )
    return recorder.use_cassette(f"{name}.yaml")


def recorded_request(name: str, index: int = 0) -> dict[str, Any]:
    """The JSON body of the ``index``-th request recorded in cassette ``name``, as SDK arguments
    (the old SDKs' empty values dropped; ``stream`` kept: it selects the result's shape)."""
    data = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text())
    body = json.loads(data["interactions"][index]["request"]["body"])
    return {key: value for key, value in body.items() if value not in ("", None, [])}
