"""Cohere chat's ``response_format`` names gen_ai.output.type (through the shared reader), and the
deferred request side keeps the argument."""

from __future__ import annotations

import pytest

from llm_agent.config import Settings
from llm_agent.instrumentation.cohere._extract import REQUEST_KEYS, request_attributes


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [({"type": "json_object", "schema": {"type": "object"}}, "json"), ({"type": "text"}, "text"), (None, None)],
)
def test_response_format(fmt: object, expected: str | None) -> None:
    kwargs = {"model": "command-r", "messages": []} | ({"response_format": fmt} if fmt is not None else {})
    attrs = request_attributes("chat", kwargs, Settings(capture_content=False))
    assert attrs.get("gen_ai.output.type") == expected
    assert "response_format" in REQUEST_KEYS
