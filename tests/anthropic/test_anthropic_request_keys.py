"""Anthropic's request side on the provider core: read when the span is built, from a copy of the
keyword arguments it reads (``REQUEST_KEYS``), with the client's server address cached per URL."""

from __future__ import annotations

from typing import Any

import pytest

from llm_agent import semconv
from llm_agent.instrumentation.anthropic import _provider
from llm_agent.instrumentation.anthropic._extract import REQUEST_KEYS, request_attributes
from llm_agent.testing import SpanCapture
from tests._request_keys import assert_keys_cover
from tests.anthropic.test_anthropic_lifecycle import KWARGS, MODEL, OK_MESSAGE, REQUEST, Mock, make

EVERY_OPTION: dict[str, Any] = {
    "model": "claude-x",
    "messages": [{"role": "user", "content": "hi"}],
    "prompt": "hi",
    "system": "be brief",
    "tools": [{"name": "f", "input_schema": {"type": "object"}}],
    "temperature": 0.1,
    "top_p": 0.9,
    "top_k": 5,
    "max_tokens": 5,
    "stop_sequences": ["x"],
    "stream": True,
    "metadata": {"user_id": "u"},
}


def test_request_keys_cover_what_the_request_side_reads() -> None:
    # max_tokens_to_sample is read where max_tokens is absent (the legacy completions API)
    operations = (semconv.OP_CHAT, semconv.OP_TEXT_COMPLETION)
    assert_keys_cover(request_attributes, REQUEST_KEYS, operations, EVERY_OPTION, (None, "max_tokens"))


def _json_mock() -> Mock:
    import json

    return Mock(body=json.dumps(OK_MESSAGE).encode(), content_type="application/json")


def test_the_span_keeps_a_copy_of_only_those_keys(spans: SpanCapture, monkeypatch: pytest.MonkeyPatch) -> None:
    kept: list[dict[str, Any]] = []
    real = _provider._request_side

    def spy(op: Any, provider_name: str, base_url: Any, kwargs: dict[str, Any], settings: Any) -> dict[str, Any]:
        kept.append(dict(kwargs))
        return real(op, provider_name, base_url, kwargs, settings)

    monkeypatch.setattr(_provider, "_request_side", spy)
    stop = ["END"]
    long_prompt = [{"role": "user", "content": "x" * 10_000}]
    make(_json_mock()).messages.create(**{**KWARGS, "messages": long_prompt}, stop_sequences=stop)
    stop.append("changed by the app after the call")
    record = spans.one()
    assert kept == [{"model": MODEL, "max_tokens": 64, "stop_sequences": ("END",)}]  # no messages; a copy
    assert list(record.attributes["gen_ai.request.stop_sequences"]) == ["END"]  # as at the call
    assert {k: record.attributes[k] for k in REQUEST} == REQUEST


def test_the_request_side_is_read_at_the_call_with_content_captured(monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_agent.testing import capture_spans

    with capture_spans(instrument=["anthropic"], capture_content=True) as spans:
        messages = [{"role": "user", "content": "hi"}]
        make(_json_mock()).messages.create(model=MODEL, max_tokens=64, messages=messages)
        messages.append({"role": "assistant", "content": "appended later"})
        captured = spans.one().attributes["gen_ai.input.messages"]
    assert "appended later" not in captured and '"hi"' in captured


def test_the_server_address_is_read_once_per_client_url(spans: SpanCapture, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[Any] = []
    real = _provider._servers.read

    def counting(url: Any, settings: Any) -> tuple[str, dict[str, Any]]:
        reads.append(url)
        return real(url, settings)

    _provider._servers.clear()
    monkeypatch.setattr(_provider._servers, "read", counting)
    client = make(_json_mock())
    for _ in range(3):
        client.messages.create(**KWARGS)
    assert len(spans.records) == 3 and len(reads) == 1
    assert {r.attributes["server.address"] for r in spans.records} == {"mock.anthropic.test"}
