"""LiteLLM passes OpenAI's ``response_format`` on: it names gen_ai.output.type (the shared reader),
and the deferred request side keeps it."""

from __future__ import annotations

import pydantic
import pytest

from llm_agent.config import Settings
from llm_agent.instrumentation.litellm._extract import REQUEST_KEYS, request_attributes


class Answer(pydantic.BaseModel):
    answer: int


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [({"type": "json_object"}, "json"), ({"type": "json_schema", "json_schema": {}}, "json"), (Answer, "json"),
     ({"type": "text"}, "text"), (None, None)],
)  # fmt: skip
def test_response_format(fmt: object, expected: str | None) -> None:
    kwargs = {"model": "gpt-4o-mini"} | ({"response_format": fmt} if fmt is not None else {})
    assert request_attributes("chat", kwargs, Settings(capture_content=False)).get("gen_ai.output.type") == expected
    assert "response_format" in REQUEST_KEYS
