"""A failure inside our DashScope readers never changes what the app gets: the same result or
chunks, the call made once; the internal error goes to the error funnel and the span still ends."""

from __future__ import annotations

from typing import Any

import dashscope
import pytest

from llm_agent.instrumentation.dashscope import _provider, _stream
from llm_agent.testing import SpanCapture, expect_internal_errors
from tests.dashscope.dashscope_helpers import MODEL, ClassicServer, MockAPI, stream_events, text_body


class Injected(Exception):
    pass


def explode(*args: Any, **kwargs: Any) -> Any:
    raise Injected("extraction bug")


def test_response_reader_failure(spans: SpanCapture, classic: ClassicServer, monkeypatch: pytest.MonkeyPatch) -> None:
    classic.json(text_body("fine"))
    monkeypatch.setattr(_provider.GENERATION, "read_response", explode)
    with expect_internal_errors() as errors:
        result = dashscope.Generation.call(model=MODEL, prompt="hi")
    assert (result.status_code, result.output.text) == (200, "fine")
    assert [(where, type(exc)) for where, exc in errors] == [("dashscope.response", Injected)]
    assert len(classic.requests) == 1
    record = spans.one()
    assert (record.request_model, record.input_tokens, record.status) == (MODEL, None, "UNSET")


def test_request_reader_failure(spans: SpanCapture, classic: ClassicServer, monkeypatch: pytest.MonkeyPatch) -> None:
    classic.json(text_body("fine"))
    monkeypatch.setattr(_provider, "request_attributes", explode)
    with expect_internal_errors() as errors:
        result = dashscope.Generation.call(model=MODEL, prompt="hi")
        record = spans.one()  # read when the span is built: the span is kept, without the request side
    assert result.output.text == "fine"
    assert [(where, type(exc)) for where, exc in errors] == [("dashscope.request", Injected)]
    assert (record.name, record.input_tokens, record.request_model) == (f"chat {MODEL}", 12, None)


def test_chunk_reader_failure(spans: SpanCapture, api: MockAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    api.stream(stream_events(["Hel", "lo"], cumulative=False, message=True))
    monkeypatch.setattr(_stream.ChunkAccumulator, "add", explode)
    with expect_internal_errors() as errors:
        stream = api.client().chat.completions.create(model=MODEL, messages="hi", stream=True)
        chunks = [c.delta.content for c in stream]
    assert chunks == ["Hel", "lo"]  # every chunk reached the app
    assert [(where, type(exc)) for where, exc in errors] == [("dashscope.stream_chunk", Injected)] * 2
    assert spans.one().attributes["llm_agent.stream.chunks"] == 2
