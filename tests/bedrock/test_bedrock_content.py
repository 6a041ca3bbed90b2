"""Captured content (only with capture_content), in the shape the other providers write; failure injection."""

from __future__ import annotations

import json
from typing import Any

import pytest

from llm_agent.testing import capture_spans, expect_internal_errors
from tests.bedrock.bedrock_helpers import client, recorded_converse, recorded_invoke, use_cassette

TOOL_CASSETTE = "test_converse_tool_call_with_content"


def content(record: Any) -> dict[str, Any]:
    """The content attributes of a span, JSON decoded."""
    keys = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions", "gen_ai.tool.definitions")
    return {k: json.loads(record.attributes[k]) for k in keys if k in record.attributes}


def test_converse_content_with_tool_calls() -> None:
    request = recorded_converse(TOOL_CASSETTE)
    with capture_spans(instrument=["bedrock"], capture_content=True) as spans:
        with use_cassette(TOOL_CASSETTE):
            response = client().converse(**request)
        record = spans.records[0]
    uses = [b["toolUse"] for b in response["output"]["message"]["content"] if "toolUse" in b]
    assert content(record) == {
        "gen_ai.input.messages": request["messages"],
        "gen_ai.tool.definitions": request["toolConfig"]["tools"],
        "gen_ai.output.messages": [
            {
                "role": "assistant",
                "content": response["output"]["message"]["content"][0]["text"],
                "tool_calls": [{"id": u["toolUseId"], "name": u["name"], "arguments": u["input"]} for u in uses],
                "finish_reason": "tool_use",
            }
        ],
    }
    assert [u["input"] for u in uses] == [{"location": "Seattle"}, {"location": "San Francisco"}]


def test_converse_stream_content() -> None:
    name = "test_converse_stream_with_content_tool_call"
    with capture_spans(instrument=["bedrock"], capture_content=True) as spans:
        with use_cassette(name):
            events = list(client().converse_stream(**recorded_converse(name))["stream"])
        record = spans.records[0]
    text = "".join(e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e)
    out = content(record)["gen_ai.output.messages"]
    assert out == [
        {
            "role": "assistant",
            "content": text,
            "tool_calls": [
                {"name": "get_current_weather", "arguments": '{"location":"Seattle"}'},
                {"name": "get_current_weather", "arguments": '{"location":"San Francisco"}'},
            ],
            "finish_reason": "tool_use",
        }
    ]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("test_invoke_model_with_content[anthropic.claude]", 'Okay, I said "This is a test"'),
        ("test_invoke_model_with_content[meta.llama]", " post. This is a test post. This is"),
        ("test_invoke_model_with_content[amazon.titan]", " comment\nHello! I am writing this as a"),
        ("test_invoke_model_with_content[mistral.mistral]", "\n\nA man stands before a crowd of people"),
    ],
)
def test_invoke_model_content(name: str, text: str) -> None:
    kwargs = recorded_invoke(name)
    with capture_spans(instrument=["bedrock"], capture_content=True) as spans:
        with use_cassette(name):
            client().invoke_model(**kwargs)["body"].read()
        record = spans.records[0]
    body = json.loads(kwargs["body"])
    found = content(record)
    sent = body.get("messages") or [{"role": "user", "content": body.get("prompt", body.get("inputText"))}]
    assert found["gen_ai.input.messages"] == sent
    assert found["gen_ai.output.messages"][0]["content"] == text


def test_invoke_stream_content() -> None:
    name = "test_invoke_model_with_response_stream_with_content[anthropic.claude]"
    with capture_spans(instrument=["bedrock"], capture_content=True) as spans:
        with use_cassette(name):
            list(client().invoke_model_with_response_stream(**recorded_invoke(name))["body"])
        record = spans.records[0]
    assert content(record)["gen_ai.output.messages"] == [
        {"role": "assistant", "content": "Okay, I will repeat: This is a test", "finish_reason": "max_tokens"}
    ]


def test_no_content_by_default() -> None:
    with capture_spans(instrument=["bedrock"]) as spans:
        with use_cassette(TOOL_CASSETTE):
            client().converse(**recorded_converse(TOOL_CASSETTE))
        assert content(spans.records[0]) == {}


def test_reader_failure_leaves_the_result_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our response reader raising is reported, the span still ends, the app gets botocore's dict."""
    from llm_agent.instrumentation.bedrock import _provider

    def broken(*args: Any) -> dict[str, Any]:
        raise RuntimeError("reader bug")

    monkeypatch.setattr(_provider.CONVERSE, "read_response", broken)
    with capture_spans(instrument=["bedrock"]) as spans, expect_internal_errors() as errors:
        with use_cassette("test_converse_with_content"):
            response = client().converse(**recorded_converse("test_converse_with_content"))
        assert response["stopReason"] == "max_tokens"
        assert len(spans.records) == 1
    assert [where for where, _ in errors] == ["bedrock.response"]
