"""`llm-agent demo` with the OpenAI Agents SDK installed: its sessions' trees in the sink and their rollups."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from llm_agent import analysis
from llm_agent._demo import agents_sdk, workload
from tests.demo.test_demo import _demo, _sessions

pytest.importorskip("agents")

#: 24 sessions plan two Agents SDK sessions; with this seed each has a tool turn and a handoff turn.
SESSIONS, SEED = 24, 21
RESPONSE = "response gpt-4o-mini-2024-07-18"  # the SDK names its model call after the model that answered
CALL = ("chat gpt-4o-mini", "LLM")


def _expected_tree(route: str) -> tuple[Any, ...]:
    """One turn's trace, (name, kind, children...): the SDK's spans, our provider span under each model call."""
    call = (RESPONSE, "CHAIN", CALL)
    if route == agents_sdk.HANDOFF_TOOL:
        agents = (("invoke_agent Triage", "AGENT", ("turn 1 Triage", "CHAIN", call,
                                                    ("handoff Triage -> Billing", "CHAIN"))),
                  ("invoke_agent Billing", "AGENT", ("turn 2 Billing", "CHAIN", call)))  # fmt: skip
    else:
        agents = (("invoke_agent Triage", "AGENT", ("turn 1 Triage", "CHAIN", call, (f"execute_tool {route}", "TOOL")),
                   ("turn 2 Triage", "CHAIN", call)),)  # fmt: skip
    return ("invoke_workflow Support desk", "CHAIN", ("task Support desk", "CHAIN", *agents))


def _trees(db: Path, session_id: str) -> tuple[list[tuple[Any, ...]], list[dict[str, Any]]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute(
            "SELECT span_id, parent_span_id, name, span_kind, status, input_tokens, output_tokens, usage_counted, "
            "attributes FROM spans WHERE session_id = ? ORDER BY start_ns, span_id", (session_id,))]  # fmt: skip
    children: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        children.setdefault(row["parent_span_id"], []).append(row)

    def shape(row: dict[str, Any]) -> tuple[Any, ...]:
        return (row["name"], row["span_kind"], *(shape(c) for c in children.get(row["span_id"], [])))

    return [shape(root) for root in children[None]], rows


def test_demo_runs_agents_sdk_sessions_each_model_call_counted_once(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    result = _demo(db, "--sessions", str(SESSIONS), "--seed", str(SEED), "--latency-scale", "0", "--no-failures",
                   agents_sdk=True)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "unexpected failure" not in result.stderr
    assert "  + 2 sessions of an OpenAI Agents SDK agent (Triage: two tools and a handoff to Billing)\n" in (
        result.stderr
    )
    assert "installing llm-agent[openai-agents]" not in result.stderr
    got = _sessions(db)
    tag = got[0][0].split("-")[1]
    plans = agents_sdk.plan(SESSIONS, SEED, tag)
    assert [p.scenario for p in plans] == ["agents-sdk", "agents-sdk-streamed"]  # Runner.run and run_streamed
    # The planned sessions are all there beside the SDK's, one trace per turn.
    want = [(p.session_id, p.user_id, p.turns) for p in workload.plan(SESSIONS, SEED, tag) + plans]
    assert got == sorted(want)
    assert f"llm-agent session {plans[0].session_id} --db {db}" in result.stdout
    store = analysis.open(db)
    for p in plans:
        trees, rows = _trees(db, p.session_id)
        assert trees == [_expected_tree(route) for route in agents_sdk.routes(p)]
        assert {r["status"] for r in rows} == {"UNSET"}
        calls = [r for r in rows if r["span_kind"] == "LLM"]
        responses = [json.loads(r["attributes"]) for r in rows if r["name"] == RESPONSE]
        # The SDK reports each call's usage on its response span (kept apart) and the provider span has it too:
        # the same figures, and the session's rollup counts them once (not the SDK's task and turn sums too).
        sdk_usage = [(a["llm_agent.openai_agents.usage.input_tokens"], a["llm_agent.openai_agents.usage.output_tokens"])
                     for a in responses]  # fmt: skip
        assert [(r["input_tokens"], r["output_tokens"]) for r in calls] == sdk_usage
        assert [r["name"] for r in rows if r["usage_counted"]] == [CALL[0]] * 2 * p.turns
        detail = store.session(p.session_id)
        assert detail is not None
        s = detail.summary
        inputs, outputs = sum(i for i, _ in sdk_usage), sum(o for _, o in sdk_usage)
        assert (s.user_id, s.traces, s.llm_calls, s.input_tokens, s.output_tokens, s.total_tokens, s.errors,
                s.usage_missing_calls, s.models) == (p.user_id, p.turns, 2 * p.turns, inputs, outputs,
                                                     inputs + outputs, 0, 0, ("gpt-4o-mini",))  # fmt: skip
        tools = [json.loads(r["attributes"]) for r in rows if r["span_kind"] == "TOOL"]
        for attrs in tools:  # the demo captures content: the tool call's id, arguments and result
            assert attrs["gen_ai.tool.call.id"].startswith("call_")
            args = json.loads(attrs["gen_ai.tool.call.arguments"])
            result_of = {
                "get_weather": {"city": args.get("city"), "forecast": "light rain", "temp_c": 14},
                "search_orders": {"orders": [{"id": 1042, "status": "shipped"}], "customer": args.get("customer")},
            }
            assert (list(args), json.loads(attrs["gen_ai.tool.call.result"])) == (
                ["city" if attrs["gen_ai.tool.name"] == "get_weather" else "customer"],
                result_of[attrs["gen_ai.tool.name"]],
            )
