"""The demo's workload: several users holding multi-turn conversations through the real openai client.

Five kinds of session, each a realistic pattern of LLM use:

* ``support``   - a help-desk chat on gpt-4o-mini, streamed, with a long cached system prompt;
* ``agent``     - a tool-using assistant on gpt-4o, each turn an ``llm_agent.agent()`` (the root of
  the turn's trace): tool call, tool run (``llm_agent.tool()``), answer, so the waterfall shows
  agent -> LLM / tool trees;
* ``reasoning`` - o3-mini through the Responses API, reasoning tokens included;
* ``research``  - retrieval (``llm_agent.retrieval()`` around the embeddings call, with its document
  count), then a streamed Responses answer on gpt-4o;
* ``autocomplete`` - the legacy completions endpoint.

Every session runs under ``llm_agent.session(...)`` and every turn under ``llm_agent.trace(...)``
(the agent's under ``llm_agent.agent(...)``).
Some calls fail (rate limits, server errors, a stream cut off); the "app" retries a rate-limited
turn once, as real apps do, so failures and their recoveries both show up in the analysis.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

import llm_agent

USERS: Final = ("alice", "bob", "carol", "dave", "erin", "frank", "grace")
#: The demo's agent (``llm_agent.agent``): its name and id on every agent turn.
AGENT_NAME: Final = "support-agent"
AGENT_ID: Final = "demo-agent-1"
#: The demo's knowledge base (``llm_agent.retrieval``) and how many passages a search returns.
KNOWLEDGE_BASE: Final = "help-center"
RETRIEVED_PASSAGES: Final = 3
#: Share of each kind of session (they add up to 1).
SCENARIOS: Final = (("support", 0.35), ("agent", 0.25), ("reasoning", 0.15), ("research", 0.15), ("autocomplete", 0.10))
QUESTIONS: Final = (
    "Why is my invoice higher this month?", "How do I reset my password?", "Can I get a refund for order 1042?",
    "What changed in the latest release notes?", "Is there a limit on API requests per minute?",
    "How do I export my data to CSV?", "Where is my parcel?", "What is the weather in Lisbon tomorrow?",
    "Compare the Berlin and Tokyo offices' opening hours.", "Explain prompt caching like I am new to this.",
    "Summarise yesterday's incident report.", "Which plan fits a team of twelve?",
)  # fmt: skip
#: Long enough (over 1024 tokens) that the server's prompt-cache imitation reports cached tokens.
SUPPORT_SYSTEM_PROMPT: Final = "You are the help desk of Example Corp. " + " ".join(
    f"Policy {i}: answer politely, cite the relevant help article, never reveal internal notes, "
    f"escalate billing disputes above 500 euros, and keep answers under 150 words."
    for i in range(1, 46)
)
TOOLS: Final = [
    {"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city",
     "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                     "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                    "required": ["city"]}}},
    {"type": "function", "function": {"name": "search_orders", "description": "Find a customer's orders",
     "parameters": {"type": "object", "properties": {"customer": {"type": "string"}, "limit": {"type": "integer"}},
                    "required": ["customer"]}}},
]  # fmt: skip


@dataclass(frozen=True)
class SessionPlan:
    session_id: str
    user_id: str
    scenario: str
    turns: int
    seed: int


@dataclass
class Outcome:
    """What happened, for the progress bar and the summary line."""

    turns_done: int = 0
    turns_failed: int = 0
    sessions_done: int = 0
    llm_calls: int = 0
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def plan(sessions: int, seed: int, run_tag: str | None = None) -> list[SessionPlan]:
    """Deterministic for a seed: who talks, about what, for how many turns (1-8)."""
    rng = random.Random(seed)
    tag = run_tag or uuid.uuid4().hex[:6]
    names = [name for name, _ in SCENARIOS]
    weights = [w for _, w in SCENARIOS]
    out = []
    for i in range(sessions):
        scenario = rng.choices(names, weights)[0]
        high = {"reasoning": 3, "autocomplete": 2}.get(scenario, 8)
        out.append(SessionPlan(f"demo-{tag}-{i + 1:02d}", rng.choice(USERS), scenario, rng.randint(1, high),
                               rng.getrandbits(32)))  # fmt: skip
    return out


class _Session:
    """One conversation: its own history, random stream, and pacing."""

    def __init__(self, client: Any, p: SessionPlan, think_s: float, outcome: Outcome,
                 on_turn: Callable[[bool], None], failures: bool = True) -> None:  # fmt: skip
        self.client = client
        self.failures = failures
        self.plan = p
        self.rng = random.Random(p.seed)
        self.think_s = think_s
        self.outcome = outcome
        self.on_turn = on_turn
        self.messages: list[dict[str, Any]] = []
        self.inputs: list[dict[str, Any]] = []

    def _headers(self, stream: bool = False) -> dict[str, str]:
        """Now and then, a failure the server is told to produce (on top of its random ones)."""
        roll = self.rng.random()
        if not self.failures:
            return {}
        if stream and roll < 0.03:
            return {"x-demo-fail": "midstream"}
        if roll < 0.015:
            return {"x-demo-fail": "500"}
        return {}

    def _count(self) -> None:
        with self.outcome.lock:
            self.outcome.llm_calls += 1

    def run(self) -> None:
        import openai

        with llm_agent.session(self.plan.session_id, user_id=self.plan.user_id):
            for turn in range(self.plan.turns):
                if turn:
                    time.sleep(self.rng.uniform(0.3, 1.5) * self.think_s)
                question = self.rng.choice(QUESTIONS)
                ok = True
                try:
                    with self._turn_scope(turn):
                        try:
                            getattr(self, f"_{self.plan.scenario}")(question)
                        except openai.RateLimitError:
                            time.sleep(self.think_s)  # the app backs off and tries the turn once more
                            getattr(self, f"_{self.plan.scenario}")(question)
                except (openai.APIError, json.JSONDecodeError):
                    ok = False  # expected: the server fails some calls on purpose
                except Exception as exc:  # anything else is worth showing, but must not stop the demo
                    ok = False
                    with self.outcome.lock:
                        self.outcome.unexpected.append(f"{type(exc).__name__}: {exc}")
                with self.outcome.lock:
                    self.outcome.turns_done += 1
                    self.outcome.turns_failed += 0 if ok else 1
                self.on_turn(ok)
        with self.outcome.lock:
            self.outcome.sessions_done += 1

    def _turn_scope(self, turn: int) -> Any:
        """The turn's root span: the agent itself for agent sessions (an agent outside any span
        starts the turn's trace), else a ``trace()``."""
        if self.plan.scenario == "agent":
            return llm_agent.agent(AGENT_NAME, id=AGENT_ID, description="Answers with the help of tools")
        return llm_agent.trace(f"{self.plan.scenario} turn {turn + 1}")

    # --- the scenarios ----------------------------------------------------------------------------
    def _support(self, question: str) -> None:
        if not self.messages:
            self.messages.append({"role": "system", "content": SUPPORT_SYSTEM_PROMPT})
        self.messages.append({"role": "user", "content": question})
        self._count()
        stream = self.client.chat.completions.create(
            model="gpt-4o-mini", messages=self.messages, stream=True, stream_options={"include_usage": True},
            temperature=0.3, extra_headers=self._headers(stream=True),
        )  # fmt: skip
        parts = [c.choices[0].delta.content or "" for c in stream if c.choices]
        self.messages.append({"role": "assistant", "content": "".join(parts)})

    def _agent(self, question: str) -> None:
        self.messages.append({"role": "user", "content": question})
        for _ in range(3):  # tool round trips, then the answer
            self._count()
            reply = self.client.chat.completions.create(
                model="gpt-4o", messages=self.messages, tools=TOOLS, max_tokens=400, extra_headers=self._headers()
            )
            message = reply.choices[0].message
            self.messages.append(message.model_dump(exclude_none=True))
            if not message.tool_calls:
                return
            for call in message.tool_calls:
                self.messages.append(
                    {"role": "tool", "tool_call_id": call.id, "content": self._run_tool(call.id, call.function.name,
                                                                                        call.function.arguments)}
                )  # fmt: skip

    def _run_tool(self, call_id: str, name: str, arguments: str) -> str:
        # The app's own step: an execute_tool span for the model's call (arguments and result are
        # recorded only because the demo captures content).
        with llm_agent.tool(name, call_id=call_id, arguments=arguments) as step:
            time.sleep(self.rng.uniform(0.2, 1.0) * self.think_s)
            args = json.loads(arguments)
            if name == "get_weather":
                result = {"city": args.get("city"), "forecast": "light rain", "temp_c": 14}
            else:
                result = {"orders": [{"id": 1042, "status": "shipped"}], "customer": args.get("customer")}
            step.set_result(result)
            return json.dumps(result)

    def _reasoning(self, question: str) -> None:
        self.inputs.append({"role": "user", "content": question})
        self._count()
        response = self.client.responses.create(
            model="o3-mini", input=self.inputs, reasoning={"effort": "medium"}, extra_headers=self._headers()
        )
        self.inputs.append({"role": "assistant", "content": response.output_text})

    def _research(self, question: str) -> None:
        with llm_agent.retrieval(KNOWLEDGE_BASE, query=question, top_k=RETRIEVED_PASSAGES) as search:
            self._count()
            self.client.embeddings.create(model="text-embedding-3-small",
                                          input=[question, "knowledge base: " + question])  # fmt: skip
            time.sleep(self.rng.uniform(0.05, 0.2) * self.think_s)  # the vector search itself
            search.set_documents([{"id": f"article-{self.rng.randint(100, 999)}", "score": round(0.9 - 0.1 * i, 2)}
                                  for i in range(RETRIEVED_PASSAGES)])  # fmt: skip
        self.inputs.append({"role": "user", "content": f"Using the retrieved passages, answer: {question}"})
        self._count()
        stream = self.client.responses.create(
            model="gpt-4o", input=self.inputs, instructions="Answer from the passages only.", stream=True,
            extra_headers=self._headers(stream=True),
        )  # fmt: skip
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        self.inputs.append({"role": "assistant", "content": text})

    def _autocomplete(self, question: str) -> None:
        self._count()
        self.client.completions.create(model="gpt-3.5-turbo-instruct", prompt=question, max_tokens=24,
                                       extra_headers=self._headers())  # fmt: skip


def run(client: Any, plans: list[SessionPlan], *, think_s: float, workers: int,
        on_turn: Callable[[bool], None] = lambda ok: None, failures: bool = True) -> Outcome:  # fmt: skip
    """Run the sessions ``workers`` at a time (each session's turns in order) and wait for all."""
    outcome = Outcome()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="demo-user") as pool:
        futures = [pool.submit(_Session(client, p, think_s, outcome, on_turn, failures).run) for p in plans]
        for f in futures:
            f.result()
    return outcome
