"""OpenAI Agents SDK fixtures: the scripted Responses server, the agents, and the SDK's own processor.

The real ``openai-agents`` runs real agents through the real ``openai`` client against the
loopback server (responses_server.py).  The SDK's processors are replaced, for each test, by a
``Recorder`` standing in for the app's own (or the SDK's export): our processor is then added
beside it by ``instrument()``, as it is beside the SDK's export in an app, and nothing leaves the
machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

agents = pytest.importorskip("agents")

from agents import Agent, OpenAIResponsesModel, function_tool, set_trace_processors  # noqa: E402
from agents.tracing import TracingProcessor  # noqa: E402
from openai import AsyncOpenAI  # noqa: E402

from tests.openai_agents.responses_server import MODEL, ResponsesServer  # noqa: E402


class Recorder(TracingProcessor):
    """The SDK's own processor in these tests: every trace and span event it receives."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    def on_trace_start(self, trace: Any) -> None:
        self.events.append(("trace_start", trace.name))

    def on_trace_end(self, trace: Any) -> None:
        self.events.append(("trace_end", trace.name))

    def on_span_start(self, span: Any) -> None:
        self.events.append(("span_start", span.span_data.type))

    def on_span_end(self, span: Any) -> None:
        self.events.append(("span_end", span.span_data.type))

    def shutdown(self) -> None:
        pass

    def force_flush(self) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[ResponsesServer]:
    with ResponsesServer() as loopback:
        yield loopback


@pytest.fixture
def recorder() -> Recorder:
    found = Recorder()
    set_trace_processors([found])  # the test's stand-in for the SDK's own processors
    return found


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@function_tool
def get_time(city: str) -> str:
    """The local time in a city."""
    return f"12:00 in {city}"


class Agents:
    """Triage (two tools, a handoff to Billing) and Billing, on one client of the loopback server."""

    def __init__(self, server: ResponsesServer) -> None:
        self.client = AsyncOpenAI(api_key="test-key", base_url=server.base_url, max_retries=0)
        model = OpenAIResponsesModel(model=MODEL, openai_client=self.client)
        self.billing = Agent(name="Billing", instructions="Handle billing.", model=model)
        self.triage = Agent(
            name="Triage", instructions="Route the user.", model=model, tools=[get_weather, get_time],
            handoffs=[self.billing],
        )  # fmt: skip


@pytest.fixture
def team(server: ResponsesServer) -> Agents:
    return Agents(server)
