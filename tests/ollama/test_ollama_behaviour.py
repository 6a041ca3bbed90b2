"""Ollama beyond the matrix: request keys, positional arguments, ``embed``, ``generate`` streams,
unknown usage, context, image privacy, the module functions under uninstrument, the registry, and
the model analysis over a real SQLite sink."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ollama
import pytest
import wrapt

import llm_agent
import llm_agent.analysis
from llm_agent.config import Settings
from llm_agent.instrumentation.ollama._extract import REQUEST_KEYS, request_attributes
from llm_agent.testing import SpanCapture, capture_spans, expect_internal_errors
from tests._request_keys import assert_keys_cover
from tests.ollama.ollama_helpers import (
    CHAT_BODY,
    CHUNKS,
    DONE,
    FINAL_ATTRS,
    MESSAGES,
    MODEL,
    Mock,
    attrs_of,
    make,
    ndjson,
)

SERVER = {"server.address": "127.0.0.1", "server.port": 11434, "gen_ai.provider.name": "ollama"}
EMBED_BODY = {
    "model": "nomic-embed-text", "embeddings": [[0.1, 0.2], [0.3, 0.4]],
    "total_duration": 40_000_000, "load_duration": 10_000_000, "prompt_eval_count": 9,
}
GENERATE_CHUNKS = [
    {"model": MODEL, "created_at": "2025-05-19T09:26:59.678947Z", "response": "Hel", "done": False},
    {"model": MODEL, "created_at": "2025-05-19T09:26:59.689977Z", "response": "lo", "done": False},
    {"model": MODEL, "created_at": "2025-05-19T09:26:59.698682Z", "response": "", **DONE},
]


def test_request_keys_cover_what_the_request_side_reads() -> None:
    every_option = {
        "model": MODEL, "messages": MESSAGES, "prompt": "p", "system": "s", "input": ["a"], "tools": [],
        "stream": True, "dimensions": 256, "format": "json", "images": [b"x"], "keep_alive": "5m",
        "options": {"temperature": 0.1, "top_p": 0.9, "top_k": 40, "num_predict": 64, "seed": 1,
                    "stop": ["END"], "frequency_penalty": 0.5, "presence_penalty": 0.5},
    }
    assert_keys_cover(request_attributes, REQUEST_KEYS, ("chat", "text_completion", "embeddings"), every_option)
    typed = {**every_option, "options": ollama.Options(temperature=0.1, num_predict=64)}
    # An ``ollama.Options`` model reads as its dict would.
    assert request_attributes("chat", typed, Settings()) == request_attributes(
        "chat", {**every_option, "options": {"temperature": 0.1, "num_predict": 64}}, Settings()
    )


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
async def test_positional_arguments_and_embed(spans: SpanCapture, is_async: bool) -> None:
    mock = Mock(body=EMBED_BODY)
    client = make(mock, is_async)

    async def run(result: Any) -> Any:
        return await result if is_async else result

    response = await run(client.embed("nomic-embed-text", ["a", "b"], None, None, None, 2))
    assert response.embeddings == [[0.1, 0.2], [0.3, 0.4]] and mock.bodies[-1]["input"] == ["a", "b"]
    mock.body = CHAT_BODY
    await run(client.chat(MODEL, MESSAGES))
    mock.body = {"model": MODEL, "response": "ok", **DONE}
    await run(client.generate(MODEL, "say ok"))
    embed, chat, generate = (attrs_of(r) for r in spans.records)
    assert embed == {
        **SERVER,
        "gen_ai.operation.name": "embeddings",
        "gen_ai.span.kind": "EMBEDDING",
        "gen_ai.request.model": "nomic-embed-text",
        "gen_ai.embeddings.dimension_count": 2,
        "gen_ai.response.model": "nomic-embed-text",
        "gen_ai.usage.input_tokens": 9,
        "ollama.response.total_duration": 0.04,
        "ollama.response.load_duration": 0.01,
    }
    assert chat == {**SERVER, "gen_ai.operation.name": "chat", "gen_ai.span.kind": "LLM",
                    "gen_ai.request.model": MODEL, **FINAL_ATTRS}
    assert generate == {**SERVER, "gen_ai.operation.name": "text_completion", "gen_ai.span.kind": "LLM",
                        "gen_ai.request.model": MODEL, **FINAL_ATTRS}


async def test_async_generate_stream(spans: SpanCapture) -> None:
    stream = await make(Mock(body=ndjson(GENERATE_CHUNKS)), is_async=True).generate(
        MODEL, "say hello", stream=True, format="json"
    )
    assert [chunk.response async for chunk in stream] == ["Hel", "lo", ""]
    record = spans.one()
    assert record.attributes["llm_agent.stream.chunks"] == 3
    assert attrs_of(record) == {
        **SERVER,
        "gen_ai.operation.name": "text_completion",
        "gen_ai.span.kind": "LLM",
        "gen_ai.request.model": MODEL,
        "gen_ai.request.stream": True,
        "gen_ai.output.type": "json",
        **FINAL_ATTRS,
    }


def test_a_prompt_from_the_cache_has_unknown_input_tokens(spans: SpanCapture) -> None:
    """Ollama leaves ``prompt_eval_count`` out when its KV cache held the whole prompt: unknown, not 0."""
    body = {key: value for key, value in CHAT_BODY.items() if key != "prompt_eval_count"}
    make(Mock(body=body)).chat(MODEL, MESSAGES)
    record = spans.one()
    assert (record.input_tokens, record.output_tokens, record.usage_missing) == (None, 4, False)
    spans.clear()
    make(Mock(body={k: v for k, v in body.items() if k != "eval_count"})).chat(MODEL, MESSAGES)
    assert (spans.one().input_tokens, spans.one().output_tokens, spans.one().usage_missing) == (None, None, True)


def test_session_and_user_on_every_span(spans: SpanCapture) -> None:
    mock = Mock()
    client = make(mock)
    with llm_agent.session("s-ollama", user_id="u-2"):
        client.chat(MODEL, MESSAGES)
        mock.body = ndjson(CHUNKS)
        list(client.chat(MODEL, MESSAGES, stream=True))
        mock.body = EMBED_BODY
        client.embed("nomic-embed-text", "a")
    assert [(r.operation, r.session_id, r.user_id) for r in spans.records] == [
        ("chat", "s-ollama", "u-2"), ("chat", "s-ollama", "u-2"), ("embeddings", "s-ollama", "u-2"),
    ]


def test_content_never_holds_image_bytes() -> None:
    image = b"\x89PNG" + b"\x00" * 1000
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "what?", "images": [image]}]
    with capture_spans(instrument=["ollama"], capture_content=True) as spans:
        make(Mock()).chat(MODEL, messages)
        captured = json.loads(spans.one().attributes["gen_ai.input.messages"])
    assert captured == [
        {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
        {"role": "user", "parts": [{"type": "text", "content": "what?"},
                                   {"type": "blob", "modality": "image", "size": 1004}]},
    ]


def test_reading_failure_leaves_the_result_unchanged(spans: SpanCapture, monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_agent.instrumentation.ollama import _provider

    def broken(*args: Any) -> Any:
        raise RuntimeError("injected")

    monkeypatch.setattr(_provider.CHAT, "read_response", broken)
    with expect_internal_errors() as errors:
        response = make(Mock()).chat(MODEL, MESSAGES)
    assert response.message.content == "ok"
    assert [where for where, _ in errors] == ["ollama.response"]
    assert spans.one().name == f"chat {MODEL}"


def test_module_functions_and_classes_are_restored_exactly(spans: SpanCapture) -> None:
    methods = ("chat", "generate", "embed", "embeddings")
    classes = (ollama.Client, ollama.AsyncClient)
    wrapped = {(cls, m): cls.__dict__[m] for cls in classes for m in methods}
    assert all(isinstance(w, wrapt.FunctionWrapper) for w in wrapped.values())
    assert all(isinstance(getattr(ollama, m), wrapt.BoundFunctionWrapper) for m in methods)
    llm_agent.instrument("ollama")  # again: nothing changes
    assert {(cls, m): cls.__dict__[m] for cls, m in wrapped} == wrapped
    llm_agent.uninstrument("ollama")
    try:
        assert all(cls.__dict__[m] is wrapped[(cls, m)].__wrapped__ for cls, m in wrapped)
        # The module functions are the SDK's own bound methods of its import-time client again.
        assert [type(getattr(ollama, m)).__name__ for m in methods] == ["method"] * 4
        assert all(getattr(ollama, m).__self__ is ollama._client for m in methods)
        make(Mock()).chat(MODEL, MESSAGES)
        assert spans.records == []
    finally:
        llm_agent.instrument("ollama")
    assert all(isinstance(getattr(ollama, m), wrapt.BoundFunctionWrapper) for m in methods)
    make(Mock()).chat(MODEL, MESSAGES)
    assert spans.one().name == f"chat {MODEL}"


def test_registry_finds_both_and_init_instruments_them_by_default() -> None:
    from cohere.v2.client import V2Client

    from llm_agent.instrumentation import INSTRUMENTORS, LIBRARIES, installed_libraries

    assert {"cohere", "ollama"} <= set(installed_libraries())
    assert (LIBRARIES["cohere"], LIBRARIES["ollama"]) == ("cohere", "ollama")
    assert set(INSTRUMENTORS) >= {"cohere", "ollama"}
    with capture_spans():  # no instrument list: every installed library
        assert isinstance(V2Client.__dict__["chat"], wrapt.FunctionWrapper)
        assert isinstance(ollama.Client.__dict__["chat"], wrapt.FunctionWrapper)


def test_model_analysis_over_a_real_sqlite_sink(tmp_path: Path) -> None:
    sink = tmp_path / "sink.db"
    llm_agent.init(backends=["sqlite"], sink_path=str(sink), instrument=["ollama"], schedule_delay_s=0.05)
    try:
        mock = Mock()
        client = make(mock)
        with llm_agent.session("s-ol", user_id="carol"):
            client.chat(MODEL, MESSAGES)
            mock.body = ndjson(CHUNKS)
            list(client.chat(MODEL, MESSAGES, stream=True))
            mock.body = EMBED_BODY
            client.embed("nomic-embed-text", ["a", "b"])
            mock.status, mock.body = 404, {"error": "model 'gone' not found"}
            with pytest.raises(ollama.ResponseError):
                client.chat("gone", MESSAGES)
        assert llm_agent.flush(10.0)
    finally:
        llm_agent.shutdown()
    with llm_agent.analysis.open(sink) as store:
        (summary,) = store.sessions()
        assert (summary.session_id, summary.user_id, summary.llm_calls, summary.errors) == ("s-ol", "carol", 4, 1)
        assert (summary.input_tokens, summary.output_tokens) == (11 + 11 + 9, 4 + 4)
        models = {m.model: (m.providers, m.requests, m.errors, m.input_tokens, m.output_tokens) for m in store.models()}
        assert models == {
            MODEL: (("ollama",), 2, 0, 22, 8),
            "nomic-embed-text": (("ollama",), 1, 0, 9, 0),
            "gone": (("ollama",), 1, 1, 0, 0),
        }
        detail = store.model(MODEL)
        assert (detail.requests, detail.finish_reasons, detail.ttft.count) == (2, {"stop": 2}, 1)


def test_time_to_first_chunk_counts_from_the_request(spans: SpanCapture) -> None:
    """The stream posts when first iterated: a pause before iterating is not time to first chunk."""
    import time

    stream = make(Mock(body=ndjson(CHUNKS))).chat(MODEL, MESSAGES, stream=True)
    time.sleep(0.3)
    list(stream)
    record = spans.one()
    assert record.ttft_s is not None and record.ttft_s < 0.3
    assert (record.end_ns - record.start_ns) / 1e9 >= 0.3  # the span itself starts at the call
