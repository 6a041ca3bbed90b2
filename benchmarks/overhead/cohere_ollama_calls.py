"""Cohere and Ollama scenarios for ab.py: chat, its stream and (Cohere) rerank, bare against instrumented.

The clients talk to an in-process mock transport of the SDKs' HTTP library (httpx), answering as
the Cohere v2 API and the Ollama server do.  The bare call goes through subclasses whose methods
are the originals (for Cohere also the raw client's ``chat``, patched under ``chat``): the same
public code path, without the wrappers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

COHERE_MODEL: Final = "command-r-plus"
OLLAMA_MODEL: Final = "llama3.2:1b"
#: Text chunks in a streamed answer, as in the OpenAI stream scenario.
STREAM_CHUNKS: Final = 50
MESSAGES: Final = [
    {"role": "system", "content": "You are a terse geography assistant."},
    {"role": "user", "content": "What is the capital of France?"},
]
DOCUMENTS: Final = [f"Document {i} about European capitals." for i in range(20)]
_USAGE: Final = {
    "billed_units": {"input_tokens": 12, "output_tokens": 8},
    "tokens": {"input_tokens": 90, "output_tokens": 9},
}
_COHERE_CHAT: Final = json.dumps(
    {
        "id": "bench-1",
        "finish_reason": "COMPLETE",
        "message": {"role": "assistant", "content": [{"type": "text", "text": "The capital of France is Paris."}]},
        "usage": _USAGE,
    }
).encode()
_COHERE_EVENTS: Final = [
    {"id": "bench-1", "type": "message-start", "delta": {"message": {"role": "assistant"}}},
    *(
        {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": f"tok{i} "}}}}
        for i in range(STREAM_CHUNKS)
    ),
    {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": _USAGE}},
]
_COHERE_SSE: Final = (
    "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in _COHERE_EVENTS) + "data: [DONE]\n\n"
).encode()
_RERANK: Final = json.dumps(
    {
        "id": "bench-r",
        "results": [{"index": i, "relevance_score": 1 / (i + 1)} for i in range(3)],
        "meta": {"billed_units": {"search_units": 1}},
    }
).encode()
_DONE: Final = {
    "done": True,
    "done_reason": "stop",
    "total_duration": 2_500_000,
    "prompt_eval_count": 24,
    "eval_count": STREAM_CHUNKS,
    "eval_duration": 2_000_000,
}
_OLLAMA_CHAT: Final = json.dumps(
    {"model": OLLAMA_MODEL, "message": {"role": "assistant", "content": "Paris."}, **_DONE}
).encode()
_OLLAMA_STREAM: Final = (
    b"".join(
        json.dumps(
            {"model": OLLAMA_MODEL, "message": {"role": "assistant", "content": f"tok{i} "}, "done": False}
        ).encode()
        + b"\n"
        for i in range(STREAM_CHUNKS)
    )
    + json.dumps({"model": OLLAMA_MODEL, "message": {"role": "assistant", "content": ""}, **_DONE}).encode()
    + b"\n"
)


def _original(cls: type, name: str) -> Any:
    method = cls.__dict__[name]
    return getattr(method, "__wrapped__", method)


def cohere_calls() -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """scenario -> (bare call, instrumented call)."""
    import cohere
    import httpx
    from cohere.v2.client import V2Client
    from cohere.v2.raw_client import RawV2Client

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/rerank"):
            return httpx.Response(200, content=_RERANK, headers={"content-type": "application/json"})
        if json.loads(request.content).get("stream"):
            return httpx.Response(200, content=_COHERE_SSE, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, content=_COHERE_CHAT, headers={"content-type": "application/json"})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    inst = cohere.ClientV2(api_key="bench", base_url="https://bench.cohere.test", httpx_client=http)
    bare_raw = type("BareRaw", (RawV2Client,), {"chat": _original(RawV2Client, "chat")})
    bare = type("BareV2", (V2Client,), {n: _original(V2Client, n) for n in ("chat", "chat_stream", "rerank")})(
        client_wrapper=inst._client_wrapper
    )
    bare._raw_client = bare_raw(client_wrapper=inst._client_wrapper)
    kwargs: dict[str, Any] = {"model": COHERE_MODEL, "messages": MESSAGES, "temperature": 0.2, "max_tokens": 64}
    rerank: dict[str, Any] = {"model": "rerank-v3.5", "query": "capital of France?", "documents": DOCUMENTS, "top_n": 3}

    def consume(stream: Any) -> None:
        for _chunk in stream:
            pass

    return {
        "cohere_chat": (lambda: bare.chat(**kwargs), lambda: inst.chat(**kwargs)),
        "cohere_stream": (lambda: consume(bare.chat_stream(**kwargs)), lambda: consume(inst.chat_stream(**kwargs))),
        "cohere_rerank": (lambda: bare.rerank(**rerank), lambda: inst.rerank(**rerank)),
    }


def ollama_calls() -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """scenario -> (bare call, instrumented call)."""
    import httpx
    import ollama

    def handler(request: httpx.Request) -> httpx.Response:
        body = _OLLAMA_STREAM if json.loads(request.content).get("stream") else _OLLAMA_CHAT
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    transport = httpx.MockTransport(handler)
    inst = ollama.Client(host="http://127.0.0.1:11434", transport=transport)
    bare_cls = type("BareClient", (ollama.Client,), {"chat": _original(ollama.Client, "chat")})
    bare = bare_cls(host="http://127.0.0.1:11434", transport=transport)
    options = {"temperature": 0.2, "num_predict": 64}

    def consume(stream: Any) -> None:
        for _chunk in stream:
            pass

    return {
        "ollama_chat": (
            lambda: bare.chat(OLLAMA_MODEL, MESSAGES, options=options),
            lambda: inst.chat(OLLAMA_MODEL, MESSAGES, options=options),
        ),
        "ollama_stream": (
            lambda: consume(bare.chat(OLLAMA_MODEL, MESSAGES, stream=True, options=options)),
            lambda: consume(inst.chat(OLLAMA_MODEL, MESSAGES, stream=True, options=options)),
        ),
    }
