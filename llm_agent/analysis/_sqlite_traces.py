"""The Trace Explorer's SQL on the SQLite sink: ``traces()`` over the ``traces`` rollup.

A listing reads the rollup (one row per trace, ``traces_start`` for the window); the span tests
(``error_type``, ``tool``, ``kind``) are subqueries over ``spans``: when the sink's partial
indexes (``spans_error_type``, ``spans_tool``, ``spans_kind``: only spans that carry one are
indexed) count few matching spans, the matching traces are read by key; otherwise, and for the
kinds nearly every trace has (LLM, EMBEDDING, CHAIN), a correlated ``EXISTS`` over each listed
trace's spans (its primary key) finds a page of dense matches at once.  Measurements:
docs/analysis.md#performance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from llm_agent.analysis import _sql
from llm_agent.analysis._traces import TRACE_COLUMNS, TraceQuery, trace_order
from llm_agent.analysis.filter import TRACE_FIELDS
from llm_agent.backends._sqlite_schema import KIND_INDEX_WHERE, TOOL_NAME_SQL, UNINDEXED_KINDS

#: The kinds neither partial index holds: a correlated EXISTS over the trace's spans answers them.
_SCANNED_KINDS: Final = tuple(k for k in UNINDEXED_KINDS if k != "TOOL")
_SCANNED_KINDS_SQL: Final = "(" + ", ".join(f"'{k}'" for k in _SCANNED_KINDS) + ")"
#: Spans matching a span test up to which the listing reads their traces by primary key (each a
#: random lookup, ~4 us); past it, scanning the listing in order finds a page sooner.
DRIVE_LIMIT: Final = 2000

#: Rollup cost columns (schema version 5, docs/cost.md; the store reads them as "nothing priced"
#: from older files, replacing this text).
COST_ROLLUP: Final = "priced_calls, unpriced_calls, cost_nusd, cache_creation_tokens, cache_saved_nusd"
#: The traces row columns a listing returns (``_build.trace_summary``'s names, but tool names).
TRACE_COLUMNS_SELECT: Final = (
    "trace_id, session_id, user_id, service_name, name, start_ns, end_ns, duration_ns, span_count, llm_calls, "
    "input_tokens, "
    "output_tokens, total_tokens, cache_read_tokens, reasoning_tokens, usage_missing_calls, error_count, models, "
    "ttft_s, " + COST_ROLLUP
)
#: Those columns and the trace's tool names, from its TOOL spans (primary key, then the rows) of
#: ``traces`` rows; a listing adds them only to the rows of its page (not to those OFFSET skips).
TRACE_LIST_SELECT: Final = (
    f"{TRACE_COLUMNS_SELECT}, (SELECT group_concat(DISTINCT {TOOL_NAME_SQL}) FROM spans "
    "WHERE spans.trace_id = traces.trace_id AND span_kind = 'TOOL') AS tool_names"
)


class TraceDialect(_sql.Dialect):
    """SQLite's dialect with the span tests of the trace vocabulary.

    Placeholders are numbered (``?1``, ``?2``, ...), so a test may read its value twice; the
    statement's trailing bare ``?`` (LIMIT, OFFSET) take the numbers after them.
    """

    def __init__(self, probe: Callable[[str, list[Any]], int] | None = None) -> None:
        super().__init__()
        #: Runs a count on the sink (the store's connection) to choose a query shape; None: no probe.
        self._probe = probe

    def param(self, value: Any, ftype: str) -> str:
        super().param(value, ftype)
        return f"?{len(self._params)}"

    def set_has(self, expr: str, placeholder: str) -> str:
        # A plain substring test first: most rows fail it without the concatenations the exact
        # member test builds (a full scan of a month's traces for a model: ~25% less CPU).
        return f"(instr({expr}, {placeholder}) > 0 AND {super().set_has(expr, placeholder)})"

    def _test(self, expr: str, test: str, values: list[Any]) -> str:
        if test == "in":
            return f"{expr} IN (" + ", ".join(self.param(v, "str") for v in values) + ")"
        if test == "contains":
            return self.contains(expr, self.param(values[0], "str"))
        return f"{expr} = {self.param(values[0], 'str')}"

    def span_set(self, name: str, test: str, values: list[Any]) -> str:
        # Each index's WHERE is repeated verbatim: SQLite uses a partial index only for a query
        # whose WHERE visibly implies it.  The values choose among fixed SQL shapes below; they
        # only ever reach the SQL as bound parameters.
        if name == "error_type":
            return self._member("error_type IS NOT NULL", "error_type", test, values)
        if name == "tool":
            return self._member("span_kind = 'TOOL'", f"({TOOL_NAME_SQL})", test, values)
        assert name == "kind", name
        # Three places hold a kind: spans_kind (the rare kinds), spans_tool (TOOL) and, for the
        # kinds nearly every trace has, the trace's own spans.  Only the places a value can be
        # in are asked.
        if test == "contains":
            needle = values[0]
            tests = [self._member(KIND_INDEX_WHERE, "span_kind", "contains", values)]
            tool = "TOOL" if needle in "TOOL" else None
            scanned = [k for k in _SCANNED_KINDS if needle in k]
        else:
            others = [v for v in values if v not in UNINDEXED_KINDS]
            tests = [self._member(KIND_INDEX_WHERE, "span_kind", "in", others)] if others else []
            tool = "TOOL" if "TOOL" in values else None
            scanned = [k for k in _SCANNED_KINDS if k in values]
        if tool:  # every span spans_tool holds is one: no test beyond its WHERE (index only)
            tests.append(self._member("span_kind = 'TOOL'", None, "==", []))
        if scanned:
            kinds = ", ".join(self.param(k, "str") for k in scanned)
            tests.append(
                "EXISTS (SELECT 1 FROM spans x WHERE x.trace_id = traces.trace_id "
                f"AND x.span_kind IN {_SCANNED_KINDS_SQL} AND x.span_kind IN ({kinds}))"
            )
        return "(" + " OR ".join(tests) + ")" if tests else "0"

    def _member(self, where: str, expr: str | None, test: str, values: list[Any]) -> str:
        """``trace_id IN`` the traces of the spans that pass ``where`` and the test.

        With few such spans (``DRIVE_LIMIT``, counted in the partial index by the store's probe)
        SQLite reads the matching traces by primary key; with many, a correlated ``EXISTS`` reads
        each listed trace's own spans (primary key) in the listing's order and stops at the page,
        instead of first collecting every match."""
        drive = True
        if self._probe is not None:
            probe = TraceDialect()
            cond = where if expr is None else f"{where} AND {probe._test(expr, test, values)}"
            counted = f"SELECT count(*) FROM (SELECT 1 FROM spans WHERE {cond} LIMIT {DRIVE_LIMIT})"
            drive = self._probe(counted, probe.params) < DRIVE_LIMIT
        cond = where if expr is None else f"{where} AND {self._test(expr, test, values)}"
        if drive:
            return f"trace_id IN (SELECT trace_id FROM spans WHERE {cond})"
        # The columns in cond resolve to the inner spans x (it has every one of them).
        return f"EXISTS (SELECT 1 FROM spans x WHERE x.trace_id = traces.trace_id AND {cond})"


Probe = Callable[[str, list[Any]], int]


def select_traces_sql(query: TraceQuery, probe: Probe | None = None) -> tuple[str, list[Any]]:
    """SQL and parameters of ``query``'s page of traces (``probe``: see ``TraceDialect``)."""
    dialect = TraceDialect(probe)
    where_sql = _sql.compile_node(query.filter, TRACE_COLUMNS, dialect, TRACE_FIELDS)
    order = trace_order(query.sort_field, query.descending, dialect)
    # The page first, then the tool names of its rows only; the outer query keeps the page's order.
    sql = (
        f"SELECT {TRACE_LIST_SELECT} FROM (SELECT {TRACE_COLUMNS_SELECT} FROM traces WHERE {where_sql} "
        f"ORDER BY {order} LIMIT ? OFFSET ?) AS traces ORDER BY {order}"
    )
    return sql, [*dialect.params, -1 if query.limit is None else query.limit, query.offset]


def count_traces_sql(query: TraceQuery, probe: Probe | None = None) -> tuple[str, list[Any]]:
    """SQL and parameters counting every trace ``query`` selects (paging ignored)."""
    dialect = TraceDialect(probe)
    where_sql = _sql.compile_node(query.filter, TRACE_COLUMNS, dialect, TRACE_FIELDS)
    return f"SELECT COUNT(*) FROM traces WHERE {where_sql}", list(dialect.params)
