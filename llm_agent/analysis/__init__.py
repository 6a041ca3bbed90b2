"""Read-only session, trace, model and user analysis of recorded spans.

    import llm_agent.analysis

    with llm_agent.analysis.open() as store:            # the default sink (LLM_AGENT_SINK_PATH)
        for s in store.sessions(since="7d", min_duration_s=30, where="user == 'alice'"):
            print(s.session_id, s.duration_s, s.total_tokens)
        detail = store.session("sess-42")
        failed = store.traces(since="1h", where="session_id is null and error_type == 'openai.RateLimitError'")
        tree = store.trace(detail.traces[0].trace_id)
        gpt = store.model("gpt-4o", since="24h")

The same API runs on the local SQLite sink and, for data shipped by OTLP to a Collector, on
ClickHouse (``open("clickhouse://host:8123/db")`` or ``open("chdb://path")``).  See docs/analysis.md.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from llm_agent.analysis._export import to_csv, to_json
from llm_agent.analysis._store import DEFAULT_SLOW_THRESHOLD_S, Store, display_location
from llm_agent.analysis._time import DEFAULT_WINDOW_S, Window, parse_duration, resolve_window
from llm_agent.analysis._transcript import CAPTURE_HINT, Transcript, TranscriptToolCall, TranscriptTurn
from llm_agent.analysis._types import (
    ModelAnalysis,
    ModelBucket,
    ModelSummary,
    Percentiles,
    SessionDetail,
    SessionSummary,
    SpanNode,
    TraceSummary,
    TraceTree,
    UserSummary,
)
from llm_agent.analysis.filter import ALIASES as FILTER_ALIASES
from llm_agent.analysis.filter import FIELDS as FILTER_FIELDS
from llm_agent.analysis.filter import TRACE_ALIASES as TRACE_FILTER_ALIASES
from llm_agent.analysis.filter import TRACE_FIELDS as TRACE_FILTER_FIELDS
from llm_agent.analysis.filter import FilterError, parse
from llm_agent.analysis.sqlite import MissingDatabaseError, SQLiteStore

#: What to do when USD cost is off (no ``llm-agent[cost]`` extra, or Python 3.10): docs/cost.md.
PRICING_HINT = (
    "USD cost is off: install the optional extra `pip install 'llm-agent[cost]'` (genai-prices; Python 3.11 or "
    "later), then run `llm-agent reprice` to price what is already recorded"
)


def pricing_available() -> bool:
    """Whether genai-prices' table is installed, so calls recorded from now on get a USD cost."""
    from llm_agent._cost import genai_prices_module

    return genai_prices_module() is not None


_REMOTE_SCHEMES = ("clickhouse://", "clickhouses://", "chdb://")


def default_path() -> str:
    """The sink path analysis reads by default: ``LLM_AGENT_SINK_PATH``, else the documented default."""
    from llm_agent.config import DEFAULT_SINK_PATH

    return os.environ.get("LLM_AGENT_SINK_PATH") or DEFAULT_SINK_PATH


def open(path: str | os.PathLike[str] | None = None, **options: Any) -> Store:
    """A store over ``path``: a SQLite sink file (default: the sink), or a ClickHouse URL.

    Raises ``MissingDatabaseError`` (a ``FileNotFoundError``) when the file does not exist.
    """
    target = default_path() if path is None else os.fspath(path)
    if isinstance(target, str) and target.lower().startswith(_REMOTE_SCHEMES):
        try:
            module = importlib.import_module("llm_agent.analysis.clickhouse")
        except ImportError as exc:
            raise ImportError(
                f"reading {target.split('://')[0]}:// needs the ClickHouse store: "
                "pip install 'llm-agent[clickhouse]' (or 'llm-agent[chdb]')"
            ) from exc
        opener = getattr(module, "open", None) or module.open_store
        return opener(target, **options)  # type: ignore[no-any-return]
    return SQLiteStore(target, **options)


__all__ = [
    "PRICING_HINT",
    "pricing_available",
    "CAPTURE_HINT",
    "DEFAULT_SLOW_THRESHOLD_S",
    "DEFAULT_WINDOW_S",
    "FILTER_ALIASES",
    "FILTER_FIELDS",
    "FilterError",
    "MissingDatabaseError",
    "ModelAnalysis",
    "ModelBucket",
    "ModelSummary",
    "Percentiles",
    "SQLiteStore",
    "SessionDetail",
    "SessionSummary",
    "SpanNode",
    "Store",
    "TRACE_FILTER_ALIASES",
    "TRACE_FILTER_FIELDS",
    "TraceSummary",
    "TraceTree",
    "Transcript",
    "TranscriptToolCall",
    "TranscriptTurn",
    "UserSummary",
    "Window",
    "default_path",
    "display_location",
    "open",
    "parse",
    "parse_duration",
    "resolve_window",
    "to_csv",
    "to_json",
]
