"""gen_ai.output.type for Bedrock's structured output: Converse ``outputConfig.textFormat`` (read
from the copy the deferred request side keeps) and an Anthropic model's native InvokeModel body."""

from __future__ import annotations

import json

from llm_agent.instrumentation.bedrock._request import converse_request, invoke_request, kept_converse_params

SCHEMA = {"jsonSchema": {"schema": json.dumps({"type": "object"}), "name": "answer"}}


def test_converse_output_config() -> None:
    text_format = {"type": "json_schema", "structure": SCHEMA}
    params = {"modelId": "m", "messages": [], "outputConfig": {"textFormat": text_format}}
    assert converse_request(params, False, 100) == {"gen_ai.output.type": "json"}
    # the deferred side keeps the format's type only, and reads the same
    assert kept_converse_params(params) == {"outputConfig": {"textFormat": {"type": "json_schema"}}}
    assert converse_request(kept_converse_params(params), False, 100) == {"gen_ai.output.type": "json"}
    assert converse_request({"outputConfig": {"effort": "low"}}, False, 100) == {}


def test_invoke_model_anthropic_body() -> None:
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5, "messages": [],
            "output_config": {"format": {"type": "json_schema", "schema": {"type": "object"}}}}  # fmt: skip
    assert invoke_request(json.dumps(body).encode(), False, 100)["gen_ai.output.type"] == "json"
    del body["output_config"]
    assert "gen_ai.output.type" not in invoke_request(json.dumps(body).encode(), False, 100)
