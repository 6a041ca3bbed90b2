"""Captured content, only with ``capture_content``, in the GenAI conventions' message schema; and
``REQUEST_KEYS`` covers what the request side reads with capture off (tests/_request_keys.py)."""

from __future__ import annotations

import json
from typing import Any

import litellm

from llm_agent import semconv
from llm_agent.instrumentation.litellm._extract import (
    REQUEST_KEYS,
    chat_attributes,
    input_messages,
    request_attributes,
    system_instructions,
)
from llm_agent.testing import capture_spans
from tests._request_keys import assert_keys_cover
from tests.litellm import loopback as lb
from tests.litellm.conftest import INSTRUMENTED
from tests.litellm.loopback import Loopback

CONTENT_KEYS = (semconv.GEN_AI_INPUT_MESSAGES, semconv.GEN_AI_OUTPUT_MESSAGES, semconv.GEN_AI_SYSTEM_INSTRUCTIONS,
                semconv.GEN_AI_TOOL_DEFINITIONS, semconv.GEN_AI_EMBEDDINGS_INPUT)  # fmt: skip
HISTORY: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                 {"type": "image_url", "image_url": {"url": "https://img.example/cat.png"}},
                                 {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},
    {"role": "assistant", "content": None,
     "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "cat"}'}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "a cat"},
]  # fmt: skip
TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


def content_of(record: Any) -> dict[str, Any]:
    return {key: json.loads(record.attributes[key]) for key in CONTENT_KEYS if key in record.attributes}


def test_schema_of_the_input() -> None:
    assert system_instructions(HISTORY) == [{"type": "text", "content": "Be brief."}]
    assert input_messages(HISTORY) == [
        {"role": "user", "parts": [
            {"type": "text", "content": "What is this?"},
            {"type": "uri", "modality": "image", "uri": "https://img.example/cat.png"},
            {"type": "blob", "modality": "image", "size": len("data:image/png;base64,AAAA")},  # never the bytes
        ]},
        {"role": "assistant",
         "parts": [{"type": "tool_call", "id": "call_1", "name": "lookup", "arguments": {"q": "cat"}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": "a cat"}]},
    ]  # fmt: skip


def test_schema_of_an_output_with_tool_calls_and_reasoning() -> None:
    response = litellm.ModelResponse(
        id="chatcmpl-t", model="m",
        choices=[{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None, "reasoning_content": "Need to look it up.",
            "tool_calls": [{"id": "call_2", "type": "function",
                            "function": {"name": "lookup", "arguments": "not json"}}],
        }}],
        usage={"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    )  # fmt: skip
    attrs = chat_attributes(response, True, 10_000)
    assert json.loads(attrs.pop(semconv.GEN_AI_OUTPUT_MESSAGES)) == [{
        "role": "assistant", "finish_reason": "tool_calls", "parts": [
            {"type": "reasoning", "content": "Need to look it up."},
            {"type": "tool_call", "id": "call_2", "name": "lookup", "arguments": "not json"},  # kept as given
        ],
    }]  # fmt: skip
    assert attrs[semconv.TOOL_CALL_NAMES] == ["lookup"]
    assert (attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS], attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]) == (3, 2)


def test_content_only_with_capture(server: Loopback) -> None:
    kwargs = {"model": f"openai/{lb.OPENAI_MODEL}", "messages": HISTORY, "tools": TOOLS, "api_base": server.openai_base,
              "api_key": "test_openai_api_key"}  # fmt: skip
    for capture in (False, True):
        with capture_spans(instrument=INSTRUMENTED, capture_content=capture) as spans:
            server.arrange("ok")
            litellm.completion(**kwargs)
            server.arrange("stream")
            list(litellm.completion(**kwargs, stream=True))
            litellm.embedding(model=f"openai/{lb.EMBEDDING_MODEL}", input=["secret text"], api_base=server.openai_base,
                              api_key="test_openai_api_key")  # fmt: skip
            records = list(spans.records)
        if not capture:
            assert [content_of(r) for r in records] == [{}, {}, {}]
            continue
        request = {
            semconv.GEN_AI_SYSTEM_INSTRUCTIONS: system_instructions(HISTORY),
            semconv.GEN_AI_INPUT_MESSAGES: input_messages(HISTORY),
            semconv.GEN_AI_TOOL_DEFINITIONS: TOOLS,
        }
        assert content_of(records[0]) == {**request, semconv.GEN_AI_OUTPUT_MESSAGES: [
            {"role": "assistant", "parts": [{"type": "text", "content": "Hello there"}], "finish_reason": "stop"}]}
        assert content_of(records[1]) == {**request, semconv.GEN_AI_OUTPUT_MESSAGES: [
            {"role": "assistant", "parts": [{"type": "text", "content": "Hello"}], "finish_reason": "stop"}]}
        assert content_of(records[2]) == {semconv.GEN_AI_EMBEDDINGS_INPUT: ["secret text"]}  # fmt: skip


EVERY_OPTION: dict[str, Any] = {
    "model": "openai/m", "messages": HISTORY, "input": "hi", "tools": TOOLS, "temperature": 0.1, "top_p": 0.9,
    "frequency_penalty": 0.1, "presence_penalty": 0.1, "max_tokens": 5, "max_completion_tokens": 6, "top_k": 3,
    "seed": 1, "stop": ["x"], "n": 2, "stream": True, "encoding_format": "float", "dimensions": 8,
}  # fmt: skip


def test_request_keys_cover_what_the_request_side_reads() -> None:
    assert_keys_cover(
        request_attributes, REQUEST_KEYS, (semconv.OP_CHAT, semconv.OP_EMBEDDINGS), EVERY_OPTION,
        drops=(None, "max_tokens", "stop"),
    )  # fmt: skip
