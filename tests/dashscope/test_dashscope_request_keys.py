"""DashScope's request side on the provider core: read when the span is built, from a copy of only
the keyword arguments it reads (``REQUEST_KEYS``)."""

from __future__ import annotations

from typing import Any

from llm_agent import semconv
from llm_agent.instrumentation.dashscope._extract import OP_RERANK, REQUEST_KEYS, request_attributes
from tests._request_keys import assert_keys_cover

EVERY_OPTION: dict[str, Any] = {
    "model": "qwen-plus",
    "messages": [{"role": "user", "content": "hi"}],
    "prompt": "hi",
    "input": ["a"],
    "query": "q",
    "documents": ["d"],
    "tools": [{"type": "function", "function": {"name": "f"}}],
    "temperature": 0.1,
    "top_p": 0.9,
    "top_k": 5,
    "max_tokens": 5,
    "seed": 7,
    "n": 2,
    "presence_penalty": 0.3,
    "stop": ["x"],
    "stream": True,
    "incremental_output": True,
    "dimension": 512,
    "top_n": 3,
}


def test_request_keys_cover_what_the_request_side_reads() -> None:
    operations = (semconv.OP_CHAT, semconv.OP_EMBEDDINGS, OP_RERANK)
    assert_keys_cover(request_attributes, REQUEST_KEYS, operations, EVERY_OPTION, (None, "stop"))


def test_a_single_stop_string_is_one_stop_sequence() -> None:
    from llm_agent.config import Settings

    attrs = request_attributes(semconv.OP_CHAT, {"model": "qwen-max", "stop": "END"}, Settings(capture_content=False))
    assert attrs == {"gen_ai.operation.name": "chat", "gen_ai.request.model": "qwen-max",
                     "gen_ai.request.stop_sequences": ["END"]}
