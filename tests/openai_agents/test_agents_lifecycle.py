"""The integration's lifecycle and the cases around the main tree: found by ``init()`` without
importing the SDK, added beside the SDK's own processors (never replacing them), ``instrument()``
/ ``uninstrument()`` idempotent, a model we do not instrument, captured content, a failing tool,
a guardrail."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from agents import (
    Agent,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    OpenAIChatCompletionsModel,
    Runner,
    function_tool,
    input_guardrail,
    set_trace_processors,
)
from agents import trace as sdk_trace
from agents.tracing import get_trace_provider

import llm_agent
from llm_agent.instrumentation import get_instrumentor
from llm_agent.instrumentation.openai_agents import _sdk
from llm_agent.testing import capture_spans
from tests.openai_agents.conftest import Recorder, get_weather
from tests.openai_agents.responses_server import MODEL, SNAPSHOT, text, tool_calls

ROOT = Path(__file__).resolve().parents[2]


def _ours() -> list[Any]:
    processors = _sdk.registered_processors(get_trace_provider()) or ()
    return [p for p in processors if type(p).__name__ == "AgentsProcessor"]


def test_init_finds_it_without_importing_the_sdk_and_keeps_the_sdk_export() -> None:
    code = (
        "import sys, llm_agent\n"
        "llm_agent.init(backends=['memory'])\n"
        "assert 'agents' not in sys.modules, 'imported the SDK'\n"
        "import agents\n"
        "from agents.tracing import get_trace_provider\n"
        "print([type(p).__name__ for p in get_trace_provider()._multi_processor._processors])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "LLM_AGENT"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    # The SDK's own export first, ours added after it.
    assert done.stdout.strip() == "['BatchTraceProcessor', 'AgentsProcessor']"


def test_instrument_and_uninstrument_are_idempotent(team: Any, server: Any, recorder: Recorder) -> None:
    instrumentor = get_instrumentor("openai_agents")
    with capture_spans(instrument=["openai", "openai_agents"]) as spans:
        instrumentor.instrument()
        instrumentor.instrument()
        assert len(_ours()) == 1
        instrumentor.uninstrument()
        instrumentor.uninstrument()
        server.script(text("One."))
        assert Runner.run_sync(team.triage, "hi").final_output == "One."
        # Inert: the SDK's processor still saw the run, we made only our OpenAI span (a root).
        assert ("span_start", "response") in recorder.events
        assert [(r.name, r.parent_span_id) for r in spans.records] == [(f"chat {MODEL}", None)]
        spans.clear()
        instrumentor.instrument()
        assert len(_ours()) == 1
        set_trace_processors([recorder])  # the app replaced the SDK's processors: instrument() re-adds ours
        instrumentor.instrument()
        assert len(_ours()) == 1
        server.script(text("Two."))
        assert Runner.run_sync(team.triage, "hi").final_output == "Two."
        names = [r.name for r in spans.records]
    assert names == [f"chat {MODEL}", f"response {SNAPSHOT}", "turn 1 Triage", "invoke_agent Triage",
                     "task Agent workflow", "invoke_workflow Agent workflow"]  # fmt: skip


def test_the_sdk_processors_receive_every_span(team: Any, server: Any, recorder: Recorder) -> None:
    server.script(tool_calls(("get_weather", {"city": "Paris"})), text("Sunny."))
    with capture_spans(instrument=["openai", "openai_agents"]) as spans:
        Runner.run_sync(team.triage, "weather?")
        ours = [r for r in spans.records if "llm_agent.openai_agents.span_type" in r.attributes]
    assert recorder.events == [
        ("trace_start", "Agent workflow"), ("span_start", "task"), ("span_start", "agent"), ("span_start", "turn"),
        ("span_start", "response"), ("span_end", "response"), ("span_start", "function"), ("span_end", "function"),
        ("span_end", "turn"), ("span_start", "turn"), ("span_start", "response"), ("span_end", "response"),
        ("span_end", "turn"), ("span_end", "agent"), ("span_end", "task"), ("trace_end", "Agent workflow"),
    ]  # fmt: skip
    assert len(ours) == 8


def test_a_model_we_do_not_instrument_is_counted_on_the_sdk_span(
    team: Any, server: Any, recorder: Recorder, tmp_path: Path
) -> None:
    sink = tmp_path / "s.sqlite"
    server.script(tool_calls(("get_weather", {"city": "Paris"})), text("Sunny."))
    with capture_spans(instrument=["openai_agents"], backends=["sqlite"], sink_path=str(sink)) as spans:
        with llm_agent.session("s-own", user_id="bob"):
            Runner.run_sync(team.triage, "weather?")
        calls = [r for r in spans.records if r.span_kind == "LLM"]
    # No provider span below: the SDK's response span is the model call, with the SDK's usage.
    assert [(r.name, r.operation, r.model, r.input_tokens, r.output_tokens, r.cache_read_tokens,
             r.reasoning_tokens, r.usage_missing) for r in calls] == [
        (f"chat {SNAPSHOT}", "chat", SNAPSHOT, 30, 7, 4, 2, False),
    ] * 2  # fmt: skip
    store = llm_agent.analysis.open(sink)
    summary = store.session("s-own").summary
    assert (summary.llm_calls, summary.input_tokens, summary.output_tokens, summary.models) == (2, 60, 14, (SNAPSHOT,))
    store.close()


def test_tool_content_only_with_capture_content(team: Any, server: Any, recorder: Recorder) -> None:
    server.script(tool_calls(("get_weather", {"city": "Paris"})), text("Sunny."))
    with capture_spans(instrument=["openai", "openai_agents"], capture_content=True) as spans:
        Runner.run_sync(team.triage, "weather?")
        (tool,) = spans.by_name("execute_tool get_weather")
    assert {k: v for k, v in tool.attributes.items() if k.startswith("gen_ai.tool.call.")} == {
        "gen_ai.tool.call.id": "call_get_weather_0", "gen_ai.tool.call.arguments": '{"city": "Paris"}',
        "gen_ai.tool.call.result": "sunny in Paris",
    }  # fmt: skip


@function_tool
def broken(order: str) -> str:
    """Look an order up."""
    raise RuntimeError("database down")


def test_a_failing_tool_is_an_error_span(team: Any, server: Any, recorder: Recorder) -> None:
    agent = Agent(name="Orders", instructions="x", model=team.triage.model, tools=[broken])
    server.script(tool_calls(("broken", {"order": "42"})), text("Sorry, try later."))
    with capture_spans(instrument=["openai", "openai_agents"]) as spans:
        assert Runner.run_sync(agent, "where is 42?").final_output == "Sorry, try later."
        (tool,) = spans.by_name("execute_tool broken")
    assert (tool.status, tool.error_type, tool.status_message) == ("ERROR", "_OTHER", "Error running tool (non-fatal)")


@input_guardrail
async def no_secrets(context: Any, agent: Any, message: Any) -> GuardrailFunctionOutput:
    return GuardrailFunctionOutput(output_info=None, tripwire_triggered="password" in str(message))


@pytest.mark.parametrize("message", ["hello", "my password is x"])
def test_guardrail_spans(message: str, team: Any, server: Any, recorder: Recorder) -> None:
    agent = Agent(name="Guarded", instructions="x", model=team.triage.model, input_guardrails=[no_secrets])
    server.script(text("Hi."))
    triggered = "password" in message
    with capture_spans(instrument=["openai", "openai_agents"]) as spans:
        if triggered:
            with pytest.raises(InputGuardrailTripwireTriggered):
                asyncio.run(Runner.run(agent, message))
        else:
            asyncio.run(Runner.run(agent, message))
        (guard,) = spans.by_name("guardrail no_secrets")
        (agent_span,) = spans.by_name("invoke_agent Guarded")
    assert guard.span_kind == "CHAIN"
    assert guard.attributes["llm_agent.openai_agents.guardrail.triggered"] is triggered
    assert guard.trace_id == agent_span.trace_id


def test_the_chat_completions_model_generation_span_wraps_our_span(team: Any, server: Any, recorder: Recorder) -> None:
    model = OpenAIChatCompletionsModel(model=MODEL, openai_client=team.client)
    agent = Agent(name="Chatty", instructions="x", model=model, tools=[get_weather])
    server.script(tool_calls(("get_weather", {"city": "Paris"})), text("Sunny."))
    with capture_spans(instrument=["openai", "openai_agents"]) as spans:
        assert Runner.run_sync(agent, "weather?").final_output == "Sunny."
        records = spans.records
    by_id = {r.span_id: r for r in records}
    llm = [(r.name, r.input_tokens, by_id[r.parent_span_id].name, by_id[r.parent_span_id].span_kind)
           for r in records if r.span_kind == "LLM"]  # fmt: skip
    assert llm == [(f"chat {MODEL}", 30, f"generation {MODEL}", "CHAIN")] * 2
    (tool,) = [r for r in records if r.name == "execute_tool get_weather"]
    assert tool.attributes["gen_ai.tool.call.id"] == "call_get_weather_0"  # from the generation's tool_calls


def test_the_sdk_tree_joins_the_app_trace(team: Any, server: Any, recorder: Recorder) -> None:
    server.script(text("One."), text("Two."))
    with capture_spans(instrument=["openai", "openai_agents"]) as spans:
        with llm_agent.trace("answer"), sdk_trace("Support flow", group_id="thread-7"):
            Runner.run_sync(team.triage, "first")
            Runner.run_sync(team.triage, "second")
        records = spans.records
    assert len({r.trace_id for r in records}) == 1  # the app's trace, with both runs in it
    by_id = {r.span_id: r for r in records}
    (root,) = [r for r in records if r.parent_span_id is None]
    (workflow,) = [r for r in records if r.name == "invoke_workflow Support flow"]
    assert (root.name, by_id[workflow.parent_span_id].name) == ("answer", "answer")
    assert workflow.attributes["llm_agent.openai_agents.group_id"] == "thread-7"
    assert workflow.attributes["gen_ai.workflow.name"] == "Support flow"
    tasks = [r for r in records if r.attributes.get("llm_agent.openai_agents.span_type") == "task"]
    assert [by_id[t.parent_span_id].name for t in tasks] == ["invoke_workflow Support flow"] * 2


def test_the_session_transcript_of_an_agents_app(team: Any, server: Any, recorder: Recorder, tmp_path: Path) -> None:
    sink = tmp_path / "t.sqlite"
    server.script(tool_calls(("get_weather", {"city": "Paris"})), text("Sunny."))
    options: dict[str, Any] = {"backends": ["sqlite"], "sink_path": str(sink), "capture_content": True}
    with capture_spans(instrument=["openai", "openai_agents"], **options), llm_agent.session("s-tr"):
        Runner.run_sync(team.triage, "weather in Paris?")
    store = llm_agent.analysis.open(sink)
    (turn,) = store.transcript("s-tr").turns
    store.close()
    assert (turn.name, turn.user_message, turn.answer, turn.llm_calls, turn.errors) == (
        "invoke_workflow Agent workflow", "weather in Paris?", "Sunny.", 2, 0)  # fmt: skip
    assert [(c.name, c.call_id, c.arguments, c.result) for c in turn.tool_calls] == [
        ("get_weather", "call_get_weather_0", {"city": "Paris"}, "sunny in Paris")
    ]
