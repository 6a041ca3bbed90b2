"""Compiling filter ASTs to parameterised SQL, and the sessions column map every store shares.

A store describes its schema with a column map (filter field -> ``Column``: a SQL expression and
the factor that converts the language's units to the column's, e.g. seconds -> nanoseconds) and a
``Dialect`` (how a parameter is written and how set membership / substring tests look).  Values
only ever travel as parameters: the SQL text contains field expressions from the column map,
operators from a fixed table and placeholders, nothing from the user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from llm_agent.analysis.filter import (
    ALIASES,
    FIELDS,
    INT,
    SECONDS,
    SET,
    TIME,
    And,
    Compare,
    In,
    IsNull,
    Node,
    Not,
    Or,
)

_SQL_OPS: Final = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True, slots=True)
class Column:
    """How one filter field reads in a store: ``expr`` is SQL; literals are multiplied by ``scale``."""

    expr: str
    scale: float = 1.0  # e.g. 1e9 when the language says seconds and the column holds nanoseconds
    #: For a set field the store answers from the trace's spans instead of a column: the name the
    #: dialect's ``span_set`` knows it by (``expr`` is then unused by that dialect).
    span_set: str | None = None


class Dialect:
    """SQLite flavour (``?`` placeholders, sets stored as comma-separated sorted names).

    Subclass for another database: override ``param`` (and the set / substring tests) and
    ``params`` to hand out what the driver expects.
    """

    def __init__(self) -> None:
        self._params: list[Any] = []

    def param(self, value: Any, ftype: str) -> str:
        """A placeholder bound to ``value`` (``ftype``: one of filter.STR/SET/INT/SECONDS/TIME)."""
        self._params.append(value)
        return "?"

    @property
    def params(self) -> Any:
        return list(self._params)

    def set_has(self, expr: str, placeholder: str) -> str:
        # ',a,b,' contains ',a,': exact member match; instr() has no wildcard characters to escape.
        return f"instr(',' || {expr} || ',', ',' || {placeholder} || ',') > 0"

    def contains(self, expr: str, placeholder: str) -> str:
        # Case-sensitive substring; instr() again, so '%' and '_' in the value are plain characters.
        return f"instr({expr}, {placeholder}) > 0"

    def compare(self, expr: str, op: str, placeholder: str) -> str:
        """``op`` is one of = <> < <= > >=.  ``<>`` is NULL-safe: a session without a user is
        "not alice" (plain SQL would drop it as unknown)."""
        if op == "<>":
            return f"{expr} IS NOT {placeholder}"
        return f"{expr} {op} {placeholder}"

    def set_contains(self, expr: str, placeholder: str) -> str:
        """Some member contains the text (members are joined by ',', which is never searched for)."""
        return self.contains(expr, placeholder)

    def span_set(self, name: str, test: str, values: list[Any]) -> str:
        """SQL true when some span of the row's trace has a member of the set ``name`` (error_type,
        tool, kind) passing ``test`` (``"=="``, ``"in"`` or ``"contains"``) against ``values``
        (strings, bound through ``param``).  Stores that keep the set as a column never get here."""
        raise NotImplementedError(f"{type(self).__name__} has no span set {name!r}")

    def order(self, expr: str, descending: bool) -> str:
        """One ORDER BY term.  SQLite sorts NULL below every value (first ascending, last
        descending): that order is the reference other dialects reproduce."""
        return f"{expr} {'DESC' if descending else 'ASC'}"


def compile_node(
    node: Node, columns: Mapping[str, Column], dialect: Dialect, fields: Mapping[str, str] = FIELDS
) -> str:
    """SQL for ``node``; the bound values accumulate in ``dialect.params``.  ``fields`` is the
    vocabulary the node was parsed with (``filter.FIELDS`` or ``filter.TRACE_FIELDS``)."""
    if isinstance(node, And):
        return "(" + " AND ".join(compile_node(n, columns, dialect, fields) for n in node.items) + ")"
    if isinstance(node, Or):
        return "(" + " OR ".join(compile_node(n, columns, dialect, fields) for n in node.items) + ")"
    if isinstance(node, Not):
        return "(NOT " + compile_node(node.item, columns, dialect, fields) + ")"
    column = columns[node.field]
    ftype = fields[node.field]
    if isinstance(node, IsNull):
        return f"{column.expr} IS {'NOT ' if node.negated else ''}NULL"
    if column.span_set is not None:
        return _span_set(node, column, ftype, dialect)
    if isinstance(node, In):
        if ftype == SET:
            tests = [dialect.set_has(column.expr, _bind(v, ftype, column, dialect)) for v in node.values]
            sql = "(" + " OR ".join(tests) + ")"
        else:
            sql = f"{column.expr} IN (" + ", ".join(_bind(v, ftype, column, dialect) for v in node.values) + ")"
        return f"(NOT {sql})" if node.negated else sql
    assert isinstance(node, Compare)
    placeholder = _bind(node.value, ftype, column, dialect)
    if node.op == "contains":
        if ftype == SET:
            return dialect.set_contains(column.expr, placeholder)
        return dialect.contains(column.expr, placeholder)
    if ftype == SET:
        test = dialect.set_has(column.expr, placeholder)
        return test if node.op == "==" else f"(NOT {test})"
    return dialect.compare(column.expr, _SQL_OPS[node.op], placeholder)


def _span_set(node: Compare | In, column: Column, ftype: str, dialect: Dialect) -> str:
    """A set field answered from the trace's spans: == / in / contains ask "some span has it",
    != / not in "no span has it" (as they mean on a set column)."""
    assert column.span_set is not None and ftype == SET
    if isinstance(node, In):
        test = dialect.span_set(column.span_set, "in", list(node.values))
        return f"(NOT {test})" if node.negated else test
    if node.op == "contains":
        return dialect.span_set(column.span_set, "contains", [node.value])
    test = dialect.span_set(column.span_set, "==", [node.value])
    return test if node.op == "==" else f"(NOT {test})"


def _bind(value: Any, ftype: str, column: Column, dialect: Dialect) -> str:
    if ftype in (INT, SECONDS, TIME) and column.scale != 1.0:
        scaled = value * column.scale
        # Integral columns (ns) compare against integers so SQLite can use their indexes exactly.
        value = round(scaled) if ftype in (SECONDS, TIME) else scaled
    return dialect.param(value, ftype)


# --- the sessions listing: the column map and sort fields both dialects share -------------------------

#: Filter field -> column of the ``sessions`` rows: SQLite's ``sessions`` rollup table, and the
#: ClickHouse sessions subqueries, which give their columns the same names.
SESSION_COLUMNS: Final[dict[str, Column]] = {
    "session_id": Column("session_id"),
    "user": Column("users"),
    "user_id": Column("user_id"),
    "service_name": Column("service_name"),
    "models": Column("models"),
    "start": Column("start_ns"),
    "end": Column("end_ns"),
    "duration_s": Column("duration_ns", 1e9),
    "traces": Column("trace_count"),
    "spans": Column("span_count"),
    "llm_calls": Column("llm_calls"),
    "input_tokens": Column("input_tokens"),
    "output_tokens": Column("output_tokens"),
    "total_tokens": Column("total_tokens"),
    "cache_read_tokens": Column("cache_read_tokens"),
    "reasoning_tokens": Column("reasoning_tokens"),
    "usage_missing_calls": Column("usage_missing_calls"),
    "errors": Column("error_count"),
    # Stored in nano-USD; NULL (matching no comparison, sorted last descending) when nothing was priced.
    "cost": Column("(CASE WHEN priced_calls > 0 THEN cost_nusd END)", 1e9),
    "unpriced_calls": Column("unpriced_calls"),
}
DEFAULT_ORDER: Final = "-start"


def session_order(sort_field: str, descending: bool, dialect: Dialect) -> str:
    """The ORDER BY terms of a sessions listing: the sort field's column, then the session ID in
    the same direction, so equal values page in one stable order on every store."""
    tie = "DESC" if descending else "ASC"
    return f"{dialect.order(SESSION_COLUMNS[sort_field].expr, descending)}, session_id {tie}"


def parse_order(
    order_by: str | None,
    sort_fields: frozenset[str] | None = None,
    aliases: Mapping[str, str] = ALIASES,
) -> tuple[str, bool]:
    """``"-start"`` -> (``"start"``, descending); accepts any SessionSummary column or filter alias
    (``sort_fields`` / ``aliases``: another listing's, e.g. ``TRACE_SORT_FIELDS``).

    ``"user"`` sorts by the session's first user (``user_id``).
    """
    allowed = SORT_FIELDS if sort_fields is None else sort_fields
    text = (order_by or DEFAULT_ORDER).strip()
    desc = False
    if text[:1] in "+-":
        desc, text = text[0] == "-", text[1:].strip()
    lowered = text.lower()
    for suffix, is_desc in ((" desc", True), (" asc", False)):
        if lowered.endswith(suffix):
            desc, lowered = is_desc, lowered[: -len(suffix)].strip()
    name = aliases.get(lowered, lowered)
    if name == "user":
        name = "user_id"
    if name in ("end_time", "start_time"):
        name = name[:-5]
    if name not in allowed:
        columns = ", ".join(sorted(allowed))
        raise ValueError(f"cannot sort by {order_by!r}; columns: {columns} (prefix - for descending)")
    return name, desc


#: Fields ``parse_order`` accepts: the filter fields, ``user`` meaning the first user (``user_id``);
#: ``models`` sorts by its comma-joined text.
SORT_FIELDS: Final = frozenset(FIELDS) - {"user"}
