"""Property: any filter expression and any numeric CLI argument gives a result or the documented error.

The filter language against a real SQLite sink: ``sessions(where=...)`` returns rows or raises
``FilterError`` (a ``ValueError``) — never ``OverflowError``, ``sqlite3`` errors or anything else.
The CLI: any value of a numeric or time option exits 0 (a result) or 2 (one ``llm-agent:`` line,
or argparse's usage error), never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import llm_agent.analysis
from llm_agent.analysis import FILTER_FIELDS, TRACE_FILTER_FIELDS, FilterError
from llm_agent.cli import main

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "analysis"))
from analysis_scenario import SINCE, UNTIL, build_with_records

EXAMPLES = 150
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)  # fmt: skip

#: Numbers at and past every edge: 64-bit, float range, digits Python refuses to convert.
EDGE_NUMBERS = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from([str(2**63 - 1), str(2**63), str(-(2**63)), str(-(2**63) - 1), "1e308", "1e309", "-1e400",
                     "1e20", "9" * 30, "0.0000001", "nan", "inf", "-0", "1e-400", "+5", ".5", "5.", "1_000"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)  # fmt: skip
DURATIONS = st.builds(lambda n, unit: f"{n}{unit}", EDGE_NUMBERS, st.sampled_from(["ms", "s", "m", "h", "d", "w"]))
TIMES = st.one_of(
    EDGE_NUMBERS, DURATIONS, st.sampled_from(["now", "9999-12-31", "0001-01-01", "2262-04-12", "1677-09-21"]),
    st.text(max_size=20),
)  # fmt: skip
OPS = st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "=", "<>", "~", "contains", "in"])


def _value(field: str) -> st.SearchStrategy[str]:
    quoted = TIMES.map(lambda t: "'" + t.replace("\\", "\\\\").replace("'", "\\'") + "'")
    # Numbers most often: the edges of 64 bits are where the stores' drivers fail.
    return st.one_of(EDGE_NUMBERS, EDGE_NUMBERS, DURATIONS, quoted, st.text(max_size=10))


COMPARISONS = st.sampled_from(sorted(FILTER_FIELDS)).flatmap(
    lambda f: st.builds(lambda op, v: f"{f} {op} {v}", OPS, _value(f))
)
EXPRESSIONS = st.one_of(
    COMPARISONS, COMPARISONS, COMPARISONS, st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
)
TRACE_COMPARISONS = st.sampled_from(sorted(TRACE_FILTER_FIELDS)).flatmap(
    lambda f: st.one_of(
        st.builds(lambda op, v: f"{f} {op} {v}", OPS, _value(f)),
        st.sampled_from([f"{f} is null", f"{f} is not null", f"{f} is", f"{f} is not 5"]),
    )
)
TRACE_EXPRESSIONS = st.one_of(
    TRACE_COMPARISONS, TRACE_COMPARISONS, st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
)


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("fuzz-sink") / "sink.sqlite")
    build_with_records(path)
    return path


@pytest.fixture(scope="module")
def store(sink: str) -> Iterator[Any]:
    with contextlib.closing(llm_agent.analysis.open(sink)) as s:
        yield s


@FUZZ_SETTINGS
@example(expression="total_tokens > 99999999999999999999")  # the cases the adversarial pass found
@example(expression="start >= 1e20")
@example(expression="duration_s > 1e400")
@example(expression="duration_s == 9223372037")  # fits as seconds, not as nanoseconds
@example(expression="errors in (1, -99999999999999999999)")
@given(expression=st.one_of(EXPRESSIONS, st.builds(lambda a, b: f"{a} and not ({b})", EXPRESSIONS, EXPRESSIONS)))
def test_any_filter_expression_gives_rows_or_a_filter_error(store: Any, expression: str) -> None:
    try:
        rows = store.sessions(since=SINCE, until=UNTIL, where=expression, limit=None)
    except FilterError as exc:
        assert str(exc).splitlines()[-1].strip() == "^"  # the caret under the position
        return
    assert all(hasattr(r, "session_id") for r in rows)


@FUZZ_SETTINGS
@example(expression="ttft_s > 1e400")
@example(expression="tool in ('a', 99999999999999999999)")
@example(expression="kind contains '' or error_type != 1e20")
@given(expression=st.one_of(TRACE_EXPRESSIONS, st.builds(lambda a, b: f"{a} or not ({b})", TRACE_EXPRESSIONS,
                                                         TRACE_EXPRESSIONS)))
def test_any_trace_filter_expression_gives_rows_or_a_filter_error(store: Any, expression: str) -> None:
    try:
        rows = store.traces(since=SINCE, until=UNTIL, where=expression, limit=None)
        count = store.count_traces(since=SINCE, until=UNTIL, where=expression)
    except FilterError as exc:
        assert str(exc).splitlines()[-1].strip() == "^"
        return
    assert all(hasattr(r, "trace_id") for r in rows) and count == len(rows)


NUMERIC_OPTIONS = st.sampled_from([
    ("traces", "--min-tokens"), ("traces", "--max-duration"), ("traces", "--limit"), ("traces", "--offset"),
    ("traces", "--since"), ("traces", "--until"),
    ("sessions", "--min-tokens"), ("sessions", "--max-tokens"), ("sessions", "--min-traces"),
    ("sessions", "--max-output-tokens"), ("sessions", "--limit"), ("sessions", "--offset"),
    ("sessions", "--min-duration"), ("sessions", "--max-duration"), ("sessions", "--since"), ("sessions", "--until"),
    ("models", "--since"), ("users", "--until"), ("model", "--since"), ("model", "--bucket"),
    ("model", "--slow-threshold"),
])  # fmt: skip


@FUZZ_SETTINGS
@example(option=("sessions", "--since"), value="1e30")  # the cases the adversarial pass found
@example(option=("sessions", "--min-tokens"), value="99999999999999999999")
@example(option=("sessions", "--limit"), value="99999999999999999999")
@example(option=("sessions", "--offset"), value="99999999999999999999")
@example(option=("model", "--since"), value="1e20")
@given(option=NUMERIC_OPTIONS, value=st.one_of(EDGE_NUMBERS, DURATIONS, TIMES))
def test_any_numeric_cli_argument_gives_a_result_or_a_usage_error(
    sink: str, option: tuple[str, str], value: str
) -> None:
    command, flag = option
    argv = [command, *(["gpt-4o"] if command == "model" else []), "--db", sink, "--format", "json", f"{flag}={value}"]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own usage error
            code = exc.code
            assert err.getvalue().splitlines()[-1].startswith(f"llm-agent {command}: error: argument {flag}: ")
    assert code in (0, 2), (argv, err.getvalue())
    if code == 2 and not err.getvalue().startswith("usage:"):
        assert err.getvalue().startswith("llm-agent: ") and err.getvalue().count("\n") == 1, err.getvalue()
