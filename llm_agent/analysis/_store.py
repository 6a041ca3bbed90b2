"""``Store``: the read-only analysis API every backend implements (SQLite here, ClickHouse at scale).

Semantics shared by all stores (docs/analysis.md):

* Times: inputs as ``datetime`` (naive = UTC), ISO 8601 (offsets honoured), relative (``15m``,
  ``1h``, ``7d`` before now) or epoch seconds; results as aware UTC datetimes.
* ``sessions()`` returns the sessions that *overlap* the window (start <= until and end >= since);
  the window defaults to the last 24 hours.  ``models()``, ``model()`` and ``users()`` count calls
  and traces that *start* inside the window.
* ``session()`` / ``trace()`` return ``None`` for an unknown ID.

``iter_sessions()``, ``trace()``, ``models()`` and ``model()`` are written once, here: the
arguments become a ``SessionQuery`` / ``ModelQuery`` (``_query``) or a window, and each store
implements only its select (``_select_sessions``, ``_select_trace``, ``_select_models``,
``_select_model_groups``) in its own SQL.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

from llm_agent.analysis import _build, _time, _transcript
from llm_agent.analysis._query import DEFAULT_LIMIT, DEFAULT_SLOW_THRESHOLD_S, ModelQuery, SessionQuery
from llm_agent.analysis._sql import DEFAULT_ORDER
from llm_agent.analysis._time import TimeLike
from llm_agent.analysis._traces import DEFAULT_TRACE_ORDER, TraceQuery
from llm_agent.analysis._types import (
    ModelAnalysis,
    ModelSummary,
    SessionDetail,
    SessionSummary,
    TraceSummary,
    TraceTree,
    UserSummary,
)
from llm_agent.analysis.filter import Node

__all__ = ["DEFAULT_SLOW_THRESHOLD_S", "Store", "TraceOwner", "display_location"]


class Store(abc.ABC):
    """Read-only access to recorded sessions, traces, models and users.  Use as a context manager."""

    def iter_sessions(
        self,
        since: TimeLike | None = None,
        until: TimeLike | None = None,
        session_id: str | None = None,
        user: str | None = None,
        min_duration_s: float | str | None = None,
        max_duration_s: float | str | None = None,
        min_traces: int | None = None,
        max_traces: int | None = None,
        min_total_tokens: int | None = None,
        max_total_tokens: int | None = None,
        min_input_tokens: int | None = None,
        max_input_tokens: int | None = None,
        min_output_tokens: int | None = None,
        max_output_tokens: int | None = None,
        min_cost: float | None = None,
        max_cost: float | None = None,
        where: str | Node | None = None,
        order_by: str = DEFAULT_ORDER,
        limit: int | None = DEFAULT_LIMIT,
        offset: int = 0,
    ) -> Iterator[SessionSummary]:
        """Like ``sessions()`` but streaming (``limit=None`` exports every match without holding it).

        Every argument is checked here, before the store reads anything (a mistake raises at the
        call, not at the first ``next()``).
        """
        bounds = {
            "session_id": session_id,
            "user": user,
            "min_duration_s": min_duration_s,
            "max_duration_s": max_duration_s,
            "min_traces": min_traces,
            "max_traces": max_traces,
            "min_total_tokens": min_total_tokens,
            "max_total_tokens": max_total_tokens,
            "min_input_tokens": min_input_tokens,
            "max_input_tokens": max_input_tokens,
            "min_output_tokens": min_output_tokens,
            "max_output_tokens": max_output_tokens,
            "min_cost": min_cost,
            "max_cost": max_cost,
        }
        query = SessionQuery.build(since, until, where, order_by, limit, offset, bounds=bounds)
        return self._select_sessions(query)

    @abc.abstractmethod
    def _select_sessions(self, query: SessionQuery) -> Iterator[SessionSummary]:
        """The sessions ``query`` selects, in its order and page: the store's own SQL for it."""

    def sessions(self, **kwargs: Any) -> list[SessionSummary]:
        """Sessions overlapping the window that pass every filter, sorted and paged.

        Filters (each optional, all combined with AND): ``session_id``, ``user`` (any of the
        session's users), ``min/max_duration_s`` (seconds or ``"2m"``), ``min/max_traces``,
        ``min/max_total_tokens``, ``min/max_input_tokens``, ``min/max_output_tokens``, ``min/max_cost``
        (USD; a session with no priced call matches neither) and ``where``
        (the filter language, ``llm_agent.analysis.filter``).  ``order_by`` is a column name,
        ``-`` prefixed for descending (default ``"-start"``); ``limit=None`` returns everything.
        """
        return list(self.iter_sessions(**kwargs))

    def iter_traces(
        self,
        since: TimeLike | None = None,
        until: TimeLike | None = None,
        session_id: str | None = None,
        user: str | None = None,
        model: str | None = None,
        min_duration_s: float | str | None = None,
        max_duration_s: float | str | None = None,
        min_total_tokens: int | None = None,
        max_total_tokens: int | None = None,
        has_error: bool | None = None,
        name: str | None = None,
        where: str | Node | None = None,
        order_by: str = DEFAULT_TRACE_ORDER,
        limit: int | None = DEFAULT_LIMIT,
        offset: int = 0,
    ) -> Iterator[TraceSummary]:
        """Like ``traces()`` but streaming; every argument is checked at the call."""
        query = self._trace_query(
            since, until, session_id, user, model, min_duration_s, max_duration_s, min_total_tokens,
            max_total_tokens, has_error, name, where, order_by, limit, offset,
        )  # fmt: skip
        return self._select_traces(query)

    def traces(self, **kwargs: Any) -> list[TraceSummary]:
        """Every trace overlapping the window, with or without a session (the Trace Explorer).

        Filters (all optional, combined with AND): ``session_id``, ``user``, ``model`` (any of the
        trace's models), ``min/max_duration_s``, ``min/max_total_tokens``, ``has_error``, ``name``
        (the root span's) and ``where`` in the trace vocabulary of the filter language
        (``filter.TRACE_FIELDS``: also ``error_type``, ``tool`` and ``kind`` over the trace's
        spans, and ``session_id is null``).  ``order_by`` as for ``sessions()`` (default ``-start``).
        """
        return list(self.iter_traces(**kwargs))

    def count_traces(
        self,
        since: TimeLike | None = None,
        until: TimeLike | None = None,
        where: str | Node | None = None,
        **filters: Any,
    ) -> int:
        """How many traces ``traces(since, until, where, **filters)`` would list without paging
        (e.g. ``where="session_id is null"``: the traces outside every session)."""
        query = TraceQuery.build(since, until, where, limit=None, bounds=_bounds_only(filters),
                                 has_error=filters.get("has_error"))  # fmt: skip
        return self._count_traces(query)

    def _trace_query(
        self, since: Any, until: Any, session_id: Any, user: Any, model: Any, min_duration_s: Any,
        max_duration_s: Any, min_total_tokens: Any, max_total_tokens: Any, has_error: Any, name: Any,
        where: Any, order_by: str, limit: int | None, offset: int,
    ) -> TraceQuery:  # fmt: skip
        bounds = {
            "session_id": session_id,
            "user": user,
            "model": model,
            "name": name,
            "min_duration_s": min_duration_s,
            "max_duration_s": max_duration_s,
            "min_total_tokens": min_total_tokens,
            "max_total_tokens": max_total_tokens,
        }
        return TraceQuery.build(since, until, where, order_by, limit, offset, bounds=bounds, has_error=has_error)

    @abc.abstractmethod
    def _select_traces(self, query: TraceQuery) -> Iterator[TraceSummary]:
        """The traces ``query`` selects, in its order and page: the store's own SQL for it."""

    @abc.abstractmethod
    def _count_traces(self, query: TraceQuery) -> int:
        """How many traces ``query`` selects, paging ignored."""

    @abc.abstractmethod
    def session(self, session_id: str) -> SessionDetail | None:
        """The session's summary and its traces in start order (with think time), or ``None``."""

    def trace(self, trace_id: str) -> TraceTree | None:
        """The trace's spans as a tree with offsets, durations and self time, or ``None``."""
        spans, owner = self._select_trace(trace_id)
        if owner is None:
            owner = _owner_from_spans(spans)
        return _build.trace_tree(trace_id, spans, owner.session_id, owner.user_id)

    def transcript(self, session_id: str) -> _transcript.Transcript | None:
        """The session as a conversation (each turn's user message, tool calls with arguments and
        results, answer) from its captured content, or ``None`` for an unknown session."""
        detail = self.session(session_id)
        if detail is None:
            return None
        return _transcript.build(detail, [self.trace(t.trace_id) for t in detail.traces])

    @abc.abstractmethod
    def _select_trace(self, trace_id: str) -> tuple[list[dict[str, Any]], TraceOwner | None]:
        """The trace's span rows (the ``spans`` table's columns, ``attributes`` a dict; none for
        an unknown trace) and, when the store keeps a traces rollup that has the trace already,
        the session and user it records; ``None`` lets ``trace()`` derive them from the spans."""

    def models(self, since: TimeLike | None = None, until: TimeLike | None = None) -> list[ModelSummary]:
        """Every model called in the window, most requests first."""
        out = self._select_models(_time.resolve_window(since, until))
        out.sort(key=lambda m: (-m.requests, m.model))
        return out

    @abc.abstractmethod
    def _select_models(self, window: _time.Window) -> list[ModelSummary]:
        """One summary per model with calls starting in ``window`` (any order)."""

    def model(
        self,
        name: str,
        since: TimeLike | None = None,
        until: TimeLike | None = None,
        bucket: str | int = "auto",
        slow_threshold_s: float = DEFAULT_SLOW_THRESHOLD_S,
    ) -> ModelAnalysis:
        """One model's totals, exact latency / TTFT percentiles, errors by type and a time series."""
        query = ModelQuery.build(name, since, until, bucket, slow_threshold_s)
        groups = self._select_model_groups(query)
        return _build.model_analysis(name, query.window, query.bucket_s, query.slow_threshold_s, groups)

    @abc.abstractmethod
    def _select_model_groups(self, query: ModelQuery) -> list[_build.CallGroup]:
        """The model's calls in the window, aggregated per ``CallGroup`` (``query.params`` bound)."""

    @abc.abstractmethod
    def users(self, since: TimeLike | None = None, until: TimeLike | None = None) -> list[UserSummary]:
        """Per user: first / last seen, sessions, traces, calls, tokens, errors, p95 request latency."""

    def close(self) -> None:  # noqa: B027 - optional for stores without resources
        """Release the connection (idempotent)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _bounds_only(filters: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in filters.items() if k != "has_error"}


class TraceOwner(NamedTuple):
    """The session and user a trace belongs to (either may be unknown)."""

    session_id: str | None
    user_id: str | None


def _owner_from_spans(spans: list[dict[str, Any]]) -> TraceOwner:
    """The first session and the first user named by the trace's spans in start order: the
    definition the traces rollup uses, for stores without one or before it is written."""
    ordered = sorted(spans, key=lambda s: (s["start_ns"], s["span_id"]))
    return TraceOwner(
        next((s["session_id"] for s in ordered if s["session_id"] is not None), None),
        next((s["user_id"] for s in ordered if s["user_id"] is not None), None),
    )


def display_location(db: str) -> str:
    """``db`` fit to print or send to a browser: a URL's password replaced by ``***``.

    Store URLs (``clickhouse://user:secret@host/db``) may carry credentials; file paths are
    returned unchanged.
    """
    if "://" not in db:
        return db
    try:
        parts = urlsplit(db)
        password = parts.password
    except ValueError:
        return db.split("://", 1)[0] + "://***"
    if not password:
        return db
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostinfo}"))
