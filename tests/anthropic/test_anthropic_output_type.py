"""Anthropic structured output names gen_ai.output.type (GA ``output_config.format``, the beta
``output_format``), through the real SDK against a mock transport, on the deferred request side."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llm_agent.config import Settings
from llm_agent.instrumentation.anthropic._extract import request_attributes
from llm_agent.testing import capture_spans
from tests.anthropic.test_anthropic_lifecycle import KWARGS, OK_MESSAGE, Mock, make

SCHEMA = {"type": "json_schema", "schema": {"type": "object", "properties": {}, "additionalProperties": False}}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [({"output_config": {"format": SCHEMA}}, "json"), ({"output_config": {"effort": "low"}}, None), ({}, None)],
)
def test_output_config_format(extra: dict[str, Any], expected: str | None) -> None:
    mock = Mock(body=json.dumps(OK_MESSAGE).encode(), content_type="application/json")
    with capture_spans(instrument=["anthropic"]) as spans:
        make(mock).messages.create(**KWARGS, **extra)
        attrs = dict(spans.one().attributes)
    assert attrs.get("gen_ai.output.type") == expected


def test_beta_output_format_dict_or_model_class() -> None:
    import pydantic

    class Answer(pydantic.BaseModel):
        answer: int

    settings = Settings(capture_content=False)
    for fmt in (SCHEMA, Answer):
        attrs = request_attributes("chat", {"model": "m", "output_format": fmt}, settings)
        assert attrs["gen_ai.output.type"] == "json"
