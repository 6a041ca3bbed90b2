"""The filter language of ``sessions(where=...)``, the CLI's ``--where`` and the web page.

    duration_s > 30 and total_tokens >= 10000 and (user == 'alice' or user == "bob")
    not errors == 0 and models contains 'gpt-4' and start >= '2026-01-31T09:00:00+02:00'
    duration_s >= 2m and user in ('alice', 'bob') and session_id != 'warmup'

Grammar (keywords are case-insensitive)::

    expr       := and_expr ( "or" and_expr )*
    and_expr   := not_expr ( "and" not_expr )*
    not_expr   := "not" not_expr | "(" expr ")" | comparison
    comparison := FIELD op value
                | FIELD ["not"] "in" "(" value ( "," value )* ")"
                | FIELD ["not"] ( "contains" | "~" ) value
                | FIELD "is" ["not"] "null"
    op         := "==" | "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    value      := STRING | NUMBER | DURATION
    STRING     := '...' | "..."   (escapes: \\ \' \" \n \t, and a doubled quote as in SQL: 'it''s')
    NUMBER     := [-+]digits[.digits][e[-+]digits]
    DURATION   := NUMBER unit ( NUMBER unit )*  with unit in ms s m h d w   (30s, 2m, 1h30m)

A small hand-written tokenizer and recursive-descent parser build an AST (no ``eval``); stores
compile it to parameterised SQL (``llm_agent.analysis._sql``), so every literal - including
anything that looks like SQL - is bound as a parameter, never spliced into the query.  Fields,
their types and aliases are in ``FIELDS`` (sessions) and ``TRACE_FIELDS`` (the traces listing,
whose set fields ``error_type``, ``tool`` and ``kind`` test the trace's spans); a mistake raises
``FilterError`` (a ``ValueError``) whose message points at the position with a caret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Union

from llm_agent.analysis import _time

# Field types: what literals a field accepts and which operators apply.
STR: Final = "str"  # a text column
SET: Final = "set"  # a set of names (users, models): == / != test membership
INT: Final = "int"
SECONDS: Final = "seconds"  # a duration: numbers are seconds, 30s / 2m / 1h also work
TIME: Final = "time"  # a point in time: ISO 8601, relative ('1h' = an hour ago), epoch seconds

#: Canonical field name -> type.  These are the SessionSummary columns.
FIELDS: Final[dict[str, str]] = {
    "session_id": STR,
    "user": SET,
    "user_id": STR,
    "service_name": STR,
    "models": SET,
    "start": TIME,
    "end": TIME,
    "duration_s": SECONDS,
    "traces": INT,
    "spans": INT,
    "llm_calls": INT,
    "input_tokens": INT,
    "output_tokens": INT,
    "total_tokens": INT,
    "cache_read_tokens": INT,
    "reasoning_tokens": INT,
    "usage_missing_calls": INT,
    "errors": INT,
    "cost": INT,  # USD (a number; decimals welcome): unknown when no call of the session was priced
    "unpriced_calls": INT,
}
#: Other accepted spellings.
ALIASES: Final[dict[str, str]] = {
    "users": "user",
    "model": "models",
    "service": "service_name",
    "duration": "duration_s",
    "tokens": "total_tokens",
    "session": "session_id",
    "trace_count": "traces",
    "error_count": "errors",
    "cost_usd": "cost",
}
#: The fields of ``traces(where=...)``: the TraceSummary columns, plus tests over the trace's spans
#: (``error_type``, ``tool``, ``kind``: "some span of the trace has it", as ``models`` is).
TRACE_FIELDS: Final[dict[str, str]] = {
    "trace_id": STR,
    "name": STR,
    "session_id": STR,
    "user_id": STR,
    "service_name": STR,
    "models": SET,
    "start": TIME,
    "end": TIME,
    "duration_s": SECONDS,
    "spans": INT,
    "llm_calls": INT,
    "input_tokens": INT,
    "output_tokens": INT,
    "total_tokens": INT,
    "cache_read_tokens": INT,
    "reasoning_tokens": INT,
    "usage_missing_calls": INT,
    "errors": INT,
    "ttft_s": SECONDS,
    "error_type": SET,  # error.type of any span of the trace
    "tool": SET,  # gen_ai.tool.name of any TOOL span of the trace
    "kind": SET,  # gen_ai.span.kind of any span of the trace (LLM, TOOL, AGENT, CHAIN, ...)
}
TRACE_ALIASES: Final[dict[str, str]] = {
    "trace": "trace_id",
    "user": "user_id",
    "model": "models",
    "service": "service_name",
    "duration": "duration_s",
    "tokens": "total_tokens",
    "session": "session_id",
    "error_count": "errors",
    "error_types": "error_type",
    "tools": "tool",
    "tool_name": "tool",
    "tool_names": "tool",
    "span_kind": "kind",
    "kinds": "kind",
    "ttft": "ttft_s",
}
_OPS_BY_TYPE: Final = {
    STR: frozenset({"==", "!=", "<", "<=", ">", ">=", "contains", "in"}),
    SET: frozenset({"==", "!=", "contains", "in"}),
    INT: frozenset({"==", "!=", "<", "<=", ">", ">=", "in"}),
    SECONDS: frozenset({"==", "!=", "<", "<=", ">", ">=", "in"}),
    TIME: frozenset({"==", "!=", "<", "<=", ">", ">="}),
}
_KEYWORDS: Final = frozenset({"and", "or", "not", "in", "contains", "is", "null"})
#: Longest accepted expression (the web page passes user input straight through).
MAX_EXPRESSION_CHARS: Final = 4096
#: Deepest nesting of parentheses / ``not`` (bounds the recursion).
MAX_DEPTH: Final = 64


class FilterError(ValueError):
    """A filter expression cannot be parsed or does not fit the fields; the message shows where."""

    def __init__(self, reason: str, expression: str, position: int) -> None:
        self.reason = reason
        self.expression = expression
        self.position = position
        shown = expression.replace("\n", " ").replace("\t", " ")
        super().__init__(f"{reason} (at position {position})\n  {shown}\n  {' ' * position}^")


# --- AST -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compare:
    """``field op value``; ``value`` already converted to the field's type (TIME: UTC ns)."""

    field: str
    op: str  # == != < <= > >= contains
    value: Any
    pos: int = 0


@dataclass(frozen=True, slots=True)
class In:
    field: str
    values: tuple[Any, ...]
    negated: bool = False
    pos: int = 0


@dataclass(frozen=True, slots=True)
class IsNull:
    """``field is null`` (``negated``: ``is not null``): the value is unknown / absent."""

    field: str
    negated: bool = False
    pos: int = 0


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


Node = Union[Compare, In, IsNull, And, Or, Not]


def and_all(nodes: list[Node | None]) -> Node | None:
    """The conjunction of the non-None nodes (None when there are none)."""
    items = tuple(n for n in nodes if n is not None)
    if not items:
        return None
    return items[0] if len(items) == 1 else And(items)


# --- tokenizer -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # ident, keyword, string, number, duration, op, "(", ")", ",", eof
    value: Any
    pos: int
    text: str


_NUM: Final = r"(?:\d+(?:\.\d*)?|\.\d+)"
_UNIT: Final = r"(?:ms|s|m|h|d|w)"
_DURATION_RE: Final = re.compile(rf"{_NUM}{_UNIT}(?:{_NUM}{_UNIT})*(?![A-Za-z0-9_.])", re.IGNORECASE)
_NUMBER_RE: Final = re.compile(rf"[-+]?{_NUM}(?:[eE][-+]?\d+)?(?![A-Za-z0-9_.])")
_IDENT_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_OPS: Final = ("==", "!=", "<>", "<=", ">=", "=", "<", ">", "~")
_ESCAPES: Final = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}


def tokenize(text: str) -> Iterator[Token]:
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            yield Token("eof", None, n, "")
            return
        c = text[i]
        if c in "(),":
            yield Token(c, c, i, c)
            i += 1
            continue
        if c in "'\"":
            start, i, chars = i, i + 1, []
            while True:
                if i >= n:
                    raise FilterError("unterminated string", text, start)
                ch = text[i]
                if ch == "\\":
                    esc = text[i + 1] if i + 1 < n else ""
                    if esc not in _ESCAPES:
                        raise FilterError(f"unknown escape \\{esc} in string", text, i)
                    chars.append(_ESCAPES[esc])
                    i += 2
                elif ch == c and text.startswith(c, i + 1):  # SQL style: 'it''s'
                    chars.append(c)
                    i += 2
                elif ch == c:
                    i += 1
                    break
                else:
                    chars.append(ch)
                    i += 1
            yield Token("string", "".join(chars), start, text[start:i])
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op is not None:
            yield Token("op", {"=": "==", "<>": "!=", "~": "contains"}.get(op, op), i, op)
            i += len(op)
            continue
        m = _DURATION_RE.match(text, i)
        if m:
            try:
                seconds = _time.parse_duration(m.group())
            except ValueError as exc:  # past 292 years
                raise FilterError(str(exc), text, i) from None
            yield Token("duration", seconds, i, m.group())
            i = m.end()
            continue
        m = _NUMBER_RE.match(text, i)
        if m:
            raw = m.group()
            value: float | int = float(raw) if any(ch in raw for ch in ".eE") else int(raw)
            yield Token("number", value, i, raw)
            i = m.end()
            continue
        m = _IDENT_RE.match(text, i)
        if m:
            word = m.group()
            kind = "keyword" if word.lower() in _KEYWORDS else "ident"
            yield Token(kind, word.lower() if kind == "keyword" else word, i, word)
            i = m.end()
            continue
        if c.isdigit() or c in "-+.":
            raise FilterError("malformed number (durations take a unit: ms, s, m, h, d, w)", text, i)
        raise FilterError(f"unexpected character {c!r}", text, i)


# --- parser ----------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str, now_ns: int | None, fields: dict[str, str], aliases: dict[str, str]) -> None:
        self.text = text
        self.fields = fields
        self.aliases = aliases
        self.tokens = list(tokenize(text))
        self.i = 0
        self.depth = 0
        self.now_ns = now_ns

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def error(self, reason: str, pos: int | None = None) -> FilterError:
        return FilterError(reason, self.text, self.tok.pos if pos is None else pos)

    def keyword(self, word: str) -> bool:
        if self.tok.kind == "keyword" and self.tok.value == word:
            self.i += 1
            return True
        return False

    def expect(self, kind: str, what: str) -> Token:
        tok = self.tok
        if tok.kind != kind:
            raise self.error(f"expected {what}, found {_describe(tok)}")
        self.i += 1
        return tok

    def parse(self) -> Node:
        if self.tok.kind == "eof":
            raise self.error("empty filter expression")
        node = self.or_expr()
        if self.tok.kind != "eof":
            raise self.error(f"expected 'and', 'or' or the end, found {_describe(self.tok)}")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.keyword("or"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.not_expr()]
        while self.keyword("and"):
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"expression nested deeper than {MAX_DEPTH} levels")
        try:
            if self.keyword("not"):
                return Not(self.not_expr())
            if self.tok.kind == "(":
                self.i += 1
                node = self.or_expr()
                self.expect(")", "')'")
                return node
            return self.comparison()
        finally:
            self.depth -= 1

    def comparison(self) -> Node:
        tok = self.tok
        if tok.kind != "ident":
            raise self.error(f"expected a field name, found {_describe(tok)}")
        name = self.aliases.get(tok.value.lower(), tok.value.lower())
        if name not in self.fields:
            known = ", ".join(sorted(self.fields))
            raise self.error(f"unknown field {tok.value!r} (fields: {known})")
        ftype = self.fields[name]
        self.i += 1
        op_tok = self.tok
        if self.keyword("is"):
            negated = self.keyword("not")
            if not self.keyword("null"):
                raise self.error(f"expected 'null' after 'is{' not' if negated else ''}', found {_describe(self.tok)}")
            if ftype not in _NULLABLE:
                raise self.error(f"'is null' does not apply to {name} ({ftype}; it is always known)", op_tok.pos)
            return IsNull(name, negated, tok.pos)
        negated = self.keyword("not")
        if self.keyword("in"):
            op = "in"
        elif self.keyword("contains"):
            op = "contains"
        elif self.tok.kind == "op" and self.tok.value == "contains":
            op = "contains"
            self.i += 1
        elif not negated and self.tok.kind == "op":
            op = self.tok.value
            self.i += 1
        else:
            want = "'in' or 'contains'" if negated else "an operator (== != < <= > >= contains in)"
            raise self.error(f"expected {want} after {tok.text!r}, found {_describe(self.tok)}")
        if op not in _OPS_BY_TYPE[ftype]:
            ops = " ".join(sorted(_OPS_BY_TYPE[ftype]))
            raise self.error(f"operator {op!r} does not apply to {name} ({ftype}; use: {ops})", op_tok.pos)
        if op == "in":
            self.expect("(", "'(' after 'in'")
            values = [self.value(name, ftype)]
            while self.tok.kind == ",":
                self.i += 1
                values.append(self.value(name, ftype))
            self.expect(")", "',' or ')'")
            return In(name, tuple(values), negated, tok.pos)
        node: Node = Compare(name, op, self.value(name, ftype, substring=op == "contains"), tok.pos)
        return Not(node) if negated else node

    def value(self, name: str, ftype: str, substring: bool = False) -> Any:
        tok = self.tok
        if tok.kind not in ("string", "number", "duration"):
            raise self.error(f"expected a value for {name}, found {_describe(tok)}")
        self.i += 1
        try:
            return _convert(tok, ftype, substring, self.now_ns)
        except ValueError as exc:
            reason = exc.reason if isinstance(exc, FilterError) else str(exc)
            raise FilterError(f"bad value for {name}: {reason}", self.text, tok.pos) from None


#: Field types that may be unknown (NULL): a trace or session without a user, a call without TTFT.
_NULLABLE: Final = frozenset({STR, SECONDS})


def _convert(tok: Token, ftype: str, substring: bool, now_ns: int | None) -> Any:
    if ftype in (STR, SET):
        if tok.kind == "string":
            return tok.value
        if tok.kind == "number":
            return tok.text  # IDs are often numeric: compare the text as written
        raise ValueError(f"expected a string, got the duration {tok.text}")
    if ftype == INT:
        if tok.kind == "number":
            return _time.check_count(tok.value, "number")
        raise ValueError(f"expected a number, got {tok.text}")
    if ftype == SECONDS:
        if tok.kind in ("number", "duration"):
            return _time.check_seconds(float(tok.value), "the duration")
        return _time.parse_duration(tok.value)
    # TIME
    if tok.kind == "number":
        return _time.to_ns(tok.value)
    if tok.kind == "duration":
        raise ValueError(f"a time needs quotes: '{tok.text}' means {tok.text} ago")
    return _time.to_ns(tok.value, now_ns)


def _describe(tok: Token) -> str:
    if tok.kind == "eof":
        return "the end"
    return repr(tok.text)


def parse(
    expr: str,
    now_ns: int | None = None,
    *,
    fields: dict[str, str] | None = None,
    aliases: dict[str, str] | None = None,
) -> Node:
    """The AST of a filter expression; ``FilterError`` when it is not valid.

    Relative times in the expression (``start > '1h'``) count back from ``now_ns`` (default: now).
    ``fields`` / ``aliases`` are the vocabulary (default: the sessions', ``FIELDS`` / ``ALIASES``;
    ``TRACE_FIELDS`` / ``TRACE_ALIASES`` for the traces listing).
    """
    if not isinstance(expr, str):
        raise TypeError(f"a filter expression must be a string, got {type(expr).__name__}")
    if len(expr) > MAX_EXPRESSION_CHARS:
        raise FilterError(f"expression longer than {MAX_EXPRESSION_CHARS} characters", expr[:80], 80)
    return _Parser(expr, now_ns, FIELDS if fields is None else fields, ALIASES if aliases is None else aliases).parse()


__all__ = [
    "ALIASES",
    "FIELDS",
    "TRACE_ALIASES",
    "TRACE_FIELDS",
    "And",
    "Compare",
    "FilterError",
    "In",
    "IsNull",
    "Node",
    "Not",
    "Or",
    "parse",
]
