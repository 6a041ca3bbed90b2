"""Fuzz: malformed OpenAI responses never change what the app gets, never raise from llm_agent.

Hypothesis mutates realistic bodies and stream chunk sequences (fields dropped, set to null,
replaced by a value of the wrong type, extra fields added, whole chunks replaced) for chat, chat
streams, Responses (plain and streamed), embeddings and legacy completions (plain and streamed).
Each body is served through the SDK's own ``MockTransport`` to the REAL instrumented client and,
on the very same bytes, to the original (unwrapped) SDK method. The contract checked per example:

* the app receives exactly what the SDK gives it: same type and ``repr`` of the result, of every
  stream chunk/event, or the same exception class and message;
* llm_agent reports no internal error (a malformed response is recorded as unknown, not a crash);
* every instrumented call ends exactly one span: one record per call, and the SDK never warns that
  ``end()`` was called on an ended span.

(Hypothesis seeds the global ``random`` per example, so span ids repeat across examples; they are
not used to tell spans apart here.)
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import openai
import openai._base_client as _base_client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llm_agent import _errors
from llm_agent.testing import SpanCapture, capture_spans

HTTP: Any = getattr(_base_client, "httpx2", None) or _base_client.httpx
API_KEY = "test_openai_api_key"
EXAMPLES = 25
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

USAGE = {
    "prompt_tokens": 10,
    "completion_tokens": 4,
    "total_tokens": 14,
    "prompt_tokens_details": {"cached_tokens": 2},
    "completion_tokens_details": {"reasoning_tokens": 1},
}
CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o-mini",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Hi",
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
                ],
            },
            "finish_reason": "stop",
        }
    ],
    "usage": USAGE,
}
CHAT_CHUNKS = [
    {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
     "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]},
    {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
     "choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]},
    {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
     "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                                        "function": {"name": "f", "arguments": "{\"a\""}}]},
                  "finish_reason": None}]},
    {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini",
     "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini", "choices": [],
     "usage": USAGE},
]  # fmt: skip
RESPONSE = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1,
    "status": "completed",
    "model": "gpt-4o-mini",
    "output": [
        {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
         "content": [{"type": "output_text", "text": "Paris", "annotations": []}]},
        {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{}"},
    ],
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
    "usage": {"input_tokens": 5, "input_tokens_details": {"cached_tokens": 1}, "output_tokens": 2,
              "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 7},
}  # fmt: skip
RESPONSE_EVENTS = [
    {"type": "response.created", "sequence_number": 0, "response": {**RESPONSE, "status": "in_progress", "output": []}},
    {"type": "response.output_text.delta", "sequence_number": 1, "item_id": "msg_1", "output_index": 0,
     "content_index": 0, "delta": "Par"},
    {"type": "response.output_text.delta", "sequence_number": 2, "item_id": "msg_1", "output_index": 0,
     "content_index": 0, "delta": "is"},
    {"type": "response.completed", "sequence_number": 3, "response": RESPONSE},
]  # fmt: skip
EMBEDDINGS = {
    "object": "list",
    "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
    "model": "text-embedding-3-small",
    "usage": {"prompt_tokens": 3, "total_tokens": 3},
}
COMPLETION = {
    "id": "cmpl-1",
    "object": "text_completion",
    "created": 1,
    "model": "gpt-3.5-turbo-instruct",
    "choices": [{"index": 0, "text": "Paris", "logprobs": None, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5},
}
COMPLETION_CHUNKS = [
    {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "gpt-3.5-turbo-instruct",
     "choices": [{"index": 0, "text": "Par", "logprobs": None, "finish_reason": None}]},
    {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "gpt-3.5-turbo-instruct",
     "choices": [{"index": 0, "text": "is", "logprobs": None, "finish_reason": "stop"}]},
    {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "gpt-3.5-turbo-instruct", "choices": [],
     "usage": {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}},
]  # fmt: skip


class _EndedTwice(logging.Handler):
    """Collects the SDK's "Calling end() on an ended span" warnings."""

    def emit(self, record: logging.LogRecord) -> None:
        if "ended span" in record.getMessage():
            ENDED_TWICE.append(record.getMessage())


ENDED_TWICE: list[str] = []
logging.getLogger("opentelemetry.sdk.trace").addHandler(_EndedTwice())

# --- strategies ---------------------------------------------------------------------------------

WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.just([]),
    st.just({}),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
EXTRA_KEYS = st.sampled_from(["extra", "usage", "model", "choices", "x_vendor", "finish_reason", "content"])


def mutated(value: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """``value`` itself, or a copy with some fields dropped/nulled/mistyped and extra fields added."""
    if isinstance(value, dict):
        return _mutated_dict(value, depth)
    if isinstance(value, list):
        return st.one_of(st.just(value), st.tuples(*[mutated(v, depth + 1) for v in value]).map(list), WRONG)
    return st.one_of(st.just(value), WRONG) if depth > 0 else st.just(value)


def _mutated_dict(value: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    fields = {}
    for key, item in value.items():
        # each field: keep (mutated deeper), or drop it (a sentinel)
        fields[key] = st.one_of(mutated(item, depth + 1), st.just(_DROP))
    extra = st.dictionaries(EXTRA_KEYS, WRONG, max_size=2)

    def build(parts: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
        kept, added = parts
        out = {k: v for k, v in kept.items() if v is not _DROP}
        for k, v in added.items():
            out.setdefault(k, v)
        return out

    built = st.tuples(st.fixed_dictionaries(fields), extra).map(build)
    return st.one_of(st.just(value), built, WRONG) if depth > 0 else st.one_of(st.just(value), built)


_DROP = object()


def chunk_sequences(chunks: list[dict[str, Any]]) -> st.SearchStrategy[list[Any]]:
    """Chunks mutated one by one, sometimes reordered, truncated or with a duplicated chunk."""
    each = st.tuples(*[mutated(c) for c in chunks]).map(list)
    return st.one_of(
        each,
        each.flatmap(lambda cs: st.permutations(cs)),
        each.flatmap(lambda cs: st.integers(0, len(cs)).map(lambda n: cs[:n])),
        each.map(lambda cs: cs + cs[-1:]),
    )


# --- serving and comparing ------------------------------------------------------------------------


def sse(items: list[Any], named: bool) -> bytes:
    out = []
    for item in items:
        kind = item.get("type") if named and isinstance(item, dict) else None
        prefix = f"event: {kind}\n" if isinstance(kind, str) and kind.isprintable() and "\n" not in kind else ""
        out.append(f"{prefix}data: {json.dumps(item)}\n\n")
    if not named:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def clients(status: int, body: bytes, ctype: str) -> tuple[Any, Any]:
    def handler(request: Any) -> Any:
        return HTTP.Response(status, content=body, headers={"content-type": ctype})

    sync = openai.OpenAI(
        api_key=API_KEY, base_url="https://api.openai.com/v1", max_retries=0,
        http_client=HTTP.Client(transport=HTTP.MockTransport(handler)),
    )  # fmt: skip
    async_ = openai.AsyncOpenAI(
        api_key=API_KEY, base_url="https://api.openai.com/v1", max_retries=0,
        http_client=HTTP.AsyncClient(transport=HTTP.MockTransport(handler)),
    )  # fmt: skip
    return sync, async_


def original(resource: Any, method: str) -> Callable[..., Any]:
    """The SDK's own method, bypassing llm_agent's class-level wrapper."""
    attr = type(resource).__dict__[method]
    return getattr(attr, "__wrapped__", attr).__get__(resource)


def outcome(call: Callable[[], Any], stream: bool) -> tuple[str, Any]:
    """What the app observes: the result's type and repr, each chunk's, or the exception's."""
    try:
        result = call()
        if stream:
            items = []
            with result as s:
                for item in s:
                    items.append((type(item).__name__, repr(item)))
            return "stream", items
        return type(result).__name__, repr(result)
    except Exception as exc:  # the app sees it: compare it
        return "raised " + type(exc).__qualname__, str(exc)


async def aoutcome(call: Callable[[], Any], stream: bool) -> tuple[str, Any]:
    try:
        result = await call()
        if stream:
            items = []
            async with result as s:
                async for item in s:
                    items.append((type(item).__name__, repr(item)))
            return "stream", items
        return type(result).__name__, repr(result)
    except Exception as exc:
        return "raised " + type(exc).__qualname__, str(exc)


#: shape -> (resource attribute path, method kwargs, stream?, named SSE events?)
CHAT_ARGS = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
SHAPES: dict[str, tuple[tuple[str, ...], dict[str, Any], bool, bool]] = {
    "chat": (("chat", "completions"), CHAT_ARGS, False, False),
    "chat_stream": (("chat", "completions"), {**CHAT_ARGS, "stream": True, "stream_options": {"include_usage": True}},
                    True, False),
    "responses": (("responses",), {"model": "gpt-4o-mini", "input": "hi"}, False, False),
    "responses_stream": (("responses",), {"model": "gpt-4o-mini", "input": "hi", "stream": True}, True, True),
    "embeddings": (("embeddings",), {"model": "text-embedding-3-small", "input": "hi"}, False, False),
    "completion": (("completions",), {"model": "gpt-3.5-turbo-instruct", "prompt": "hi"}, False, False),
    "completion_stream": (("completions",), {"model": "gpt-3.5-turbo-instruct", "prompt": "hi", "stream": True},
                          True, False),
}  # fmt: skip


def resource_of(client: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        client = getattr(client, name)
    return client


def check_one(capture: SpanCapture, shape: str, payload: Any, is_async: bool) -> None:
    path, kwargs, stream, named = SHAPES[shape]
    if stream:
        body, ctype = sse(payload, named), "text/event-stream"
    else:
        body, ctype = json.dumps(payload).encode(), "application/json"
    sync, async_ = clients(200, body, ctype)
    errors_before = _errors.internal_error_count()
    before = len(capture.records)
    if is_async:
        res = resource_of(async_, path)
        expected = asyncio.run(aoutcome(lambda: original(res, "create")(**kwargs), stream))
        got = asyncio.run(aoutcome(lambda: res.create(**kwargs), stream))
    else:
        res = resource_of(sync, path)
        expected = outcome(lambda: original(res, "create")(**kwargs), stream)
        got = outcome(lambda: res.create(**kwargs), stream)
    assert got == expected
    assert _errors.internal_error_count() == errors_before, _errors.collected[-1:]
    new = capture.records[before:]
    assert len(new) == 1, [r.name for r in new]
    assert not ENDED_TWICE, ENDED_TWICE
    (span,) = new
    # unknown is never zero: a token count the (mangled) response did not carry is None
    if span.input_tokens is not None:
        assert isinstance(span.input_tokens, int)


def _fuzz(shape: str, base: Any, is_async: bool = False) -> None:
    strategy = chunk_sequences(base) if SHAPES[shape][2] else mutated(base)
    with capture_spans(instrument=["openai"]) as capture:

        @FUZZ_SETTINGS
        @given(payload=strategy)
        def run(payload: Any) -> None:
            check_one(capture, shape, payload, is_async)

        run()


def test_fuzz_chat() -> None:
    _fuzz("chat", CHAT)


def test_fuzz_chat_async() -> None:
    _fuzz("chat", CHAT, is_async=True)


def test_fuzz_chat_stream() -> None:
    _fuzz("chat_stream", CHAT_CHUNKS)


def test_fuzz_chat_stream_async() -> None:
    _fuzz("chat_stream", CHAT_CHUNKS, is_async=True)


def test_fuzz_responses() -> None:
    _fuzz("responses", RESPONSE)


def test_fuzz_responses_stream() -> None:
    _fuzz("responses_stream", RESPONSE_EVENTS)


def test_fuzz_embeddings() -> None:
    _fuzz("embeddings", EMBEDDINGS)


def test_fuzz_completion() -> None:
    _fuzz("completion", COMPLETION)


def test_fuzz_completion_stream() -> None:
    _fuzz("completion_stream", COMPLETION_CHUNKS)


def test_fuzz_non_json_and_error_bodies() -> None:
    """Bodies that are not the documented shape at all: HTML, a JSON list, an error envelope, 500s."""
    bodies = [
        (200, b"<html>gateway</html>", "text/html"),
        (200, b"[1, 2, 3]", "application/json"),
        (200, b"null", "application/json"),
        (200, b'{"error": {"message": "boom"}}', "application/json"),
        (500, b'{"error": null}', "application/json"),
        (429, b"not json", "text/plain"),
        (200, b"data: {not json}\n\ndata: [DONE]\n\n", "text/event-stream"),
    ]
    with capture_spans(instrument=["openai"]) as capture:
        for status, body, ctype in bodies:
            for shape in ("chat", "chat_stream", "embeddings", "responses"):
                path, kwargs, stream, _named = SHAPES[shape]
                sync, _ = clients(status, body, ctype)
                res = resource_of(sync, path)
                before = len(capture.records)
                got = outcome(lambda res=res, kwargs=kwargs: res.create(**kwargs), stream)
                expected = outcome(lambda res=res, kwargs=kwargs: original(res, "create")(**kwargs), stream)
                assert got == expected
                assert len(capture.records) - before == 1
