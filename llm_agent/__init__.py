"""llm_agent: OpenTelemetry instrumentation for LLM apps, with local session and model analysis.

import llm_agent
llm_agent.init()
with llm_agent.session("sess-42", user_id="alice"):
    with llm_agent.trace("answer-question"):
        client.chat.completions.create(...)
"""

from __future__ import annotations

from llm_agent._agent import Agent, flush, init, instrument, shutdown, stats, uninstrument
from llm_agent._version import __version__
from llm_agent.config import ConfigError, Settings
from llm_agent.context import current_ids, session, trace, user

__all__ = [
    "Agent",
    "ConfigError",
    "Settings",
    "__version__",
    "current_ids",
    "flush",
    "init",
    "instrument",
    "session",
    "shutdown",
    "stats",
    "trace",
    "uninstrument",
    "user",
]
