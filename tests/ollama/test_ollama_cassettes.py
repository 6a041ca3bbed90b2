"""Recorded Ollama exchanges replayed through the real SDK: whole spans per call shape.

Each test sends the request recorded in the cassette (tests/cassettes/ollama, provenance in its
README) through the module functions (bound to the client made at import) or ``AsyncClient``.
"""

from __future__ import annotations

import json
from typing import Any

import ollama
import pytest

from llm_agent.testing import SpanCapture, capture_spans
from tests.ollama.ollama_helpers import HOST, attrs_of, cassette, recorded_request

SERVER = {"server.address": "127.0.0.1", "server.port": 11434, "gen_ai.provider.name": "ollama"}
QWEN = {
    **SERVER,
    "gen_ai.operation.name": "chat",
    "gen_ai.span.kind": "LLM",
    "gen_ai.request.model": "qwen3.6:latest",
    "gen_ai.request.temperature": 0,
    "gen_ai.request.seed": 42,
    "gen_ai.response.model": "qwen3.6:latest",
    "gen_ai.response.finish_reasons": ("stop",),
}


def _final(tokens: tuple[int, int], durations_ns: tuple[int, int, int, int]) -> dict[str, Any]:
    """The ``done`` response's usage and server-side durations (nanoseconds in the API, seconds here)."""
    total, load, prompt_eval, evaluation = durations_ns
    return {
        "gen_ai.usage.input_tokens": tokens[0],
        "gen_ai.usage.output_tokens": tokens[1],
        "ollama.response.total_duration": total / 1e9,
        "ollama.response.load_duration": load / 1e9,
        "ollama.response.prompt_eval_duration": prompt_eval / 1e9,
        "ollama.response.eval_duration": evaluation / 1e9,
    }


def test_module_chat(spans: SpanCapture) -> None:
    """``ollama.chat`` is a method of the import-time client: traced all the same."""
    with cassette("test_chat"):
        response = ollama.chat(**recorded_request("test_chat"))
    assert type(response) is ollama.ChatResponse and response.message.content.startswith("The sky appears blue")
    assert attrs_of(spans.one("chat qwen3.6:latest")) == {
        **QWEN, **_final((21, 369), (8313421042, 4768032458, 65296000, 3478845000)),
    }


async def test_async_chat(spans: SpanCapture) -> None:
    with cassette("test_async_chat"):
        await ollama.AsyncClient(host=HOST).chat(**recorded_request("test_async_chat"))
    assert attrs_of(spans.one()) == {**QWEN, **_final((21, 369), (3699126583, 141507000, 59398000, 3484161000))}


def test_chat_stream(spans: SpanCapture) -> None:
    with cassette("test_chat_stream"):
        chunks = list(ollama.chat(**recorded_request("test_chat_stream")))
    assert chunks[-1].done is True and len(chunks) == 714
    record = spans.one()
    assert record.attributes["llm_agent.stream.chunks"] == 714
    assert attrs_of(record) == {
        **QWEN, "gen_ai.request.stream": True, **_final((21, 889), (8625649709, 142828459, 59321000, 8419494000)),
    }


def test_chat_with_tool_call(spans: SpanCapture) -> None:
    with cassette("test_chat_with_tool_call"):
        response = ollama.chat(**recorded_request("test_chat_with_tool_call"))
    assert response.message.tool_calls[0].function.name == "get_current_weather"
    assert attrs_of(spans.one()) == {
        **QWEN,
        "llm_agent.response.tool_call_names": ("get_current_weather",),
        **_final((292, 143), (1735248334, 139246000, 247164000, 1337032000)),
    }


def test_generate(spans: SpanCapture) -> None:
    with cassette("test_ollama_generation_legacy"):
        ollama.generate(**recorded_request("test_ollama_generation_legacy"))
    assert attrs_of(spans.one("text_completion llama3")) == {
        **SERVER,
        "gen_ai.operation.name": "text_completion",
        "gen_ai.span.kind": "LLM",
        "gen_ai.request.model": "llama3",
        "gen_ai.response.model": "llama3",
        "gen_ai.response.finish_reasons": ("stop",),
        **_final((17, 63), (4224430375, 2037300208, 177983000, 2007110000)),
    }


def test_generate_stream(spans: SpanCapture) -> None:
    with cassette("test_ollama_streaming_metrics"):
        chunks = list(ollama.generate(**recorded_request("test_ollama_streaming_metrics")))
    assert len(chunks) == 51
    assert attrs_of(spans.one()) == {
        **SERVER,
        "gen_ai.operation.name": "text_completion",
        "gen_ai.span.kind": "LLM",
        "gen_ai.request.model": "gemma3:1b",
        "gen_ai.request.stream": True,
        "gen_ai.response.model": "gemma3:1b",
        "gen_ai.response.finish_reasons": ("stop",),
        **_final((16, 51), (482007750, 52719542, 44457208, 384438167)),
    }


def test_legacy_embeddings_report_no_usage(spans: SpanCapture) -> None:
    with cassette("test_ollama_embeddings_legacy"):
        response = ollama.embeddings(**recorded_request("test_ollama_embeddings_legacy"))
    assert len(response.embedding) > 0
    assert attrs_of(spans.one()) == {
        **SERVER,
        "gen_ai.operation.name": "embeddings",
        "gen_ai.span.kind": "EMBEDDING",
        "gen_ai.request.model": "llama3",
        "llm_agent.usage.missing": True,  # /api/embeddings reports no counts: unknown, not 0
    }


def test_unknown_model_error(spans: SpanCapture) -> None:
    with pytest.raises(ollama.ResponseError) as caught, cassette("test_chat_error_records_model_name"):
        ollama.chat(**recorded_request("test_chat_error_records_model_name"))
    assert caught.value.status_code == 404
    record = spans.one()
    assert record.status == "ERROR"
    assert attrs_of(record) == {
        **SERVER,
        "gen_ai.operation.name": "chat",
        "gen_ai.span.kind": "LLM",
        "gen_ai.request.model": "nonexistent-model:latest",
        "error.type": "ollama.ResponseError",
    }


def _content(record: Any) -> dict[str, Any]:
    prefixes = ("gen_ai.input", "gen_ai.output", "gen_ai.system", "gen_ai.tool")
    return {k: json.loads(v) for k, v in record.attributes.items() if k.startswith(prefixes)}


def test_content_only_with_capture_content() -> None:
    """Thinking is a reasoning part, tool calls have their arguments as objects (and no id)."""
    request = recorded_request("test_chat_with_tool_call")
    for capture in (False, True):
        with capture_spans(instrument=["ollama"], capture_content=capture) as spans:
            with cassette("test_chat_with_tool_call"):
                response = ollama.chat(**request)
            content = _content(spans.one())
        if not capture:
            assert content == {}
            continue
        message = response.message
        assert content == {
            "gen_ai.input.messages": [
                {"role": "user", "parts": [{"type": "text", "content": request["messages"][0]["content"]}]},
            ],
            "gen_ai.tool.definitions": request["tools"],
            "gen_ai.output.messages": [{
                "role": "assistant",
                "parts": [
                    {"type": "reasoning", "content": message.thinking},
                    {"type": "tool_call", "id": None, "name": "get_current_weather",
                     "arguments": dict(message.tool_calls[0].function.arguments)},
                ],
                "finish_reason": "stop",
            }],
        }


def test_tool_history_and_stream_content() -> None:
    history = recorded_request("test_ollama_chat_tool_calls_legacy")
    with capture_spans(instrument=["ollama"], capture_content=True) as spans:
        with cassette("test_ollama_chat_tool_calls_legacy"):
            ollama.chat(**history)
        with cassette("test_chat_stream"):
            chunks = list(ollama.chat(**recorded_request("test_chat_stream")))
        replay, streamed = (_content(r) for r in spans.records)
    call = history["messages"][0]["tool_calls"][0]["function"]
    assert replay["gen_ai.input.messages"] == [
        {"role": "assistant", "parts": [{"type": "tool_call", "id": None, "name": call["name"],
                                         "arguments": call["arguments"]}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": None,
                                    "response": history["messages"][1]["content"]}]},
    ]
    assert streamed["gen_ai.output.messages"] == [{
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "content": "".join(c.message.thinking or "" for c in chunks)},
            {"type": "text", "content": "".join(c.message.content or "" for c in chunks)},
        ],
        "finish_reason": "stop",
    }]


def test_generate_content() -> None:
    request = {**recorded_request("test_ollama_generation_legacy"), "system": "be brief"}
    with capture_spans(instrument=["ollama"], capture_content=True) as spans:
        with cassette("test_ollama_generation_legacy"):
            response = ollama.generate(**request)
        content = _content(spans.one())
    assert content == {
        "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": request["prompt"]}]}],
        "gen_ai.system_instructions": [{"type": "text", "content": "be brief"}],
        "gen_ai.output.messages": [{
            "role": "assistant", "parts": [{"type": "text", "content": response.response}], "finish_reason": "stop",
        }],
    }
