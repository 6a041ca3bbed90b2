"""llm_agent: OpenTelemetry instrumentation for LLM apps, with local session and model analysis.

import llm_agent
llm_agent.init()
with llm_agent.session("sess-42", user_id="alice"):
    with llm_agent.trace("answer-question"):
        client.chat.completions.create(...)

with llm_agent.agent("support-bot"):                # the app's own steps: agent, tool, retrieval, step
    with llm_agent.tool("search_orders", call_id=call.id) as t:
        t.set_result(search(...))
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Final

from llm_agent._agent import Agent, flush, init, instrument, shutdown, stats, uninstrument
from llm_agent._steps import agent, retrieval, step, tool
from llm_agent._version import __version__
from llm_agent.config import ConfigError, Settings
from llm_agent.context import current_ids, session, trace, user

if TYPE_CHECKING:  # for type checkers: the lazy attributes below are these modules (explicit re-exports)
    from llm_agent import analysis as analysis
    from llm_agent import backends as backends
    from llm_agent import semconv as semconv
    from llm_agent import testing as testing

#: The public submodules, imported on first attribute access (PEP 562): ``import llm_agent`` stays
#: as light as an app needs, while ``llm_agent.analysis.open()`` works without its own import.
_LAZY_SUBMODULES: Final = frozenset({"analysis", "backends", "semconv", "testing"})


def __getattr__(name: str) -> ModuleType:
    if name in _LAZY_SUBMODULES:
        # import_module binds the submodule on this package, so this runs once per name.
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY_SUBMODULES})


__all__ = [
    "Agent",
    "ConfigError",
    "Settings",
    "__version__",
    "agent",
    "current_ids",
    "flush",
    "init",
    "instrument",
    "retrieval",
    "session",
    "shutdown",
    "stats",
    "step",
    "tool",
    "trace",
    "uninstrument",
    "user",
]
