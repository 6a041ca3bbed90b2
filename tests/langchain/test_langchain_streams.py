"""The same agent through ``astream_events``, ``stream`` and ``astream``: every run's span ends
exactly once on every exit path (exhausted, failed, ``break``, cancelled), the trees stay whole."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import tool

import llm_agent
from llm_agent.instrumentation import get_instrumentor
from llm_agent.testing import capture_spans
from tests.langchain import _agents
from tests.langchain._scripted import MODEL, ScriptedServer
from tests.langchain._tree import trees
from tests.langchain.test_langchain_agents import SESSION, USER, expected_turn

pytestmark = pytest.mark.filterwarnings("ignore:create_react_agent has been moved")


def _model(server: ScriptedServer) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model=MODEL, base_url=server.base_url, api_key="test", stream_usage=True, max_retries=0)


def _open_runs() -> int:
    return get_instrumentor("langchain").handler.open_runs()  # type: ignore[attr-defined,no-any-return]


def _ended_once(records: list[Any]) -> None:
    ids = [r.span_id for r in records]
    assert len(ids) == len(set(ids)), "a span exported twice"
    assert _open_runs() == 0


@pytest.mark.parametrize("constructor", sorted(_agents.CONSTRUCTORS))
async def test_astream_events_gives_the_same_tree(constructor: str) -> None:
    with ScriptedServer() as server, capture_spans() as cap:
        agent = _agents.CONSTRUCTORS[constructor](_model(server))
        with llm_agent.session(SESSION, user_id=USER):
            kinds = set()
            async for event in agent.astream_events({"messages": [("user", "question 1")]}, version="v2"):
                kinds.add(event["event"])
        records = cap.records
        assert trees(records) == [expected_turn(constructor, nested=True)]
        assert {"on_chat_model_stream", "on_tool_end"} <= kinds
        # streamed: the SDK span is a stream, both spans carry the streamed usage
        chats = [r for r in records if r.span_kind == "LLM"]
        assert {(r.input_tokens is not None, r.output_tokens is not None) for r in chats} == {(True, True)}
        assert {(r.session_id, r.user_id) for r in records} == {(SESSION, USER)}
        _ended_once(records)


def test_stream_break_ends_every_span_once() -> None:
    with ScriptedServer() as server, capture_spans() as cap:
        agent = _agents.react_agent(_model(server))
        with llm_agent.session(SESSION, user_id=USER):
            for _chunk in agent.stream({"messages": [("user", "question 1")]}, stream_mode="updates"):
                break  # after the first node's update: the graph's generator is closed here
        records = cap.records
        (root,) = [r for r in records if r.parent_span_id is None]
        assert (root.name, root.status, root.error_type) == ("invoke_agent LangGraph", "UNSET", None)
        assert [t[0] for t in trees(records)] == ["invoke_agent LangGraph"]
        assert not [r for r in records if r.span_kind == "TOOL"]  # the tools never ran
        _ended_once(records)
        # after the break, the app's context is its own again: a new top-level span is a new trace
        with llm_agent.trace("after"):
            pass
        (after,) = cap.by_name("after")
        assert (after.parent_span_id, after.trace_id != root.trace_id) == (None, True)


async def test_astream_exhausted_and_cancelled() -> None:
    with ScriptedServer() as server, capture_spans() as cap:
        agent = _agents.langchain_agent(_model(server))
        with llm_agent.session(SESSION, user_id=USER):
            chunks = [c async for c in agent.astream({"messages": [("user", "question 1")]})]
        assert chunks
        assert trees(cap.records) == [expected_turn("create_agent", nested=True)]
        cap.clear()

        started = asyncio.Event()

        @tool
        async def slow(query: str) -> str:
            """Waits forever."""
            started.set()
            await asyncio.sleep(3600)
            return "never"

        call = {"name": "slow", "args": {"query": "x"}, "id": "call_slow", "type": "tool_call"}
        fake = _agents.ToolCallingFake(messages=iter([AIMessage(content="", tool_calls=[call])]))
        slow_agent = create_agent(fake, [slow])

        async def consume() -> None:
            async for _ in slow_agent.astream({"messages": [("user", "go")]}):
                pass

        with llm_agent.session(SESSION, user_id=USER):
            task = asyncio.ensure_future(consume())
            await asyncio.wait_for(started.wait(), 10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        records = cap.records
        slow_span = cap.one("execute_tool slow")
        assert (slow_span.status, slow_span.error_type, slow_span.attributes["gen_ai.tool.call.id"]) == (
            "ERROR",
            "asyncio.exceptions.CancelledError",
            "call_slow",
        )
        assert [t[0] for t in trees(records)] == ["invoke_agent LangGraph"]
        _ended_once(records)


def test_chat_model_stream_error_and_break() -> None:
    class Failing(GenericFakeChatModel):
        def _stream(self, *args: Any, **kwargs: Any) -> Any:
            yield from super()._stream(*args, **kwargs)
            raise ConnectionError("cut off")

    with capture_spans() as cap:
        model = Failing(messages=iter([AIMessage(content="one two three")]))
        with pytest.raises(ConnectionError, match="cut off"):
            for _ in model.stream("hi"):
                pass
        model = GenericFakeChatModel(messages=iter([AIMessage(content="one two three")]))
        for _ in model.stream("hi"):
            break
        first, second = sorted(cap.records, key=lambda r: r.start_ns)
        assert (first.name, first.status, first.error_type) == ("chat", "ERROR", "ConnectionError")
        assert (second.name, second.status, second.error_type) == ("chat", "UNSET", None)
        _ended_once(cap.records)
