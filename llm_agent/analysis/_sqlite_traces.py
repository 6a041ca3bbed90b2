"""The Trace Explorer's SQL on the SQLite sink: ``traces()`` over the ``traces`` rollup.

A listing reads the rollup (one row per trace, ``traces_start`` for the window); the span tests
(``error_type``, ``tool``, ``kind``) are subqueries over ``spans`` through the sink's partial
indexes (``spans_error_type``, ``spans_tool``, ``spans_kind``: only spans that carry one are
indexed).  The kinds those indexes leave out (LLM, EMBEDDING, CHAIN: nearly every trace has them)
are answered by a correlated ``EXISTS`` over the trace's spans (its primary key), which the value
itself gates, so a test for ``TOOL`` never pays for it.  Measurements: docs/performance.md.
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent.analysis import _sql
from llm_agent.analysis._traces import TRACE_COLUMNS, TraceQuery, trace_order
from llm_agent.analysis.filter import TRACE_FIELDS
from llm_agent.backends._sqlite_schema import KIND_INDEX_WHERE, TOOL_NAME_SQL, UNINDEXED_KINDS

#: The kinds neither partial index holds: a correlated EXISTS over the trace's spans answers them.
_SCANNED_KINDS: Final = tuple(k for k in UNINDEXED_KINDS if k != "TOOL")
_SCANNED_KINDS_SQL: Final = "(" + ", ".join(f"'{k}'" for k in _SCANNED_KINDS) + ")"

#: The traces row columns a listing returns (``_build.trace_summary``'s names); tool names come
#: from the trace's TOOL spans (its primary key, then the rows), only for the rows returned.
TRACE_LIST_SELECT: Final = (
    "trace_id, session_id, user_id, service_name, name, start_ns, end_ns, span_count, llm_calls, input_tokens, "
    "output_tokens, total_tokens, cache_read_tokens, reasoning_tokens, usage_missing_calls, error_count, models, "
    f"ttft_s, (SELECT group_concat(DISTINCT {TOOL_NAME_SQL}) FROM spans "
    "WHERE spans.trace_id = traces.trace_id AND span_kind = 'TOOL') AS tool_names"
)


class TraceDialect(_sql.Dialect):
    """SQLite's dialect with the span tests of the trace vocabulary.

    Placeholders are numbered (``?1``, ``?2``, ...), so a test may read its value twice; the
    statement's trailing bare ``?`` (LIMIT, OFFSET) take the numbers after them.
    """

    def param(self, value: Any, ftype: str) -> str:
        super().param(value, ftype)
        return f"?{len(self._params)}"

    def set_has(self, expr: str, placeholder: str) -> str:
        # A plain substring test first: most rows fail it without the concatenations the exact
        # member test builds (a full scan of a month's traces for a model: ~2.5x faster).
        return f"(instr({expr}, {placeholder}) > 0 AND {super().set_has(expr, placeholder)})"

    def _test(self, expr: str, test: str, values: list[Any]) -> str:
        if test == "in":
            return f"{expr} IN (" + ", ".join(self.param(v, "str") for v in values) + ")"
        if test == "contains":
            return self.contains(expr, self.param(values[0], "str"))
        return f"{expr} = {self.param(values[0], 'str')}"

    def span_set(self, name: str, test: str, values: list[Any]) -> str:
        # Each index's WHERE is repeated verbatim: SQLite uses a partial index only for a query
        # whose WHERE visibly implies it.
        if name == "error_type":
            cond = self._test("error_type", test, values)
            return f"trace_id IN (SELECT trace_id FROM spans WHERE error_type IS NOT NULL AND {cond})"
        if name == "tool":
            cond = self._test(f"({TOOL_NAME_SQL})", test, values)
            return f"trace_id IN (SELECT trace_id FROM spans WHERE span_kind = 'TOOL' AND {cond})"
        assert name == "kind", name
        # Three places hold a kind: spans_kind (the rare kinds), spans_tool (TOOL) and, for the
        # kinds nearly every trace has, the trace's own spans; gates on the bound values skip
        # the branches a value cannot match.
        indexed = self._test("span_kind", test, values)
        tool_gate = self._gate(test, values, ("TOOL",))
        scan_gate = self._gate(test, values, _SCANNED_KINDS)
        scanned = self._test("x.span_kind", test, values)
        return (
            f"(trace_id IN (SELECT trace_id FROM spans WHERE {KIND_INDEX_WHERE} AND {indexed}) "
            f"OR ({tool_gate} AND trace_id IN (SELECT trace_id FROM spans WHERE span_kind = 'TOOL')) "
            f"OR ({scan_gate} AND EXISTS (SELECT 1 FROM spans x WHERE x.trace_id = traces.trace_id "
            f"AND x.span_kind IN {_SCANNED_KINDS_SQL} AND {scanned})))"
        )

    def _gate(self, test: str, values: list[Any], kinds: tuple[str, ...]) -> str:
        """True when a value could name one of ``kinds`` (evaluated on the bound values alone, so
        SQLite skips the branch for every row when it is false)."""
        if test == "contains":
            p = [self.param(values[0], "str") for _ in kinds]
            return "(" + " OR ".join(f"instr('{k}', {q}) > 0" for k, q in zip(kinds, p, strict=True)) + ")"
        listed = "(" + ", ".join(f"'{k}'" for k in kinds) + ")"
        return "(" + " OR ".join(f"{self.param(v, 'str')} IN {listed}" for v in values) + ")"


def select_traces_sql(query: TraceQuery) -> tuple[str, list[Any]]:
    """SQL and parameters of ``query``'s page of traces."""
    dialect = TraceDialect()
    where_sql = _sql.compile_node(query.filter, TRACE_COLUMNS, dialect, TRACE_FIELDS)
    sql = (
        f"SELECT {TRACE_LIST_SELECT} FROM traces WHERE {where_sql} "
        f"ORDER BY {trace_order(query.sort_field, query.descending, dialect)} LIMIT ? OFFSET ?"
    )
    return sql, [*dialect.params, -1 if query.limit is None else query.limit, query.offset]


def count_traces_sql(query: TraceQuery) -> tuple[str, list[Any]]:
    """SQL and parameters counting every trace ``query`` selects (paging ignored)."""
    dialect = TraceDialect()
    where_sql = _sql.compile_node(query.filter, TRACE_COLUMNS, dialect, TRACE_FIELDS)
    return f"SELECT COUNT(*) FROM traces WHERE {where_sql}", list(dialect.params)
