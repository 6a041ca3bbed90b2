"""``REQUEST_KEYS`` names every keyword argument the request side reads with capture off.

A call's span keeps only those keys until an export worker builds it, so a key read but not
listed would silently go missing from the span.  A mapping that records every key asked for runs
``request_attributes`` for every operation over a request that gives every option.
"""

from __future__ import annotations

from typing import Any

import pydantic

from llm_agent import semconv
from llm_agent.config import Settings
from llm_agent.instrumentation.openai import _patch
from llm_agent.instrumentation.openai._request import REQUEST_KEYS, request_attributes
from tests.openai.conftest import chat_body


class Recording(dict):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asked: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)


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
    settings = Settings(capture_content=False)
    for operation in OPERATIONS:
        for drop in (None, "response_format", "text"):  # the output-type checks read on in turn
            given = {k: v for k, v in EVERY_OPTION.items() if k != drop}
            kwargs = Recording(given)
            full = request_attributes(operation, kwargs, settings)
            assert kwargs.asked <= REQUEST_KEYS, kwargs.asked - REQUEST_KEYS
            # and the kept keys alone give the same attributes
            kept = {k: v for k, v in given.items() if k in REQUEST_KEYS}
            assert request_attributes(operation, kept, settings) == full


def test_the_span_keeps_only_those_keys(api: Any, spans: Any, monkeypatch: Any) -> None:
    api.json("/chat/completions", chat_body())
    kept: list[dict[str, Any]] = []
    real = _patch._request_side

    def spy(op: Any, base_url: Any, kwargs: dict[str, Any], settings: Any) -> dict[str, Any]:
        kept.append(dict(kwargs))
        return real(op, base_url, kwargs, settings)

    monkeypatch.setattr(_patch, "_request_side", spy)
    api.client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x" * 10_000}], temperature=0.5, user="u"
    )
    record = spans.one()
    assert kept == [{"model": "gpt-4o-mini", "temperature": 0.5}]
    assert record.attributes["gen_ai.request.temperature"] == 0.5
