"""The demo's OpenAI Agents SDK workload, run when ``openai-agents`` (``agents``) is installed.

A help-desk triage agent with two function tools (``get_weather``, ``search_orders``) and a
handoff to a billing agent, run by the SDK's ``Runner`` through the real ``openai`` client against
the demo's local server (its Responses API), each turn one SDK trace, so the waterfall shows the
SDK's workflow -> agent -> turn -> tool / handoff / model call trees beside the helper-built ones.

Each turn's route is planned (seeded) and asked of the model through ``tool_choice``; the SDK
resets it after the tool ran (``Agent.reset_tool_choice``), so the model then answers.  Sessions
alternate ``Runner.run`` and ``Runner.run_streamed``.  Nothing here imports ``agents`` until
``available()`` is called: without it the demo is the same as before.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import llm_agent
from llm_agent._demo import workload

#: How many Agents SDK sessions a demo run adds: one per this many planned sessions, at least one.
SESSIONS_PER_AGENTS_SDK_SESSION: Final = 12
#: Sessions of the Agents SDK running at once (each on its own thread and event loop).
AGENTS_SDK_WORKERS: Final = 2
MODEL: Final = "gpt-4o-mini"
TRIAGE: Final = "Triage"
BILLING: Final = "Billing"
#: The name the SDK gives the handoff tool to the billing agent.
HANDOFF_TOOL: Final = "transfer_to_billing"
#: A turn's route: the tool (or handoff) the triage agent is asked to use first.
ROUTES: Final = ("get_weather", "search_orders", HANDOFF_TOOL)
WORKFLOW: Final = "Support desk"
#: The plans' scenarios: every other session streams (``Runner.run_streamed``).
SCENARIOS: Final = ("agents-sdk", "agents-sdk-streamed")
INSTALL_HINT: Final = "installing llm-agent[openai-agents] adds an OpenAI Agents SDK workload"


def available() -> bool:
    """Whether the OpenAI Agents SDK can be imported (another package named ``agents`` does not count)."""
    try:
        import agents
    except ImportError:
        return False
    return hasattr(agents, "Runner") and hasattr(agents, "set_trace_processors")


def prepare() -> None:
    """Before ``llm_agent.init()``: the SDK keeps its traces on this machine too.

    By default the SDK exports its traces to OpenAI's dashboard (and warns without a key); the demo
    sends nothing anywhere, so it drops that exporter.  llm_agent's processor is added by ``init()``.
    """
    import agents

    agents.set_trace_processors([])


def plan(sessions: int, seed: int, run_tag: str) -> list[workload.SessionPlan]:
    """The Agents SDK sessions for a run of ``sessions`` planned ones (deterministic for a seed)."""
    rng = random.Random(f"agents-sdk-{seed}")
    count = max(1, sessions // SESSIONS_PER_AGENTS_SDK_SESSION)
    return [
        workload.SessionPlan(
            f"demo-{run_tag}-sdk{i + 1:02d}",
            rng.choice(workload.USERS),
            SCENARIOS[i % 2],
            rng.randint(1, 3),
            rng.getrandbits(32),
        )
        for i in range(count)
    ]


def routes(p: workload.SessionPlan) -> list[str]:
    """The route of each turn of a session, as its run takes them (the tests predict trees with it)."""
    rng = random.Random(p.seed)
    return [rng.choice(ROUTES) for _ in range(p.turns)]


def _tool_result(name: str, args: dict[str, Any]) -> str:
    if name == "get_weather":
        return json.dumps({"city": args.get("city"), "forecast": "light rain", "temp_c": 14})
    return json.dumps({"orders": [{"id": 1042, "status": "shipped"}], "customer": args.get("customer")})


class _Team:
    """The triage agent (two tools, a handoff) and the billing agent, on one client of one event loop."""

    def __init__(self, base_url: str, api_key: str) -> None:
        from agents import Agent, OpenAIResponsesModel, function_tool
        from openai import AsyncOpenAI

        @function_tool
        def get_weather(city: str) -> str:
            """Current weather for a city."""
            return _tool_result("get_weather", {"city": city})

        @function_tool
        def search_orders(customer: str) -> str:
            """Find a customer's orders."""
            return _tool_result("search_orders", {"customer": customer})

        # An async client belongs to the event loop it is used on: one per session.
        self.client = AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=30.0)
        model = OpenAIResponsesModel(model=MODEL, openai_client=self.client)
        self.billing = Agent(name=BILLING, instructions="Resolve billing questions.", model=model)
        self.triage = Agent(name=TRIAGE, instructions="Help the customer; hand billing questions to Billing.",
                            model=model, tools=[get_weather, search_orders], handoffs=[self.billing])  # fmt: skip

    def routed(self, route: str) -> Any:
        from agents import ModelSettings

        return self.triage.clone(model_settings=ModelSettings(tool_choice=route))


async def _session(p: workload.SessionPlan, base_url: str, api_key: str, think_s: float,
                   outcome: workload.Outcome, on_turn: Callable[[bool], None]) -> None:  # fmt: skip
    import openai
    from agents import RunConfig, Runner

    rng = random.Random(p.seed ^ 0x5EED)
    team = _Team(base_url, api_key)
    history: list[Any] = []
    streamed = p.scenario == SCENARIOS[1]
    try:
        with llm_agent.session(p.session_id, user_id=p.user_id):
            for turn, route in enumerate(routes(p)):
                if turn:
                    await asyncio.sleep(rng.uniform(0.3, 1.5) * think_s)
                message = [*history, {"role": "user", "content": rng.choice(workload.QUESTIONS)}]
                config = RunConfig(workflow_name=WORKFLOW, group_id=p.session_id)
                ok = True
                try:
                    if streamed:
                        result: Any = Runner.run_streamed(team.routed(route), message, run_config=config)
                        async for _ in result.stream_events():
                            pass
                    else:
                        result = await Runner.run(team.routed(route), message, run_config=config)
                    history = result.to_input_list()
                    with outcome.lock:
                        outcome.llm_calls += len(result.raw_responses)
                except openai.APIError:
                    ok = False  # expected: the server fails some calls on purpose
                except Exception as exc:  # worth showing, but must not stop the demo
                    ok = False
                    with outcome.lock:
                        outcome.unexpected.append(f"{type(exc).__name__}: {exc}")
                with outcome.lock:
                    outcome.turns_done += 1
                    outcome.turns_failed += 0 if ok else 1
                on_turn(ok)
    finally:
        await team.client.close()
    with outcome.lock:
        outcome.sessions_done += 1


def run(plans: list[workload.SessionPlan], *, base_url: str, api_key: str, think_s: float,
        on_turn: Callable[[bool], None] = lambda ok: None) -> workload.Outcome:  # fmt: skip
    """Run the Agents SDK sessions (each in its own event loop) and wait for all."""
    outcome = workload.Outcome()
    with ThreadPoolExecutor(max_workers=AGENTS_SDK_WORKERS, thread_name_prefix="demo-agents-sdk") as pool:
        futures = [pool.submit(asyncio.run, _session(p, base_url, api_key, think_s, outcome, on_turn))
                   for p in plans]  # fmt: skip
        for f in futures:
            f.result()
    return outcome
