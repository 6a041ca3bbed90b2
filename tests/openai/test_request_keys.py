"""OpenAI's ``REQUEST_KEYS`` names every keyword argument its request side reads with capture off
(tests/_request_keys.py), and a queued span keeps only those."""

from __future__ import annotations

from typing import Any

import pydantic

from llm_agent import semconv
from llm_agent.instrumentation.openai import _provider
from llm_agent.instrumentation.openai._request import REQUEST_KEYS, request_attributes
from tests._request_keys import assert_keys_cover
from tests.openai.conftest import chat_body


class Answer(pydantic.BaseModel):
    text: str


EVERY_OPTION: dict[str, Any] = {
    "model": "m",
    "messages": [{"role": "user", "content": "hi"}],
    "input": "hi",
    "prompt": "hi",
    "instructions": "be brief",
    "tools": [{"type": "function", "function": {"name": "f"}}],
    "temperature": 0.1,
    "top_p": 0.9,
    "frequency_penalty": 0.1,
    "presence_penalty": 0.1,
    "max_tokens": 5,
    "seed": 1,
    "stop": ["x"],
    "n": 2,
    "stream": True,
    "service_tier": "flex",
    "encoding_format": "float",
    "dimensions": 8,
    "response_format": {"type": "json_object"},
    "text": {"format": {"type": "json_schema"}},
    "text_format": Answer,
    "metadata": {"session_id": "s"},
    "user": "u",
}

OPERATIONS = (semconv.OP_CHAT, semconv.OP_TEXT_COMPLETION, semconv.OP_EMBEDDINGS)


def test_request_keys_cover_what_the_request_side_reads() -> None:
    # the output-type checks read on in turn
    assert_keys_cover(request_attributes, REQUEST_KEYS, OPERATIONS, EVERY_OPTION, (None, "response_format", "text"))


def test_the_span_keeps_only_those_keys(api: Any, spans: Any, monkeypatch: Any) -> None:
    api.json("/chat/completions", chat_body())
    kept: list[dict[str, Any]] = []
    real = _provider._request_side

    def spy(op: Any, base_url: Any, kwargs: dict[str, Any], settings: Any) -> dict[str, Any]:
        kept.append(dict(kwargs))
        return real(op, base_url, kwargs, settings)

    monkeypatch.setattr(_provider, "_request_side", spy)
    api.client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x" * 10_000}], temperature=0.5, user="u"
    )
    record = spans.one()
    assert kept == [{"model": "gpt-4o-mini", "temperature": 0.5}]
    assert record.attributes["gen_ai.request.temperature"] == 0.5
