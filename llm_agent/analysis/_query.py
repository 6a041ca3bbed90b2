"""``SessionQuery`` and ``ModelQuery``: one ``sessions()`` / ``model()`` call, validated and
normalised once for every store.

``Store.iter_sessions`` builds it from its keyword arguments; a store only translates it into its
own SQL (the filter AST through ``_sql.compile_node`` and the shared ``_sql.SESSION_COLUMNS``, the
sort field through the same map, ``limit`` / ``offset`` as its dialect pages).  So what a keyword
means, and which mistakes are refused with which message, is written here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from llm_agent.analysis import _time
from llm_agent.analysis._sql import DEFAULT_ORDER, parse_order
from llm_agent.analysis._time import TimeLike
from llm_agent.analysis.filter import FIELDS, INT, SECONDS, Compare, Node, and_all, parse

#: Keyword filters of ``sessions()`` -> (field of the filter language, operator), in signature
#: order.  Durations are seconds.  Both stores compile the resulting comparisons, so this is the
#: one table from keyword to column and comparison.
KEYWORD_BOUNDS: Final[dict[str, tuple[str, str]]] = {
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
    "min_cost": ("cost", ">="),
    "max_cost": ("cost", "<="),
}
#: ``sessions()`` returns at most this many rows unless told otherwise (``limit=None``: all).
DEFAULT_LIMIT: Final = 50


@dataclass(frozen=True, slots=True)
class SessionQuery:
    """What a ``sessions()`` call asks for, every input checked and in the stores' units.

    ``window`` is resolved to UTC nanoseconds; ``bounds`` holds one comparison per keyword filter
    that was given (durations in seconds), in ``KEYWORD_BOUNDS`` order; ``where`` is the parsed
    filter expression (relative times resolved against the same *now* as the window).
    """

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
        order_by: str = DEFAULT_ORDER,
        limit: int | None = DEFAULT_LIMIT,
        offset: int = 0,
        *,
        bounds: Mapping[str, Any] | None = None,
        now_ns: int | None = None,
    ) -> SessionQuery:
        """The query for these ``sessions()`` arguments; ``bounds`` maps keyword filters to values
        (``None`` values are ignored).  Raises ``ValueError`` (``FilterError`` for ``where``) or,
        for a keyword ``sessions()`` does not take, ``TypeError``."""
        now = _time.now_ns() if now_ns is None else now_ns
        # The order of the checks decides which of several mistakes is reported: window,
        # keyword filters, where, sort column, paging.
        window = _time.resolve_window(since, until, now)
        given = dict(bounds or {})
        for name in given:
            if name not in KEYWORD_BOUNDS:
                raise TypeError(f"sessions() got an unexpected keyword argument {name!r}")
        compares = tuple(
            Compare(field, op, _keyword_value(name, field, given[name]))
            for name, (field, op) in KEYWORD_BOUNDS.items()
            if given.get(name) is not None
        )
        parsed = _parse_where(where, now)
        sort_field, descending = parse_order(order_by)
        check_paging(limit, offset)
        return cls(window, compares, parsed, sort_field, descending, limit, offset)

    @property
    def filter(self) -> Node:
        """Everything a session must pass, as one AST: it overlaps the window (starts at or before
        ``until``, ends at or after ``since``), meets every bound and matches ``where``."""
        overlap: list[Node | None] = [
            Compare("end", ">=", self.window.since_ns),
            Compare("start", "<=", self.window.until_ns),
        ]
        node = and_all([*overlap, *self.bounds, self.where])
        assert node is not None  # the window is always there
        return node


#: A call longer than this counts as slow in ``model()`` (the ARMS default).
DEFAULT_SLOW_THRESHOLD_S: Final = 3.0


@dataclass(frozen=True, slots=True)
class ModelQuery:
    """What a ``model()`` call asks for: the model, the window (UTC ns), the bucket size (s) and
    the slow threshold, checked; ``params`` are the values every store's SQL binds."""

    name: str
    window: _time.Window
    bucket_s: int
    slow_threshold_s: float

    @classmethod
    def build(
        cls,
        name: str,
        since: TimeLike | None = None,
        until: TimeLike | None = None,
        bucket: str | int = "auto",
        slow_threshold_s: float = DEFAULT_SLOW_THRESHOLD_S,
    ) -> ModelQuery:
        window = _time.resolve_window(since, until)
        bucket_s = _time.bucket_seconds(bucket, window)
        if isinstance(slow_threshold_s, bool) or not isinstance(slow_threshold_s, (int, float)) or slow_threshold_s < 0:
            raise ValueError(f"slow_threshold_s must be a number >= 0, got {slow_threshold_s!r}")
        return cls(name, window, bucket_s, float(slow_threshold_s))

    @property
    def params(self) -> dict[str, Any]:
        """``first`` (the window's start aligned down to a bucket), ``step`` (the bucket, ns),
        ``slow`` (the threshold, ns), ``model``, ``since``, ``until``."""
        step = self.bucket_s * 1_000_000_000
        return {
            "first": self.window.since_ns - self.window.since_ns % step,
            "step": step,
            "slow": int(self.slow_threshold_s * 1e9),
            "model": self.name,
            "since": self.window.since_ns,
            "until": self.window.until_ns,
        }


def _parse_where(where: str | Node | None, now_ns: int) -> Node | None:
    if isinstance(where, str):
        return parse(where, now_ns) if where.strip() else None
    return where


def _keyword_value(name: str, field: str, value: Any, fields: Mapping[str, str] = FIELDS) -> Any:
    ftype = fields[field]
    if ftype == SECONDS:
        return _time.parse_duration(value)
    if ftype == INT:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name} must be a number, got {value!r}")
        return _time.check_count(value, name)
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {value!r}")
    return value


def check_paging(limit: int | None, offset: int) -> None:
    """``ValueError`` unless ``limit`` (or None) and ``offset`` are integers in ``[0, 2**63 - 1]``
    (what SQLite and ClickHouse page by)."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be an integer >= 0 or None, got {limit!r}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be an integer >= 0, got {offset!r}")
    for name, value in (("limit", limit), ("offset", offset)):
        if value is not None and value > _time.MAX_INT64:
            raise ValueError(f"{name} must be at most {_time.MAX_INT64}, got {value!r}")
