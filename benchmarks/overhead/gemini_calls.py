"""Gemini scenarios for ab.py: ``generate_content`` and its stream, bare against instrumented.

The client talks to an in-process mock transport of the SDK's own HTTP library (httpx2 in
google-genai 3.x, httpx before), answering as the Gemini API does.  llm_agent patches the private
per-request methods (``Models._generate_content``/``_generate_content_stream``) and wraps the
public stream method's generator, so the bare call goes through a ``Models`` subclass whose
methods are the originals: the same public code path, without the wrappers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

MODEL: Final = "gemini-2.5-flash"
#: Text chunks in the streamed answer, as in the OpenAI stream scenario.
STREAM_CHUNKS: Final = 50
PROMPT_TOKENS: Final = 24
CONTENTS: Final = "What is the capital of France?"
SYSTEM: Final = "You are a terse geography assistant."


def _response(text: str, index: int, finish: bool) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}
    if finish:
        candidate["finishReason"] = "STOP"
    usage = {
        "promptTokenCount": PROMPT_TOKENS,
        "candidatesTokenCount": index + 1,
        "totalTokenCount": PROMPT_TOKENS + index + 1,
    }
    return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": MODEL, "responseId": "bench-1"}


_PLAIN: Final = json.dumps(_response("The capital of France is Paris.", 7, True)).encode()
_SSE: Final = b"".join(
    b"data: " + json.dumps(_response(f"tok{i} ", i, i == STREAM_CHUNKS - 1)).encode() + b"\r\n\r\n"
    for i in range(STREAM_CHUNKS)
)


def _http() -> Any:
    from google.genai import _api_client

    return getattr(_api_client, "httpx2", None) or _api_client.httpx


def client() -> Any:
    """A Gemini API client whose requests are answered in process."""
    from google import genai
    from google.genai import types

    http = _http()

    def handler(request: Any) -> Any:
        if b"streamGenerateContent" in request.url.raw_path:
            return http.Response(200, content=_SSE, headers={"content-type": "text/event-stream"})
        return http.Response(200, content=_PLAIN, headers={"content-type": "application/json"})

    options = types.HttpOptions(httpx_client=http.Client(transport=http.MockTransport(handler)))
    return genai.Client(api_key="bench", http_options=options)


def calls(gclient: Any) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """scenario -> (bare call, instrumented call)."""
    from google.genai import models, types

    originals = {
        name: getattr(models.Models.__dict__[name], "__wrapped__", models.Models.__dict__[name])
        for name in ("_generate_content", "_generate_content_stream", "generate_content_stream")
    }
    bare_models = type("BareModels", (models.Models,), originals)(gclient._api_client)
    inst_models = gclient.models
    config = types.GenerateContentConfig(system_instruction=SYSTEM, temperature=0.2, max_output_tokens=64)

    def consume(stream: Any) -> None:
        for _chunk in stream:
            pass

    return {
        "gemini": (
            lambda: bare_models.generate_content(model=MODEL, contents=CONTENTS, config=config),
            lambda: inst_models.generate_content(model=MODEL, contents=CONTENTS, config=config),
        ),
        "gemini_stream": (
            lambda: consume(bare_models.generate_content_stream(model=MODEL, contents=CONTENTS, config=config)),
            lambda: consume(inst_models.generate_content_stream(model=MODEL, contents=CONTENTS, config=config)),
        ),
    }
