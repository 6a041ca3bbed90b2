"""Three turns of one session of a real Agents SDK app — two tools, a handoff — for each way of
running it: every turn one trace with the SDK's tree (task > agent > turn > {response, function}),
our OpenAI span under the SDK's response span, and the session, user and model figures from a
real SQLite sink counting each model call once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import llm_agent
from llm_agent.instrumentation import get_instrumentor
from llm_agent.testing import capture_spans
from tests.openai_agents.agents_helpers import MODES, next_input, open_spans, run_turns, shape
from tests.openai_agents.responses_server import MODEL, SNAPSHOT, text, tool_calls

CHAIN, AGENT, TOOL, LLM = "CHAIN", "AGENT", "TOOL", "LLM"
WORKFLOW = ("invoke_workflow Agent workflow", CHAIN)
TASK = ("task Agent workflow", CHAIN)
#: The SDK's response span over our OpenAI span, which carries the call's tokens.
RESPONSE = (f"response {SNAPSHOT}", CHAIN, (f"chat {MODEL}", LLM))


def _session(mode: str, team: Any, server: Any) -> list[Any]:
    server.script(
        tool_calls(("get_weather", {"city": "Paris"}), ("get_time", {"city": "Paris"})),
        text("Sunny, and it is noon."),
        tool_calls(("transfer_to_billing", {})),
        text("Your refund is on its way."),
        text("You are welcome."),
    )
    with llm_agent.session("sess-1", user_id="alice"):
        results = run_turns(mode, [
            lambda _: (team.triage, "What is the weather in Paris?"),
            lambda last: (team.triage, next_input(last, "I want a refund.")),
            lambda last: (last.last_agent, next_input(last, "Thanks!")),
        ])  # fmt: skip
    return results


@pytest.mark.parametrize("mode", MODES)
def test_three_turns_of_one_session(mode: str, team: Any, server: Any, recorder: Any, tmp_path: Path) -> None:
    sink = tmp_path / "agents.sqlite"
    with capture_spans(instrument=["openai", "openai_agents"], backends=["sqlite"], sink_path=str(sink)) as spans:
        results = _session(mode, team, server)
        records = spans.records
    assert [r.final_output for r in results] == ["Sunny, and it is noon.", "Your refund is on its way.",
                                                "You are welcome."]  # fmt: skip
    assert open_spans(get_instrumentor("openai_agents")) == (0, 0)

    store = llm_agent.analysis.open(sink)
    detail = store.session("sess-1")
    trees = [shape_of(store.trace(t.trace_id)) for t in detail.traces]
    assert trees == [
        (*WORKFLOW, (*TASK, ("invoke_agent Triage", AGENT,
            ("turn 1 Triage", CHAIN, RESPONSE, ("execute_tool get_weather", TOOL), ("execute_tool get_time", TOOL)),
            ("turn 2 Triage", CHAIN, RESPONSE)))),
        (*WORKFLOW, (*TASK,
            ("invoke_agent Triage", AGENT, ("turn 1 Triage", CHAIN, RESPONSE, ("handoff Triage -> Billing", CHAIN))),
            ("invoke_agent Billing", AGENT, ("turn 2 Billing", CHAIN, RESPONSE)))),
        (*WORKFLOW, (*TASK, ("invoke_agent Billing", AGENT, ("turn 1 Billing", CHAIN, RESPONSE)))),
    ]  # fmt: skip

    # Every span carries the session and the user, ours and the SDK's alike.
    assert {(r.session_id, r.user_id) for r in records} == {("sess-1", "alice")}
    assert len(records) == len({r.span_id for r in records}) == 11 + 11 + 6  # the trees above
    by_name = _by_name(records)
    (weather,) = by_name["execute_tool get_weather"]
    assert _picked(weather, "gen_ai.") == {
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather", "gen_ai.tool.type": "function",
        "gen_ai.tool.call.id": "call_get_weather_0", "gen_ai.span.kind": "TOOL", "gen_ai.conversation.id": "sess-1",
        "gen_ai.session.id": "sess-1", "gen_ai.user.id": "alice",
    }  # fmt: skip
    assert "gen_ai.tool.call.arguments" not in weather.attributes  # content only with capture_content
    (handoff,) = by_name["handoff Triage -> Billing"]
    assert _picked(handoff, "llm_agent.openai_agents.") == {
        "llm_agent.openai_agents.span_type": "handoff",
        "llm_agent.openai_agents.handoff.from_agent": "Triage", "llm_agent.openai_agents.handoff.to_agent": "Billing",
    }  # fmt: skip
    triage = by_name["invoke_agent Triage"][0]
    assert _picked(triage, "llm_agent.openai_agents.agent.") == {
        "llm_agent.openai_agents.agent.tools": ["get_weather", "get_time"],
        "llm_agent.openai_agents.agent.handoffs": ["Billing"], "llm_agent.openai_agents.agent.output_type": "str",
    }  # fmt: skip
    # The SDK's usage stays on its spans, under names no rollup sums.
    (task,) = [t for t in by_name["task Agent workflow"] if t.trace_id == detail.traces[0].trace_id]
    assert _picked(task, "llm_agent.openai_agents.usage.") == {
        "llm_agent.openai_agents.usage.requests": 2, "llm_agent.openai_agents.usage.input_tokens": 60,
        "llm_agent.openai_agents.usage.output_tokens": 14, "llm_agent.openai_agents.usage.cache_read_tokens": 8,
    }  # fmt: skip
    # The SDK's response span and our span below it name the same response (one model call).
    sdk_calls, ours = by_name[RESPONSE[0]], by_name[RESPONSE[2][0]]
    assert {r.input_tokens for r in sdk_calls} == {None} and {r.span_kind for r in sdk_calls} == {CHAIN}
    assert len({r.attributes["gen_ai.response.id"] for r in sdk_calls}) == 5
    assert {r.attributes["gen_ai.response.id"] for r in sdk_calls} == {r.attributes["gen_ai.response.id"] for r in ours}

    # Each model call once: 5 calls of 30 in / 7 out (4 cached, 2 reasoning).
    summary = detail.summary
    assert (summary.traces, summary.llm_calls, summary.input_tokens, summary.output_tokens, summary.total_tokens,
            summary.cache_read_tokens, summary.reasoning_tokens, summary.usage_missing_calls, summary.errors,
            summary.models, summary.user_id) == (3, 5, 150, 35, 185, 20, 10, 0, 0, (MODEL,), "alice")  # fmt: skip
    assert [(t.llm_calls, t.input_tokens, t.output_tokens, t.name) for t in detail.traces] == [
        (2, 60, 14, "invoke_workflow Agent workflow"), (2, 60, 14, "invoke_workflow Agent workflow"),
        (1, 30, 7, "invoke_workflow Agent workflow"),
    ]  # fmt: skip
    (user,) = store.users()
    assert (user.user_id, user.sessions, user.traces, user.llm_calls, user.input_tokens, user.output_tokens,
            user.total_tokens, user.errors) == ("alice", 1, 3, 5, 150, 35, 185, 0)  # fmt: skip
    (model,) = store.models()
    assert (model.model, model.providers, model.requests, model.errors, model.input_tokens, model.output_tokens,
            model.total_tokens) == (MODEL, ("openai",), 5, 0, 150, 35, 185)  # fmt: skip
    store.close()


def shape_of(tree: Any) -> tuple[Any, ...]:
    (root,) = tree.roots
    return shape(root)


def _by_name(records: list[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for record in records:
        out.setdefault(record.name, []).append(record)
    return out


def _picked(record: Any, prefix: str) -> dict[str, Any]:
    return {k: v for k, v in record.attributes.items() if k.startswith(prefix)}
