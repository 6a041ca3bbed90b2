"""Compiling filter ASTs to parameterised SQL, and the session-query pieces every store shares.

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

from llm_agent.analysis import _time
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
    Node,
    Not,
    Or,
    and_all,
    parse,
)

_SQL_OPS: Final = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True, slots=True)
class Column:
    """How one filter field reads in a store: ``expr`` is SQL; literals are multiplied by ``scale``."""

    expr: str
    scale: float = 1.0  # e.g. 1e9 when the language says seconds and the column holds nanoseconds


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


def compile_node(node: Node, columns: Mapping[str, Column], dialect: Dialect) -> str:
    """SQL for ``node``; the bound values accumulate in ``dialect.params``."""
    if isinstance(node, And):
        return "(" + " AND ".join(compile_node(n, columns, dialect) for n in node.items) + ")"
    if isinstance(node, Or):
        return "(" + " OR ".join(compile_node(n, columns, dialect) for n in node.items) + ")"
    if isinstance(node, Not):
        return "(NOT " + compile_node(node.item, columns, dialect) + ")"
    column = columns[node.field]
    ftype = FIELDS[node.field]
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


def _bind(value: Any, ftype: str, column: Column, dialect: Dialect) -> str:
    if ftype in (INT, SECONDS, TIME) and column.scale != 1.0:
        scaled = value * column.scale
        # Integral columns (ns) compare against integers so SQLite can use their indexes exactly.
        value = round(scaled) if ftype in (SECONDS, TIME) else scaled
    return dialect.param(value, ftype)


# --- the session listing, shared by every store --------------------------------------------------------

#: Keyword filters of ``sessions()`` -> (field, operator).  Durations are seconds.
SESSION_FILTER_ARGS: Final[dict[str, tuple[str, str]]] = {
    "session_id": ("session_id", "=="),
    "user": ("user", "=="),
    "min_duration_s": ("duration_s", ">="),
    "max_duration_s": ("duration_s", "<="),
    "min_traces": ("traces", ">="),
    "max_traces": ("traces", "<="),
    "min_total_tokens": ("total_tokens", ">="),
    "max_total_tokens": ("total_tokens", "<="),
    "min_input_tokens": ("input_tokens", ">="),
    "max_input_tokens": ("input_tokens", "<="),
    "min_output_tokens": ("output_tokens", ">="),
    "max_output_tokens": ("output_tokens", "<="),
}
DEFAULT_ORDER: Final = "-start"
DEFAULT_LIMIT: Final = 50


def session_filter(
    window: _time.Window,
    where: str | Node | None = None,
    now_ns: int | None = None,
    **filters: Any,
) -> Node:
    """One AST for a ``sessions()`` call: overlap with the window, keyword filters, ``where``.

    A session overlaps ``[since, until]`` when it starts at or before ``until`` and ends at or
    after ``since``.  Keyword filters that are ``None`` are ignored.
    """
    nodes: list[Node | None] = [Compare("end", ">=", window.since_ns), Compare("start", "<=", window.until_ns)]
    for name, value in filters.items():
        if name not in SESSION_FILTER_ARGS:
            raise TypeError(f"sessions() got an unexpected keyword argument {name!r}")
        if value is None:
            continue
        field, op = SESSION_FILTER_ARGS[name]
        nodes.append(Compare(field, op, _keyword_value(name, field, value)))
    if isinstance(where, str):
        if where.strip():
            nodes.append(parse(where, now_ns))
    elif where is not None:
        nodes.append(where)
    result = and_all(nodes)
    assert result is not None
    return result


def _keyword_value(name: str, field: str, value: Any) -> Any:
    ftype = FIELDS[field]
    if ftype == SECONDS:
        return _time.parse_duration(value)
    if ftype == INT:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name} must be a number, got {value!r}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {value!r}")
    return value


def parse_order(order_by: str | None) -> tuple[str, bool]:
    """``"-start"`` -> (``"start"``, descending); accepts any SessionSummary column or filter alias.

    ``"user"`` sorts by the session's first user (``user_id``).
    """
    text = (order_by or DEFAULT_ORDER).strip()
    desc = False
    if text[:1] in "+-":
        desc, text = text[0] == "-", text[1:].strip()
    lowered = text.lower()
    for suffix, is_desc in ((" desc", True), (" asc", False)):
        if lowered.endswith(suffix):
            desc, lowered = is_desc, lowered[: -len(suffix)].strip()
    name = ALIASES.get(lowered, lowered)
    if name == "user":
        name = "user_id"
    if name in ("end_time", "start_time"):
        name = name[:-5]
    if name not in SORT_FIELDS:
        columns = ", ".join(sorted(SORT_FIELDS))
        raise ValueError(f"cannot sort by {order_by!r}; columns: {columns} (prefix - for descending)")
    return name, desc


#: Fields ``parse_order`` accepts: the filter fields, ``user`` meaning the first user (``user_id``);
#: ``models`` sorts by its comma-joined text.
SORT_FIELDS: Final = frozenset(FIELDS) - {"user"}


def check_paging(limit: int | None, offset: int) -> None:
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be an integer >= 0 or None, got {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be an integer >= 0, got {offset!r}")
