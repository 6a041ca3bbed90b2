"""``Runner.run_streamed`` on every way out of the stream: each SDK span ends exactly once as one
span of ours, none stays open, no context stays attached (the app's context is its own again,
whichever task ended the span) and no detach fails."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from agents import Runner
from agents.exceptions import ModelBehaviorError
from opentelemetry import trace as otel_trace

import llm_agent
from llm_agent.instrumentation import get_instrumentor
from llm_agent.testing import capture_spans
from tests.openai_agents.agents_helpers import open_spans
from tests.openai_agents.responses_server import MODEL, SNAPSHOT, text, tool_calls


async def _exhausted(result: Any) -> None:
    async for _ in result.stream_events():
        pass


async def _break_then_aclose(result: Any) -> None:
    events = result.stream_events()
    async for _ in events:
        break
    await events.aclose()  # the SDK lets the run finish, then ends its spans


async def _break_and_forget(result: Any) -> None:
    async for _ in result.stream_events():
        break  # the generator is finalised by the event loop at shutdown


async def _cancel_run(result: Any) -> None:
    async for _ in result.stream_events():
        result.cancel()  # the app's stop button: immediate


async def _cancel_consumer(result: Any) -> None:
    async def consume() -> None:
        async for _ in result.stream_events():
            await asyncio.sleep(10)  # slow consumer, cancelled while it waits

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


EXITS: dict[str, Callable[[Any], Awaitable[None]]] = {
    "exhausted": _exhausted, "break_then_aclose": _break_then_aclose, "break_and_forget": _break_and_forget,
    "cancel_run": _cancel_run, "cancel_consumer": _cancel_consumer,
}  # fmt: skip


def _run(team: Any, exit: Callable[[Any], Awaitable[None]]) -> Any:
    seen: dict[str, Any] = {}

    async def app() -> None:
        result = Runner.run_streamed(team.triage, "What is the weather in Paris?")
        try:
            await exit(result)
        finally:
            seen["current"] = otel_trace.get_current_span()
            seen["result"] = result

    asyncio.run(app())
    return seen


def _check_ended_once(recorder: Any, records: list[Any]) -> None:
    starts = Counter(kind for event, kind in recorder.events if event == "span_start")
    ends = Counter(kind for event, kind in recorder.events if event == "span_end")
    assert starts == ends
    traces = Counter(event for event, _ in recorder.events if event.startswith("trace_"))
    assert traces == {"trace_start": 1, "trace_end": 1}
    ours = [r for r in records if "llm_agent.openai_agents.span_type" in r.attributes]
    assert len(ours) == len({r.span_id for r in ours}) == sum(starts.values()) + 1
    assert open_spans(get_instrumentor("openai_agents")) == (0, 0)
    assert get_instrumentor("openai_agents")._hooks._attached == {}


def _context_errors(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("opentelemetry")]


@pytest.mark.parametrize("exit_name", list(EXITS))
def test_every_stream_exit(exit_name: str, team: Any, server: Any, recorder: Any, caplog: Any) -> None:
    server.script(tool_calls(("get_weather", {"city": "Paris"})), text("Sunny."))
    caplog.set_level(logging.ERROR, logger="opentelemetry.context")
    with capture_spans(instrument=["openai", "openai_agents"]) as spans, llm_agent.session("s-stream"):
        seen = _run(team, EXITS[exit_name])
        records = spans.records
    _check_ended_once(recorder, records)
    assert seen["current"] is otel_trace.INVALID_SPAN  # nothing of ours left current in the app's task
    assert _context_errors(caplog) == []  # no "Failed to detach context"
    assert {r.session_id for r in records} == {"s-stream"}
    names = Counter(r.name for r in records)
    if exit_name in ("exhausted", "break_then_aclose"):
        assert seen["result"].final_output == "Sunny."
        assert names == {"invoke_workflow Agent workflow": 1, "task Agent workflow": 1, "invoke_agent Triage": 1,
                         "turn 1 Triage": 1, "turn 2 Triage": 1, f"response {SNAPSHOT}": 2, f"chat {MODEL}": 2,
                         "execute_tool get_weather": 1}  # fmt: skip
    else:
        assert names["invoke_workflow Agent workflow"] == names["invoke_agent Triage"] == 1


def test_a_stream_failing_midway_ends_every_span_once(team: Any, server: Any, recorder: Any, caplog: Any) -> None:
    server.script(tool_calls(("get_weather", {"city": "Paris"})), text("Sunny and warm today.", cut_after=3))
    caplog.set_level(logging.ERROR, logger="opentelemetry.context")
    with capture_spans(instrument=["openai", "openai_agents"]) as spans:
        with pytest.raises(ModelBehaviorError):
            _run(team, _exhausted)
        records = spans.records
    _check_ended_once(recorder, records)
    assert _context_errors(caplog) == []
    # The stream cut before ``response.completed``: the SDK raised; its response span has no
    # response (so no model in its name) and the call's usage is unknown, not zero.
    assert [(r.name, r.span_kind, r.input_tokens, r.usage_missing) for r in records if "response" in r.name
            or r.name.startswith("chat")] == [
        (f"chat {MODEL}", "LLM", 30, False), (f"response {SNAPSHOT}", "CHAIN", None, False),
        (f"chat {MODEL}", "LLM", None, True), ("response", "CHAIN", None, False),
    ]  # fmt: skip
