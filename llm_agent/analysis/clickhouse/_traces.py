"""The Trace Explorer's SQL on ClickHouse: ``traces()`` as a scan of ``otel_traces`` grouped by trace.

There is no traces rollup next to ``otel_traces`` (the optional one, ``_views``, is per session),
so a listing aggregates the spans of every trace that has a span overlapping the window
(``_queries.traces_sql``), then filters, sorts and pages those rows: its cost follows the spans in
the window.  The span tests (``error_type``, ``tool``, ``kind``) are plain set columns of that
aggregation (``error_types``, ``tool_names``, ``span_kinds``), so they cost nothing extra.

One difference from SQLite, by construction: a trace whose spans all miss the window while its
first start and last end surround it (a gap between its spans covering the whole window) overlaps
the window on SQLite and is not found here.
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent.analysis import _sql
from llm_agent.analysis._traces import TRACE_COLUMNS, TraceQuery, trace_order
from llm_agent.analysis.clickhouse import _queries
from llm_agent.analysis.clickhouse._cost import EMPTY_MAP
from llm_agent.analysis.filter import TRACE_FIELDS

#: The shared trace column map with the span tests as columns of the aggregated rows.
CH_TRACE_COLUMNS: Final[dict[str, _sql.Column]] = {
    name: _sql.Column(column.expr, column.scale) for name, column in TRACE_COLUMNS.items()
}
# The spans that overlap the window: every trace that overlaps it has one (but see above).
_OVERLAP: Final = (
    "TraceId IN (SELECT TraceId FROM {table} WHERE Timestamp <= fromUnixTimestamp64Nano({{w_until:Int64}}) "
    "AND toInt64(toUnixTimestamp64Nano(Timestamp)) + toInt64(Duration) >= {{w_since:Int64}})"
)


def window_source(table: str, query: TraceQuery) -> tuple[str, dict[str, Any]]:
    """The condition on ``table``'s rows selecting the spans of the traces that overlap the window
    (SQL over the raw columns), with its parameters."""
    return _OVERLAP.format(table=table), {"w_since": query.window.since_ns, "w_until": query.window.until_ns}


def _source(table: str, query: TraceQuery, prices: str = EMPTY_MAP) -> tuple[str, dict[str, Any]]:
    inner, params = window_source(table, query)
    return _queries.traces_sql(table, inner, prices), params


def _where(query: TraceQuery) -> tuple[str, dict[str, Any]]:
    dialect = _queries.Dialect()
    sql = _sql.compile_node(query.filter, CH_TRACE_COLUMNS, dialect, TRACE_FIELDS)
    return sql, dialect.params


def select_traces_sql(table: str, query: TraceQuery, prices: str = EMPTY_MAP) -> tuple[str, dict[str, Any]]:
    """SQL and parameters of ``query``'s page of traces from ``table``, each call priced from
    ``prices`` (``_cost.price_map``)."""
    source, params = _source(table, query, prices)
    where_sql, bound = _where(query)
    params.update(bound)
    sql = (
        f"SELECT {_queries.TRACE_SELECT} FROM ({source}) WHERE {where_sql} "
        f"ORDER BY {trace_order(query.sort_field, query.descending, _queries.Dialect())}"
    )
    if query.limit is None:  # ClickHouse takes an OFFSET without a LIMIT only in its ROWS form
        sql += " OFFSET {off:UInt64} ROWS"
    else:
        sql += " LIMIT {lim:UInt64} OFFSET {off:UInt64}"
        params["lim"] = query.limit
    params["off"] = query.offset
    return sql, params


def count_traces_sql(table: str, query: TraceQuery) -> tuple[str, dict[str, Any]]:
    """SQL and parameters counting the traces ``query`` selects (paging ignored)."""
    source, params = _source(table, query)
    where_sql, bound = _where(query)
    params.update(bound)
    return f"SELECT count() AS n FROM ({source}) WHERE {where_sql}", params
