"""Process-wide state read on every call: the settings in force and the tracer our spans come from.

Kept apart from the facade (``_agent.py``, which orchestrates ``init()``/``shutdown()`` and is the
only writer) so that the layers below it — the instrumentation, the context, the export pipeline —
read the state without importing the module that imports them: this module imports nothing of the
package but ``config``, ``semconv`` and ``_version``.  Readers call ``get_settings()`` and
``get_tracer()`` (module globals: one lookup on the hot path); writers hold ``lock``.
"""

from __future__ import annotations

import threading

from opentelemetry import trace as otel_trace

from llm_agent import semconv
from llm_agent._version import __version__
from llm_agent.config import Settings

#: Held by ``init()`` and ``shutdown()`` while they replace the state and the running agent.
lock = threading.RLock()
#: The settings in force; the defaults before ``init()`` and after ``shutdown()``.
settings: Settings = Settings()
#: The tracer of the running agent's provider; None without a running agent.
tracer: otel_trace.Tracer | None = None


def get_settings() -> Settings:
    """The settings in force (defaults before ``init()``)."""
    return settings


def get_tracer() -> otel_trace.Tracer:
    """The tracer our spans come from (the global provider's before ``init()``)."""
    current = tracer
    if current is None:
        return otel_trace.get_tracer(semconv.INSTRUMENTATION_SCOPE, __version__)
    return current


def reset() -> None:
    """Back to the state before ``init()`` (``shutdown()``)."""
    global settings, tracer
    settings = Settings()
    tracer = None
