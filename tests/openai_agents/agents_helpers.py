"""Running the agents the three ways the SDK offers, and reading trees back from the sink."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from agents import Runner

MODES = ("run", "run_sync", "run_streamed")


def run_turns(mode: str, steps: list[Callable[[Any], tuple[Any, Any]]]) -> list[Any]:
    """One ``Runner`` run per step, each to its end, as an app makes them in ``mode``; a step
    gives (agent, input) from the previous run's result (None first).  The async modes share one
    event loop, as an app's do (the client's connections belong to it)."""
    if mode == "run_sync":
        results: list[Any] = []
        for step in steps:
            agent, message = step(results[-1] if results else None)
            results.append(Runner.run_sync(agent, message))
        return results

    async def one(agent: Any, message: Any) -> Any:
        if mode == "run":
            return await Runner.run(agent, message)
        result = Runner.run_streamed(agent, message)
        async for _ in result.stream_events():
            pass
        return result

    async def every() -> list[Any]:
        out: list[Any] = []
        for step in steps:
            out.append(await one(*step(out[-1] if out else None)))
        return out

    return asyncio.run(every())


def next_input(result: Any, message: str) -> list[Any]:
    """The conversation so far plus the user's next message (how an app continues a chat)."""
    return [*result.to_input_list(), {"role": "user", "content": message}]


def shape(node: Any) -> tuple[Any, ...]:
    """A span tree as (name, gen_ai.span.kind, children...), children in start order."""
    return (node.name, node.span_kind, *(shape(child) for child in node.children))


def open_spans(instrumentor: Any) -> tuple[int, int]:
    """How many SDK spans and traces our processor still holds open (0, 0 when all ended)."""
    processor = instrumentor._processor
    return len(processor._spans), len(processor._traces)
