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
from typing import TYPE_CHECKING, Any, Final

from llm_agent._version import __version__

if TYPE_CHECKING:  # for type checkers: the lazy attributes below are these (explicit re-exports)
    from llm_agent import analysis as analysis
    from llm_agent import backends as backends
    from llm_agent import semconv as semconv
    from llm_agent import testing as testing
    from llm_agent._agent import Agent as Agent
    from llm_agent._agent import flush as flush
    from llm_agent._agent import init as init
    from llm_agent._agent import instrument as instrument
    from llm_agent._agent import shutdown as shutdown
    from llm_agent._agent import stats as stats
    from llm_agent._agent import uninstrument as uninstrument
    from llm_agent._steps import agent as agent
    from llm_agent._steps import retrieval as retrieval
    from llm_agent._steps import step as step
    from llm_agent._steps import tool as tool
    from llm_agent.config import ConfigError as ConfigError
    from llm_agent.config import Settings as Settings
    from llm_agent.context import current_ids as current_ids
    from llm_agent.context import session as session
    from llm_agent.context import trace as trace
    from llm_agent.context import user as user

#: Every public name, and the module that defines it: imported on first access (PEP 562), so that
#: ``import llm_agent`` costs nothing until it is used, and the analysis side (``llm_agent.analysis``,
#: the ``llm-agent`` command) never imports OpenTelemetry.  A new public name goes here and in
#: ``__all__`` (tests/core/test_public_api.py checks both).
_LAZY: Final = {
    "Agent": "llm_agent._agent",
    "flush": "llm_agent._agent",
    "init": "llm_agent._agent",
    "instrument": "llm_agent._agent",
    "shutdown": "llm_agent._agent",
    "stats": "llm_agent._agent",
    "uninstrument": "llm_agent._agent",
    "agent": "llm_agent._steps",
    "retrieval": "llm_agent._steps",
    "step": "llm_agent._steps",
    "tool": "llm_agent._steps",
    "ConfigError": "llm_agent.config",
    "Settings": "llm_agent.config",
    "current_ids": "llm_agent.context",
    "session": "llm_agent.context",
    "trace": "llm_agent.context",
    "user": "llm_agent.context",
}
#: The public submodules, imported on first attribute access: ``llm_agent.analysis.open()`` works
#: without its own import.
_LAZY_SUBMODULES: Final = frozenset({"analysis", "backends", "semconv", "testing"})


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # once per name: later reads are plain module attributes
        return value
    if name in _LAZY_SUBMODULES:
        # import_module binds the submodule on this package, so this runs once per name.
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_LAZY_SUBMODULES})


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
