"""Retrievers (RETRIEVER, document count) and captured content: only with capture_content, in
the conventions' message shapes, so the session transcript shows the agent's turns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

import llm_agent
import llm_agent.analysis
from llm_agent.testing import capture_spans
from tests.langchain import _agents
from tests.langchain._tree import trees
from tests.langchain.test_langchain_agents import SESSION, run_turns

pytestmark = pytest.mark.filterwarnings("ignore:create_react_agent has been moved")

_CONTENT_KEYS = {
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.retrieval.query.text",
    "gen_ai.retrieval.documents",
}


class Docs(BaseRetriever):
    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [Document(page_content=f"{query} {n}", id=f"doc{n}") for n in range(3)]


@pytest.mark.parametrize("capture", [False, True])
def test_retriever_span(capture: bool) -> None:
    with capture_spans(capture_content=capture) as cap:
        assert len(Docs().invoke("refunds")) == 3
        (span,) = cap.records
    assert (span.name, span.span_kind, span.kind, span.operation) == (
        "retrieval Docs",
        "RETRIEVER",
        "CLIENT",
        "retrieval",
    )
    attrs = span.attributes
    assert (attrs["gen_ai.data_source.id"], attrs["llm_agent.retrieval.document_count"]) == ("Docs", 3)
    if capture:
        assert attrs["gen_ai.retrieval.query.text"] == "refunds"
        assert json.loads(attrs["gen_ai.retrieval.documents"]) == [
            {"content": f"refunds {n}", "id": f"doc{n}"} for n in range(3)
        ]
    else:
        assert not _CONTENT_KEYS & set(attrs)


def test_no_content_without_capture() -> None:
    with capture_spans() as cap:
        run_turns(_agents.react_agent(_agents.fake_model(1)), turns=1)
        records = cap.records
    assert len(trees(records)) == 1
    assert [r.name for r in records if _CONTENT_KEYS & set(r.attributes)] == []


def test_captured_content_makes_the_transcript(tmp_path: Path) -> None:
    sink = tmp_path / "sink.sqlite"
    with capture_spans(backends=["sqlite"], sink_path=str(sink), capture_content=True) as cap:
        run_turns(_agents.langchain_agent(_agents.fake_model(2)), turns=2)
        records = cap.records
    first_llm = min((r for r in records if r.span_kind == "LLM"), key=lambda r: r.start_ns)
    assert json.loads(first_llm.attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "question 1"}]}
    ]
    assert json.loads(first_llm.attributes["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "call_w1", "name": "get_weather", "arguments": {"city": "Paris"}},
                {"type": "tool_call", "id": "call_o1", "name": "search_orders", "arguments": {"customer": "alice"}},
            ],
            "finish_reason": "unknown",
        }
    ]
    weather = min((r for r in records if r.name == "execute_tool get_weather"), key=lambda r: r.start_ns)
    assert json.loads(weather.attributes["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    assert json.loads(weather.attributes["gen_ai.tool.call.result"]) == "sunny in Paris"
    with llm_agent.analysis.open(sink) as store:
        transcript: Any = store.transcript(SESSION)
    turns = [
        (
            t["name"],
            t["user_message"],
            [(c["name"], c["call_id"], c["arguments"], c["result"], c["error_type"]) for c in t["tool_calls"]],
            t["answer"],
            t["llm_calls"],
        )
        for t in transcript.to_dict()["turns"]
    ]
    assert turns == [
        (
            "invoke_agent LangGraph",
            f"question {n}",
            [
                ("get_weather", f"call_w{n}", {"city": "Paris"}, "sunny in Paris", None),
                ("search_orders", f"call_o{n}", {"customer": "alice"}, "one order for alice", None),
            ],
            f"Answer {n}",
            2,
        )
        for n in (1, 2)
    ]
