"""``TraceQuery``: one ``traces()`` call (the Trace Explorer), validated once for every store.

Like ``_query.SessionQuery`` for sessions: ``Store.iter_traces`` builds it from its keyword
arguments and each store only translates it into its own SQL, through ``_sql.compile_node`` with
``TRACE_COLUMNS`` and the trace vocabulary of the filter language (``filter.TRACE_FIELDS``).
Every trace overlapping the window is listed, with or without a session.

The set fields ``error_type``, ``tool`` and ``kind`` are "contains" tests over the trace's spans:
a column of the store's traces rows where it has one (ClickHouse), else the store's dialect
answers them from its spans (``Column.span_set``; SQLite: subqueries through partial indexes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from llm_agent.analysis import _time
from llm_agent.analysis._query import DEFAULT_LIMIT, _keyword_value, check_paging
from llm_agent.analysis._sql import Column, Dialect, parse_order
from llm_agent.analysis._time import TimeLike
from llm_agent.analysis.filter import TRACE_ALIASES, TRACE_FIELDS, Compare, Node, and_all, parse

#: Keyword filters of ``traces()`` -> (field of the trace vocabulary, operator), in signature order.
TRACE_KEYWORDS: Final[dict[str, tuple[str, str]]] = {
    "session_id": ("session_id", "=="),
    "user": ("user_id", "=="),
    "model": ("models", "=="),
    "name": ("name", "=="),
    "min_duration_s": ("duration_s", ">="),
    "max_duration_s": ("duration_s", "<="),
    "min_total_tokens": ("total_tokens", ">="),
    "max_total_tokens": ("total_tokens", "<="),
}
DEFAULT_TRACE_ORDER: Final = "-start"

#: Filter field -> column of a traces row: SQLite's ``traces`` rollup and the ClickHouse traces
#: subquery give their columns the same names.  The span tests are ``span_set`` names.
TRACE_COLUMNS: Final[dict[str, Column]] = {
    "trace_id": Column("trace_id"),
    "name": Column("name"),
    "session_id": Column("session_id"),
    "user_id": Column("user_id"),
    "service_name": Column("service_name"),
    "models": Column("models"),
    "start": Column("start_ns"),
    "end": Column("end_ns"),
    "duration_s": Column("duration_ns", 1e9),
    "spans": Column("span_count"),
    "llm_calls": Column("llm_calls"),
    "input_tokens": Column("input_tokens"),
    "output_tokens": Column("output_tokens"),
    "total_tokens": Column("total_tokens"),
    "cache_read_tokens": Column("cache_read_tokens"),
    "reasoning_tokens": Column("reasoning_tokens"),
    "usage_missing_calls": Column("usage_missing_calls"),
    "errors": Column("error_count"),
    "ttft_s": Column("ttft_s"),
    "error_type": Column("error_types", span_set="error_type"),
    "tool": Column("tool_names", span_set="tool"),
    "kind": Column("span_kinds", span_set="kind"),
}
#: Columns ``traces(order_by=...)`` sorts by: every field but the span tests.
TRACE_SORT_FIELDS: Final = frozenset(TRACE_FIELDS) - {"error_type", "tool", "kind"}


def trace_order(sort_field: str, descending: bool, dialect: Dialect) -> str:
    """ORDER BY terms of a traces listing: the sort column, then the trace ID the same way, so
    equal values page in one stable order on every store."""
    tie = "DESC" if descending else "ASC"
    return f"{dialect.order(TRACE_COLUMNS[sort_field].expr, descending)}, trace_id {tie}"


@dataclass(frozen=True, slots=True)
class TraceQuery:
    """What a ``traces()`` call asks for, every input checked, in the stores' units."""

    window: _time.Window
    bounds: tuple[Compare, ...] = ()
    where: Node | None = None
    sort_field: str = "start"
    descending: bool = True
    limit: int | None = DEFAULT_LIMIT
    offset: int = 0

    @classmethod
    def build(
        cls,
        since: TimeLike | None = None,
        until: TimeLike | None = None,
        where: str | Node | None = None,
        order_by: str = DEFAULT_TRACE_ORDER,
        limit: int | None = DEFAULT_LIMIT,
        offset: int = 0,
        *,
        bounds: Mapping[str, Any] | None = None,
        has_error: bool | None = None,
        now_ns: int | None = None,
    ) -> TraceQuery:
        """The query for these ``traces()`` arguments (``None`` bounds are ignored).  Raises
        ``ValueError`` (``FilterError`` for ``where``) or ``TypeError`` for an unknown keyword."""
        now = _time.now_ns() if now_ns is None else now_ns
        # Checked in the order sessions() checks: window, keyword filters, where, sort, paging.
        window = _time.resolve_window(since, until, now)
        given = dict(bounds or {})
        for name in given:
            if name not in TRACE_KEYWORDS:
                raise TypeError(f"traces() got an unexpected keyword argument {name!r}")
        compares = [
            Compare(field, op, _keyword_value(name, field, given[name], TRACE_FIELDS))
            for name, (field, op) in TRACE_KEYWORDS.items()
            if given.get(name) is not None
        ]
        if has_error is not None:
            if not isinstance(has_error, bool):
                raise ValueError(f"has_error must be True, False or None, got {has_error!r}")
            compares.append(Compare("errors", ">" if has_error else "==", 0))
        if isinstance(where, str):
            parsed = parse(where, now, fields=TRACE_FIELDS, aliases=TRACE_ALIASES) if where.strip() else None
        else:
            parsed = where
        sort_field, descending = parse_order(order_by or DEFAULT_TRACE_ORDER, TRACE_SORT_FIELDS, TRACE_ALIASES)
        check_paging(limit, offset)
        return cls(window, tuple(compares), parsed, sort_field, descending, limit, offset)

    @property
    def filter(self) -> Node:
        """Everything a trace must pass: it overlaps the window, meets every bound, matches ``where``."""
        overlap: list[Node | None] = [
            Compare("end", ">=", self.window.since_ns),
            Compare("start", "<=", self.window.until_ns),
        ]
        node = and_all([*overlap, *self.bounds, self.where])
        assert node is not None  # the window is always there
        return node
