"""The core's chat-completions readers (instrumentation/_chat.py, _chat_stream.py), shared by the
Groq and Mistral packages: pure functions of SDK-shaped values, checked on their own."""

from __future__ import annotations

import json
from types import SimpleNamespace as NS
from typing import Any

from llm_agent.instrumentation._chat import arguments, content_parts, input_messages, set_usage, usage_counts
from llm_agent.instrumentation._chat_stream import ChunkAccumulator


def test_arguments_are_an_object_only_when_valid_json() -> None:
    assert arguments('{"a": 1}') == {"a": 1}
    assert arguments('{"a": ') == '{"a": '  # cut short: kept as the text it is
    assert arguments({"a": 1}) == {"a": 1}
    assert arguments(None) is None


def test_media_is_a_reference_or_a_size_never_bytes() -> None:
    png = "data:image/png;base64," + "QUJD" * 25 + "QQ=="  # 75 + 1 bytes
    assert content_parts([
        {"type": "image_url", "image_url": {"url": png}},
        {"type": "image_url", "image_url": "https://x.test/a.png"},
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
        {"type": "file", "file_id": "file-1"},
        {"type": "document_url", "document_url": "https://x.test/a.pdf"},
        {"type": "video", "video": "opaque"},
        "plain",
        7,
    ]) == [
        {"type": "blob", "modality": "image", "mime_type": "image/png", "size": 76},
        {"type": "uri", "modality": "image", "uri": "https://x.test/a.png"},
        {"type": "blob", "modality": "audio", "size": 3},
        {"type": "file", "file_id": "file-1"},
        {"type": "uri", "modality": "document", "uri": "https://x.test/a.pdf"},
        {"type": "video"},  # an unmapped kind: its name, not its data
        {"type": "text", "content": "plain"},
    ]


def test_input_messages_of_sdk_models_and_dicts() -> None:
    assistant = NS(role="assistant", content=None,
                   tool_calls=[NS(id="null", function=NS(name="f", arguments='{"x": 1}'))])
    assert input_messages([
        {"role": "user", "content": "hi"},
        assistant,
        {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "done"}]},
        {"content": "no role"},
    ]) == [
        {"role": "user", "parts": [{"type": "text", "content": "hi"}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": None, "name": "f", "arguments": {"x": 1}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": "done"}]},
        {"role": "user", "parts": [{"type": "text", "content": "no role"}]},
    ]


def test_usage_unknown_is_absent_never_zero() -> None:
    attrs: dict[str, Any] = {}
    set_usage(usage_counts({"prompt_tokens": None, "completion_tokens": True}), attrs)
    assert attrs == {"llm_agent.usage.missing": True}
    attrs = {}
    set_usage(usage_counts({"prompt_tokens": 5, "prompt_tokens_details": None}), attrs)
    assert attrs == {"gen_ai.usage.input_tokens": 5}


class Chunks(ChunkAccumulator):
    __slots__ = ()

    def serialise(self, outputs: list[dict[str, Any]], limit: int) -> str:
        return json.dumps(outputs)


def _chunk(index: int, delta: Any, finish: str | None = None, usage: Any = None) -> Any:
    return NS(id="c", model="m", usage=usage, choices=[NS(index=index, delta=delta, finish_reason=finish)])


def test_two_choices_and_whole_tool_calls_at_one_index() -> None:
    """Mistral sends whole calls, each with index 0: two calls, not one with both names' arguments."""
    acc = Chunks(True, 10_000)
    call = lambda i, name, args: NS(id=i, index=0, function=NS(name=name, arguments=args))  # noqa: E731
    acc.add(_chunk(0, NS(content="a", tool_calls=None)))
    acc.add(_chunk(1, NS(content="b", tool_calls=None)))
    acc.add(_chunk(0, NS(content=None, tool_calls=[call("t1", "f", {"x": 1})])))
    acc.add(_chunk(0, NS(content=None, tool_calls=[call("t2", "g", "{}")]), "tool_calls"))
    acc.add(_chunk(1, NS(content=None, tool_calls=None), "stop", NS(prompt_tokens=3, completion_tokens=4)))
    attrs = acc.attributes()
    assert json.loads(attrs.pop("gen_ai.output.messages")) == [
        {"role": "assistant", "finish_reason": "tool_calls", "parts": [
            {"type": "text", "content": "a"},
            {"type": "tool_call", "id": "t1", "name": "f", "arguments": {"x": 1}},
            {"type": "tool_call", "id": "t2", "name": "g", "arguments": {}},
        ]},
        {"role": "assistant", "finish_reason": "stop", "parts": [{"type": "text", "content": "b"}]},
    ]
    assert attrs == {
        "gen_ai.response.id": "c", "gen_ai.response.model": "m",
        "gen_ai.response.finish_reasons": ["tool_calls", "stop"],
        "llm_agent.response.tool_call_names": ["f", "g"],
        "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 4,
    }


def test_malformed_chunks_read_as_nothing() -> None:
    acc = Chunks(True, 100)
    for item in (None, NS(id=5, choices="x"), NS(choices=[NS(delta=None)]), {"choices": []}):
        assert acc.add(item) is False
    assert acc.attributes() == {"llm_agent.usage.missing": True}
