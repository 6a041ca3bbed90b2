"""The chat accumulator's quick path (content-only chunks) records exactly what the full path does.

``ChatAccumulator.add`` skips a chunk after four attribute reads when it carries only a text delta
of its one choice (keeping the text when content is captured).  Hypothesis feeds the same chunk
sequences (realistic ones mutated: fields dropped, nulled, mistyped, extra; chunks reordered,
cut, duplicated; plus multi-choice and tool-call streams) to an accumulator as it runs and to one
held on the full path, and compares every ``add`` result and the final attributes.  The SDK's own
``ChatCompletionChunk.construct`` builds the chunks, as the SDK's stream does.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.chat import ChatCompletionChunk

from llm_agent.instrumentation.openai._accumulators import ChatAccumulator
from tests.fuzz.test_openai_fuzz import CHAT_CHUNKS, FUZZ_SETTINGS, USAGE, chunk_sequences


def _chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": "c2", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": choices, **extra}


def _text(index: int, text: str, finish: str | None = None) -> dict[str, Any]:
    return {"index": index, "delta": {"content": text}, "finish_reason": finish}


def _tool(index: int, name: str | None, args: str) -> dict[str, Any]:
    call = {"index": 0, "function": {"name": name, "arguments": args}}
    return {"index": index, "delta": {"tool_calls": [call]}, "finish_reason": None}


#: Two choices (n=2), one chunk per choice as the API sends them, and a chunk carrying both; a
#: tool call starting after content; a finish reason and usage on the same chunk, and usage on a
#: content chunk (some OpenAI-compatible servers); an empty-id first chunk with no choices
#: (Azure's content-filter results).
MULTI_CHUNKS = [
    _chunk([], id="", model=""),
    _chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]),
    _chunk([_text(0, "a")]),
    _chunk([_text(1, "b")]),
    _chunk([_text(0, "c"), _text(1, "d")]),
    _chunk([_tool(0, "lookup", '{"q":')]),
    _chunk([_tool(0, None, '"x"}')]),
    _chunk([_text(1, "e", "length")]),
    _chunk([_text(0, "", "tool_calls")], usage=USAGE),
    _chunk([_text(0, "f")], usage={**USAGE, "completion_tokens": 3}),
]


def build(item: Any) -> Any:
    """An SDK chunk from a dict (as the SDK's stream builds it); anything else as it is."""
    return ChatCompletionChunk.construct(**copy.deepcopy(item)) if isinstance(item, dict) else item


def compare(items: list[Any], capture: bool, hide: bool) -> None:
    chunks = [build(item) for item in items]
    quick = ChatAccumulator(capture, 1000, hide)
    full = ChatAccumulator(capture, 1000, hide)
    for chunk in chunks:
        full.quick = False  # held on the full path
        assert quick.add(chunk) == full.add(chunk)
    assert quick.attributes() == full.attributes()


SEQUENCES = st.one_of(chunk_sequences(CHAT_CHUNKS), chunk_sequences(MULTI_CHUNKS))


@FUZZ_SETTINGS
@given(items=SEQUENCES, capture=st.booleans(), hide=st.booleans())
def test_quick_path_records_what_the_full_path_records(items: list[Any], capture: bool, hide: bool) -> None:
    compare(items, capture, hide)


@pytest.mark.parametrize("chunks", [CHAT_CHUNKS, MULTI_CHUNKS], ids=["single", "multi"])
@pytest.mark.parametrize("capture", [False, True])
def test_realistic_streams_in_order(chunks: list[dict[str, Any]], capture: bool) -> None:
    compare(chunks * 3, capture, hide=True)


@pytest.fixture
def full_reads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The chunks that took the full reading (``ChatAccumulator._add``), in order."""
    reads: list[Any] = []
    original = ChatAccumulator._add

    def counting(self: ChatAccumulator, chunk: Any) -> bool:
        reads.append(chunk)
        return original(self, chunk)

    monkeypatch.setattr(ChatAccumulator, "_add", counting)
    return reads


def test_content_chunks_take_the_quick_path(full_reads: list[Any]) -> None:
    """With capture off, a stream's content chunks after the first are not read in full."""
    first, *content = [build(_chunk([_text(0, f"t{i}")])) for i in range(20)]
    finish = build(_chunk([_text(0, "", "stop")]))
    usage = build(_chunk([], usage=USAGE))
    acc = ChatAccumulator(False, 1000, True)
    results = [acc.add(chunk) for chunk in [first, *content, finish, usage]]
    assert results == [False] * 21 + [True]  # only the usage chunk we asked for is hidden
    assert full_reads == [first, finish, usage]
    attrs = acc.attributes()
    assert attrs["gen_ai.response.finish_reasons"] == ["stop"]
    assert attrs["gen_ai.usage.input_tokens"] == 10 and attrs["gen_ai.usage.output_tokens"] == 4


def test_capture_keeps_the_text_of_quick_chunks(full_reads: list[Any]) -> None:
    acc = ChatAccumulator(True, 1000, False)
    chunks = [build(_chunk([_text(0, f"t{i}")])) for i in range(5)]
    chunks.append(build(_chunk([_text(0, "", None), _text(1, "x")])))  # two choices: read in full
    chunks.append(build(_chunk([_text(1, "y", "stop")])))
    for chunk in chunks:
        acc.add(chunk)
    assert acc.quick is True and full_reads == [chunks[0], chunks[5], chunks[6]]
    assert acc.attributes()["gen_ai.output.messages"] == (
        '[{"role":"assistant","parts":[{"type":"text","content":"t0t1t2t3t4"}],"finish_reason":"unknown"},'
        '{"role":"assistant","parts":[{"type":"text","content":"xy"}],"finish_reason":"stop"}]'
    )


def test_a_chunk_of_another_shape_turns_the_quick_path_off() -> None:
    acc = ChatAccumulator(False, 1000, False)
    acc.add(build(_chunk([_text(0, "a")])))
    assert acc.quick is True
    acc.add({"choices": [{"finish_reason": "stop"}]})  # a dict, not the SDK's model
    assert acc.quick is False
    acc.add(build(_chunk([_text(0, "b", "stop")])))
    assert acc.quick is False  # for the rest of the stream
    assert acc.attributes()["gen_ai.response.finish_reasons"] == ["stop"]


def test_choices_that_are_no_list_are_read_as_the_full_path_reads_them() -> None:
    """A chunk object whose ``choices`` is a tuple (no SDK chunk, but a duck-typed one): the full
    path reads nothing from it, so the quick path keeps no text from it either."""
    first = build(_chunk([_text(0, "a")]))
    odd = build(_chunk([_text(0, "b")]))
    odd.choices = tuple(odd.choices)
    for capture in (False, True):
        compare([first, odd, build(_chunk([_text(0, "c", "stop")]))], capture, hide=False)
