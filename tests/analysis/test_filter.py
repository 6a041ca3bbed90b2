"""The filter language: tokenizer, parser, errors with carets, compilation to parameterised SQL."""

from __future__ import annotations

import sqlite3

import pytest

from llm_agent.analysis import _sql, _time
from llm_agent.analysis.filter import And, Compare, FilterError, In, Not, Or, parse
from llm_agent.analysis.sqlite import SESSION_COLUMNS

NOW = _time.datetime_to_ns(_time.parse_iso("2026-03-01T12:00:00Z"))


def test_precedence_and_parentheses() -> None:
    assert parse("traces > 1 or errors == 0 and user == 'a'") == Or(
        (
            Compare("traces", ">", 1, 0),
            And((Compare("errors", "==", 0, 14), Compare("user", "==", "a", 30))),
        )
    )
    assert parse("(traces > 1 or errors == 0) and not user == 'a'") == And(
        (
            Or((Compare("traces", ">", 1, 1), Compare("errors", "==", 0, 15))),
            Not(Compare("user", "==", "a", 36)),
        )
    )


def test_literals_aliases_and_operators() -> None:
    node = parse(
        "DURATION >= 1h30m AND tokens = 10 AND model ~ 'gpt' AND users NOT IN ('a', \"b\\\"c\", 42) "
        "and session == 007 and duration_s < 0.5 and errors <> 1 and duration_s <= '2m'"
    )
    assert node == And(
        (
            Compare("duration_s", ">=", 5400.0, 0),
            Compare("total_tokens", "==", 10, 22),
            Compare("models", "contains", "gpt", 38),
            In("user", ("a", 'b"c', "42"), True, 56),
            Compare("session_id", "==", "007", 91),
            Compare("duration_s", "<", 0.5, 110),
            Compare("errors", "!=", 1, 131),
            Compare("duration_s", "<=", 120.0, 147),
        )
    )


def test_times_honour_offsets_and_relative_values() -> None:
    node = parse("start >= '2026-03-01T13:00:00+02:00' and end < '1h' and start > 1772359200", now_ns=NOW)
    assert node == And(
        (
            Compare("start", ">=", _time.datetime_to_ns(_time.parse_iso("2026-03-01T11:00:00Z")), 0),
            Compare("end", "<", NOW - 3600 * 10**9, 41),
            Compare("start", ">", 1772359200 * 10**9, 56),
        )
    )


ERRORS = [
    ("duration_s >", "expected a value for duration_s, found the end", 12),
    ("durations > 3", "unknown field 'durations'", 0),
    ("traces > 'x'", "bad value for traces: expected a number", 9),
    ("user < 'a'", "operator '<' does not apply to user", 5),
    ("traces contains 3", "operator 'contains' does not apply to traces", 7),
    ("user == 'abc", "unterminated string", 8),
    ("traces == 3 4", "expected 'and', 'or' or the end, found '4'", 12),
    ("(traces == 3", "expected ')', found the end", 12),
    ("traces == 3)", "expected 'and', 'or' or the end, found ')'", 11),
    ("", "empty filter expression", 0),
    ("traces == 3 and", "expected a field name, found the end", 15),
    ("user == 'a'; DROP TABLE sessions", "unexpected character ';'", 11),
    ("traces = 1s", "bad value for traces: expected a number, got 1s", 9),
    ("start > 1h", "a time needs quotes", 8),
    ("start > 'tomorrow'", "bad value for start: not a time", 8),
    ("traces == 12abc", "malformed number", 10),
    ("user in 'a'", "expected '(' after 'in'", 8),
    ("user not == 'a'", "expected 'in' or 'contains'", 9),
    ("user == 'a\\q'", "unknown escape", 10),
    ("not " * 100 + "traces == 1", "nested deeper than 64", 256),
]


@pytest.mark.parametrize(("expr", "reason", "pos"), ERRORS, ids=[e[0][:40] or "empty" for e in ERRORS])
def test_errors_point_at_the_position(expr: str, reason: str, pos: int) -> None:
    with pytest.raises(FilterError) as info:
        parse(expr)
    err = info.value
    assert isinstance(err, ValueError)
    assert reason in err.reason
    assert err.position == pos
    lines = str(err).split("\n")
    assert lines[1] == "  " + expr
    assert lines[2] == "  " + " " * pos + "^"


def test_overlong_expressions_are_refused() -> None:
    with pytest.raises(FilterError, match="longer than 4096"):
        parse("traces == 1 and " * 400 + "traces == 1")


def _compile(expr: str) -> tuple[str, list]:
    dialect = _sql.Dialect()
    return _sql.compile_node(parse(expr), SESSION_COLUMNS, dialect), dialect.params


def test_compiled_sql_only_binds_values() -> None:
    sql, params = _compile("duration_s > 1.5 and (user == 'al''ice' or models contains '%_') and traces in (1, 2)")
    assert sql == (
        "(duration_ns > ? AND (instr(',' || users || ',', ',' || ? || ',') > 0 OR instr(models, ?) > 0) "
        "AND trace_count IN (?, ?))"
    )
    assert params == [1_500_000_000, "al'ice", "%_", 1, 2]


def test_hostile_strings_are_only_parameters() -> None:
    hostile = "x') OR 1=1; DROP TABLE sessions; --"
    sql, params = _compile(f'session_id == "{hostile}" or user == "{hostile}"')
    assert hostile not in sql and "DROP" not in sql
    assert params == [hostile, hostile]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE sessions (session_id TEXT, users TEXT)")
    conn.execute("INSERT INTO sessions VALUES ('a', 'alice')")
    assert conn.execute(f"SELECT count(*) FROM sessions WHERE {sql}", params).fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM sessions").fetchone() == (1,)


@pytest.mark.parametrize(
    ("expr", "rows"),
    [
        ("user == 'ali'", []),  # member match, not substring
        ("user contains 'ali'", ["s1", "s3"]),
        ("user == 'bob'", ["s1"]),
        ("user != 'bob'", ["s2", "s3"]),
        ("not user == 'bob'", ["s2", "s3"]),
        ("user in ('carol', 'bob')", ["s1", "s3"]),
        ("user not in ('carol', 'bob')", ["s2"]),
        ("models == 'gpt-4o'", ["s1"]),  # 'gpt-4o-mini' is another model
        ("models contains 'gpt-4o'", ["s1", "s2"]),
        ("user_id != 'alice'", ["s2", "s3"]),  # NULL-safe: no user is not alice
        ("user contains '%'", []),  # LIKE wildcards are plain characters
    ],
)
def test_set_fields_test_membership(expr: str, rows: list[str]) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE sessions (session_id TEXT, user_id TEXT, users TEXT, models TEXT)")
    conn.executemany(
        "INSERT INTO sessions VALUES (?, ?, ?, ?)",
        [("s1", "alice", "alice,bob", "gpt-4o"), ("s2", None, "", "gpt-4o-mini"), ("s3", "carol", "alicia,carol", "")],
    )
    sql, params = _compile(expr)
    got = [r[0] for r in conn.execute(f"SELECT session_id FROM sessions WHERE {sql} ORDER BY 1", params)]
    assert got == rows


def test_parse_order() -> None:
    assert _sql.parse_order("-start") == ("start", True)
    assert _sql.parse_order("total_tokens") == ("total_tokens", False)
    assert _sql.parse_order("+tokens") == ("total_tokens", False)
    assert _sql.parse_order("duration desc") == ("duration_s", True)
    assert _sql.parse_order("user") == ("user_id", False)
    assert _sql.parse_order(None) == ("start", True)
    with pytest.raises(ValueError, match="cannot sort by 'nope'"):
        _sql.parse_order("nope")
