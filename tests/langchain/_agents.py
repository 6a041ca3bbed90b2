"""The agents under test: two tools, a ReAct graph from either constructor, and a fake chat
model (a provider llm_agent does not instrument) that asks for both tools and reports usage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import tool

FAKE_INPUT_TOKENS = 11
FAKE_OUTPUT_TOKENS = 3


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"sunny in {city}"


@tool
def search_orders(customer: str) -> str:
    """A customer's orders."""
    return f"one order for {customer}"


TOOLS = [get_weather, search_orders]


def react_agent(model: Any) -> Any:
    from langgraph.prebuilt import create_react_agent

    return create_react_agent(model, TOOLS)


def langchain_agent(model: Any) -> Any:
    from langchain.agents import create_agent

    return create_agent(model, TOOLS)


CONSTRUCTORS: dict[str, Callable[[Any], Any]] = {"create_react_agent": react_agent, "create_agent": langchain_agent}


class ToolCallingFake(GenericFakeChatModel):
    """``GenericFakeChatModel`` that accepts tools (the agents bind them) and answers from its script."""

    def bind_tools(self, tools: Any, **kwargs: Any) -> ToolCallingFake:
        return self


def fake_script(turns: int) -> Iterator[BaseMessage]:
    usage = {"input_tokens": FAKE_INPUT_TOKENS, "output_tokens": FAKE_OUTPUT_TOKENS, "total_tokens": 14}
    for n in range(1, turns + 1):
        calls = [
            {"name": "get_weather", "args": {"city": "Paris"}, "id": f"call_w{n}", "type": "tool_call"},
            {"name": "search_orders", "args": {"customer": "alice"}, "id": f"call_o{n}", "type": "tool_call"},
        ]
        yield AIMessage(content="", tool_calls=calls, usage_metadata=usage)
        yield AIMessage(content=f"Answer {n}", usage_metadata=usage)


def fake_model(turns: int) -> ToolCallingFake:
    return ToolCallingFake(messages=fake_script(turns))
