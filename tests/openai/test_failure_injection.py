"""A failure inside our extraction code never changes what the app gets: same result, same
exceptions, the call made once; the internal error goes to the error funnel."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from llm_agent.instrumentation.openai import _accumulators, _provider
from llm_agent.testing import capture_spans, expect_internal_errors
from tests.openai.conftest import chat_body, chat_chunks

MESSAGES = [{"role": "user", "content": "hi"}]


class Injected(Exception):
    pass


def explode(*args: Any, **kwargs: Any) -> Any:
    raise Injected("extraction bug")


def test_response_extraction_failure(spans, api, monkeypatch):
    api.json("/chat/completions", chat_body())
    client = api.client()
    monkeypatch.setattr(_provider.CHAT, "read_response", explode)
    with expect_internal_errors() as errors:
        result = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert type(result) is openai.types.chat.ChatCompletion and result.usage.total_tokens == 14
    assert [(where, type(exc)) for where, exc in errors] == [("openai.response", Injected)]
    assert len(api.requests) == 1
    record = spans.one()  # the span still ends, with its request attributes
    assert record.request_model == "gpt-4o-mini" and record.input_tokens is None


def test_request_extraction_failure(spans, api, monkeypatch):
    api.json("/chat/completions", chat_body())
    monkeypatch.setattr(_provider, "request_attributes", explode)
    with expect_internal_errors() as errors:
        result = api.client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        # The request side is read when the span is built (by the exporter): the span is kept,
        # with its response attributes, and without the request's.
        record = spans.one()
    assert result.usage.total_tokens == 14
    assert [(where, type(exc)) for where, exc in errors] == [("openai.request", Injected)]
    assert len(api.requests) == 1
    assert record.name == "chat gpt-4o-mini" and record.input_tokens == 10 and record.request_model is None


def test_request_extraction_failure_with_capture_drops_the_span(api, monkeypatch):
    # With content capture on, the request side is read at the call (the app may change its
    # messages list later): a failure there leaves the call uninstrumented.
    api.json("/chat/completions", chat_body())
    monkeypatch.setattr(_provider, "request_attributes", explode)
    with capture_spans(instrument=["openai"], capture_content=True) as spans:
        with expect_internal_errors() as errors:
            result = api.client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        assert spans.records == []
    assert result.usage.total_tokens == 14
    assert [(where, type(exc)) for where, exc in errors] == [("openai.request", Injected)]
    assert len(api.requests) == 1


def test_request_extraction_failure_keeps_api_exception(spans, api, monkeypatch):
    api.json("/chat/completions", {"error": {"message": "nope", "type": "invalid_request_error"}}, status=400)
    monkeypatch.setattr(_provider, "request_attributes", explode)
    with expect_internal_errors() as errors, pytest.raises(openai.BadRequestError):
        api.client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with expect_internal_errors() as late_errors:
        record = spans.one()
    assert errors == [] and [where for where, _ in late_errors] == ["openai.request"]
    assert record.attributes["error.type"] == "openai.BadRequestError" and len(api.requests) == 1


async def test_chunk_accumulation_failure(spans, api, monkeypatch):
    api.stream("/chat/completions", chat_chunks())
    monkeypatch.setattr(_accumulators.ChatAccumulator, "add", explode)
    with expect_internal_errors() as errors:
        stream = await api.client(is_async=True).chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        )
        chunks = [chunk async for chunk in stream]
    assert [c.choices[0].delta.content for c in chunks[:2]] == ["Hel", "lo"] and len(chunks) == 4
    assert {where for where, _ in errors} == {"openai.stream_chunk"} and len(errors) == 4
    assert spans.one().attributes["llm_agent.stream.chunks"] == 4


def test_stream_end_attributes_failure(spans, api, monkeypatch):
    api.stream("/chat/completions", chat_chunks())
    monkeypatch.setattr(_accumulators.ChatAccumulator, "attributes", explode)
    with expect_internal_errors() as errors:
        chunks = list(api.client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))
        # The accumulator is read when the span is built: by the exporter, on the export thread.
        record = spans.one()
    assert len(chunks) == 4
    assert [where for where, _ in errors] == ["openai.stream_attributes"]
    # The span keeps what the stream proxy itself counted, and ends normally.
    assert record.status == "UNSET" and record.attributes["llm_agent.stream.chunks"] == 4
