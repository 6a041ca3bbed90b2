"""Cohere beyond the matrix: request keys, async embed/rerank, unknown usage, context, content
privacy, the funnel, uninstrument, and the model analysis over a real SQLite sink."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import wrapt

import llm_agent
import llm_agent.analysis
from llm_agent.instrumentation.cohere._extract import REQUEST_KEYS, count, request_attributes
from llm_agent.testing import SpanCapture, capture_spans, expect_internal_errors
from tests._request_keys import assert_keys_cover
from tests.cohere.cohere_helpers import CHAT_BODY, EVENTS, MESSAGES, MODEL, Mock, attrs_of, make, sse

SERVER = {"server.address": "mock.cohere.test", "server.port": 443, "gen_ai.provider.name": "cohere"}
EMBED_BODY = {
    "id": "emb-1", "response_type": "embeddings_by_type", "texts": ["a", "b"],
    "embeddings": {"float": [[0.1, 0.2], [0.3, 0.4]]},
    "meta": {"api_version": {"version": "2"}, "billed_units": {"input_tokens": 4}, "tokens": {"input_tokens": 6}},
}
RERANK_BODY = {
    "id": "rr-1", "results": [{"index": 1, "relevance_score": 0.9}],
    "meta": {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}},
}
DOCUMENTS = ["Paris is in France.", "Berlin is in Germany.", "Rome is in Italy."]


def test_request_keys_cover_what_the_request_side_reads() -> None:
    every_option = {
        "model": MODEL, "messages": MESSAGES, "temperature": 0.3, "p": 0.9, "k": 40, "max_tokens": 64, "seed": 7,
        "frequency_penalty": 0.1, "presence_penalty": 0.2, "stop_sequences": ["END"], "tools": [],
        "texts": ["a"], "embedding_types": ["float"], "output_dimension": 256, "input_type": "search_query",
        "query": "q", "documents": DOCUMENTS, "top_n": 2,
    }
    assert_keys_cover(request_attributes, REQUEST_KEYS, ("chat", "embeddings", "rerank"), every_option)


async def test_async_embed_and_rerank(spans: SpanCapture) -> None:
    mock = Mock(body=EMBED_BODY)
    client = make(mock, is_async=True)
    response = await client.embed(model="embed-v4.0", input_type="search_document", texts=["a", "b"],
                                  embedding_types=["float"], output_dimension=256)
    assert response.embeddings.float_ == [[0.1, 0.2], [0.3, 0.4]]
    mock.body = RERANK_BODY
    reranked = await client.rerank(model="rerank-v3.5", query="capital of France?", documents=DOCUMENTS, top_n=1)
    assert reranked.results[0].index == 1
    embed, rerank = spans.records
    assert attrs_of(embed) == {
        **SERVER,
        "gen_ai.operation.name": "embeddings",
        "gen_ai.span.kind": "EMBEDDING",
        "gen_ai.request.model": "embed-v4.0",
        "gen_ai.request.encoding_formats": ("float",),
        "gen_ai.embeddings.dimension_count": 256,
        "gen_ai.response.id": "emb-1",
        "gen_ai.usage.input_tokens": 6,
        "cohere.usage.billed.input_tokens": 4,
    }
    assert attrs_of(rerank) == {
        **SERVER,
        "gen_ai.operation.name": "rerank",
        "gen_ai.span.kind": "RERANKER",
        "gen_ai.request.model": "rerank-v3.5",
        "gen_ai.response.id": "rr-1",
        "llm_agent.rerank.documents": 3,
        "llm_agent.rerank.top_n": 1,
        "cohere.usage.billed.search_units": 1,
    }
    # The rerank span has no usage at all, and is not marked as missing it either.
    assert [(r.input_tokens, r.output_tokens, r.usage_missing) for r in spans.records] == [
        (6, None, False), (None, None, False),
    ]


def test_unknown_usage_is_never_zero(spans: SpanCapture) -> None:
    body = {key: value for key, value in CHAT_BODY.items() if key != "usage"}
    make(Mock(body=body)).chat(model=MODEL, messages=MESSAGES)
    record = spans.one()
    assert (record.input_tokens, record.output_tokens, record.usage_missing) == (None, None, True)
    assert (count(3.0), count(3), count(2.5), count(-1.0), count(True), count(None)) == (3, 3, None, None, None, None)


def test_a_stream_cut_short_has_unknown_usage(spans: SpanCapture) -> None:
    stream = make(Mock(body=sse(EVENTS[:3], done=False), content_type="text/event-stream")).chat_stream(
        model=MODEL, messages=MESSAGES
    )
    assert len(list(stream)) == 3
    record = spans.one()
    assert (record.input_tokens, record.usage_missing) == (None, True)
    assert record.attributes["gen_ai.response.id"] == "chat-1"


def test_session_and_user_on_every_span(spans: SpanCapture) -> None:
    mock = Mock()
    client = make(mock)
    with llm_agent.session("s-cohere", user_id="u-1"):
        client.chat(model=MODEL, messages=MESSAGES)
        mock.body, mock.content_type = sse(EVENTS), "text/event-stream"
        list(client.chat_stream(model=MODEL, messages=MESSAGES))
        mock.body, mock.content_type = EMBED_BODY, "application/json"
        client.embed(model="embed-v4.0", input_type="search_document", texts=["a"])
        mock.body = RERANK_BODY
        client.rerank(model="rerank-v3.5", query="q", documents=DOCUMENTS)
    assert [(r.operation, r.session_id, r.user_id) for r in spans.records] == [
        ("chat", "s-cohere", "u-1"), ("chat", "s-cohere", "u-1"),
        ("embeddings", "s-cohere", "u-1"), ("rerank", "s-cohere", "u-1"),
    ]


def test_content_never_holds_image_bytes() -> None:
    image = "data:image/png;base64," + "A" * 400
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "what is this?"},
                                     {"type": "image_url", "image_url": {"url": image}},
                                     {"type": "image_url", "image_url": {"url": "https://example.test/cat.png"}}]},
    ]
    with capture_spans(instrument=["cohere"], capture_content=True) as spans:
        make(Mock()).chat(model=MODEL, messages=messages)
        captured = json.loads(spans.one().attributes["gen_ai.input.messages"])
    assert captured == [
        {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
        {"role": "user", "parts": [
            {"type": "text", "content": "what is this?"},
            {"type": "blob", "modality": "image", "mime_type": "image/png", "size": len(image)},
            {"type": "uri", "modality": "image", "uri": "https://example.test/cat.png"},
        ]},
    ]


def test_reading_failure_leaves_the_result_unchanged(spans: SpanCapture, monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_agent.instrumentation.cohere import _provider

    def broken(*args: Any) -> Any:
        raise RuntimeError("injected")

    monkeypatch.setattr(_provider.CHAT, "read_response", broken)
    with expect_internal_errors() as errors:
        response = make(Mock()).chat(model=MODEL, messages=MESSAGES)
    assert response.message.content[0].text == "ok"
    assert [where for where, _ in errors] == ["cohere.response"]
    assert spans.one().name == f"chat {MODEL}"


def test_uninstrument_restores_exactly_and_instrument_is_idempotent(spans: SpanCapture) -> None:
    from cohere.v2.client import AsyncV2Client, V2Client

    methods = ("chat", "chat_stream", "embed", "rerank")
    wrapped = {(cls, m): cls.__dict__[m] for cls in (V2Client, AsyncV2Client) for m in methods}
    assert all(isinstance(w, wrapt.FunctionWrapper) for w in wrapped.values())
    llm_agent.instrument("cohere")  # again: nothing changes
    assert {(cls, m): cls.__dict__[m] for cls, m in wrapped} == wrapped
    llm_agent.uninstrument("cohere")
    try:
        originals = {(cls, m): cls.__dict__[m] for cls, m in wrapped}
        assert {key: fn is wrapped[key].__wrapped__ for key, fn in originals.items()} == dict.fromkeys(wrapped, True)
        make(Mock()).chat(model=MODEL, messages=MESSAGES)
        assert spans.records == []
    finally:
        llm_agent.instrument("cohere")
    make(Mock()).chat(model=MODEL, messages=MESSAGES)
    assert spans.one().name == f"chat {MODEL}"


def test_model_analysis_over_a_real_sqlite_sink(tmp_path: Path) -> None:
    sink = tmp_path / "sink.db"
    llm_agent.init(backends=["sqlite"], sink_path=str(sink), instrument=["cohere"], schedule_delay_s=0.05)
    try:
        mock = Mock()
        client = make(mock)
        with llm_agent.session("s-co", user_id="bob"):
            client.chat(model=MODEL, messages=MESSAGES)
            mock.body, mock.content_type = sse(EVENTS), "text/event-stream"
            list(client.chat_stream(model=MODEL, messages=MESSAGES))
            mock.body, mock.content_type = EMBED_BODY, "application/json"
            client.embed(model="embed-v4.0", input_type="search_document", texts=["a", "b"])
            mock.body = RERANK_BODY
            client.rerank(model="rerank-v3.5", query="q", documents=DOCUMENTS)
        assert llm_agent.flush(10.0)
    finally:
        llm_agent.shutdown()
    with llm_agent.analysis.open(sink) as store:
        (summary,) = store.sessions()
        # The rerank span is no LLM call and brings no tokens; the embedding's tokens count.
        assert (summary.session_id, summary.user_id, summary.llm_calls) == ("s-co", "bob", 3)
        assert (summary.input_tokens, summary.output_tokens, summary.cache_read_tokens) == (60 + 60 + 6, 3 + 3, 16)
        assert (summary.errors, summary.usage_missing_calls) == (0, 0)
        models = {m.model: (m.providers, m.requests, m.input_tokens, m.output_tokens) for m in store.models()}
        assert models == {MODEL: (("cohere",), 2, 120, 6), "embed-v4.0": (("cohere",), 1, 6, 0)}
        detail = store.model(MODEL)
        assert (detail.requests, detail.cache_read_tokens, detail.finish_reasons) == (2, 16, {"COMPLETE": 2})


def test_a_client_made_before_instrument_and_raw_responses_are_traced_once(spans: SpanCapture) -> None:
    """``ClientV2.__init__`` binds ``self.chat`` to the class's method of the time: the raw client's
    ``chat`` under it is patched too, and passes through when called from a traced ``chat``."""
    llm_agent.uninstrument("cohere")
    early = make(Mock())
    llm_agent.instrument("cohere")
    early.chat(model=MODEL, messages=MESSAGES)
    assert attrs_of(spans.one()) == {
        **SERVER,
        "gen_ai.operation.name": "chat",
        "gen_ai.span.kind": "LLM",
        "gen_ai.request.model": MODEL,
        "gen_ai.response.id": "chat-2",
        "gen_ai.response.finish_reasons": ("COMPLETE",),
        "gen_ai.usage.input_tokens": 60,
        "gen_ai.usage.output_tokens": 3,
        "gen_ai.usage.cache_read.input_tokens": 8,
        "cohere.usage.billed.input_tokens": 5,
        "cohere.usage.billed.output_tokens": 2,
    }
    first = attrs_of(spans.one())
    spans.clear()
    raw = make(Mock()).with_raw_response.chat(model=MODEL, messages=MESSAGES)
    assert raw.data.id == "chat-2" and raw.status_code == 200
    assert attrs_of(spans.one()) == first


def test_the_bedrock_client_names_its_platform() -> None:
    import cohere

    from llm_agent.instrumentation.cohere._provider import provider_of

    bedrock = cohere.BedrockClientV2(aws_region="us-east-1", aws_access_key="a", aws_secret_key="b")
    assert (provider_of(bedrock), provider_of(make(Mock()))) == ("aws.bedrock", "cohere")
