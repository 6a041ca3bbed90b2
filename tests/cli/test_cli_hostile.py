"""``llm-agent`` against hostile data and hostile arguments: escaped output, one-line errors, exit codes.

Recorded data is the app's and the provider's: an ID with ``ESC]0;…`` or ``ESC[2J`` must not
retitle or clear the operator's terminal.  Arguments past 64 bits, odd ``--db`` targets and
addresses the page cannot listen on end in one documented line and an exit code, never a
traceback.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from llm_agent.backends._types import SpanRecord
from llm_agent.backends.sqlite import SQLiteBackend
from llm_agent.cli import main

S = 1_000_000_000
HOSTILE_SESSION = "s\x1b]0;pwned\x07-1"
HOSTILE_USER = "u\x1b[2J\u202eevil"
HOSTILE_SPAN = "chat \x9b2Jgpt"
TRACE = "ab" * 16


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def hostile_sink(tmp_path: Any) -> str:
    path = str(tmp_path / "hostile.sqlite")
    start = time.time_ns() - 60 * S
    backend = SQLiteBackend(path)
    try:
        backend.export([SpanRecord(
            trace_id=TRACE, span_id="cd" * 8, parent_span_id=None, name=HOSTILE_SPAN, kind="CLIENT",
            start_ns=start, end_ns=start + 2 * S, status="ERROR", session_id=HOSTILE_SESSION,
            user_id=HOSTILE_USER, span_kind="LLM", operation="chat", provider="openai",
            request_model="gpt\x1b[31m", model="gpt\x1b[31m", error_type="openai.\x1b]8;;x\x07Err",
            input_tokens=3, output_tokens=4,
        )])  # fmt: skip
    finally:
        backend.shutdown(5.0)
    return path


def test_control_characters_in_recorded_data_are_shown_escaped(capsys, hostile_sink, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "300")
    outputs = {}
    for command in (["sessions"], ["users"], ["models"], ["session", HOSTILE_SESSION], ["trace", TRACE],
                    ["model", "gpt\x1b[31m"]):  # fmt: skip
        code, out, err = run(capsys, *command, "--db", hostile_sink)
        assert (code, err) == (0, ""), command
        outputs[command[0]] = out
    for name, out in outputs.items():
        raw = [c for c in out if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F or c == "\u202e"]
        assert raw == [], name
    assert "s\\x1b]0;pwned\\x07-1" in outputs["sessions"].splitlines()[2]
    assert "u\\x1b[2J\\u202eevil" in outputs["sessions"]
    assert outputs["users"].splitlines()[2].startswith("u\\x1b[2J\\u202eevil  ")
    assert outputs["models"].splitlines()[2].startswith("gpt\\x1b[31m  ")
    assert outputs["session"].splitlines()[0] == "session     s\\x1b]0;pwned\\x07-1"
    lines = outputs["trace"].splitlines()
    assert lines[1] == "session s\\x1b]0;pwned\\x07-1  user u\\x1b[2J\\u202eevil"
    assert lines[2].startswith("chat \\x9b2Jgpt  ")
    assert lines[2].endswith("ERROR openai.\\x1b]8;;x\\x07Err")


def test_a_hostile_id_in_an_error_message_is_escaped(capsys, hostile_sink) -> None:  # type: ignore[no-untyped-def]
    assert run(capsys, "session", "x\x1b]0;t\x07", "--db", hostile_sink) == (
        1, "", f"llm-agent: no session 'x\\x1b]0;t\\x07' in {hostile_sink}\n"
    )  # fmt: skip
    code, out, err = run(capsys, "sessions", "--db", hostile_sink, "--where", "user == '\x1b[2J")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "llm-agent: bad --where expression: unterminated string (at position 8)",
        "  user == '\\x1b[2J",
        "          ^",
    ]


TOO_BIG = "99999999999999999999"
INT64 = "(must be between -2**63 and 2**63 - 1)"
RANGE = "(use a time between 1677-09-22 and 2262-04-11 UTC)"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sessions", "--since", "1e30"], f"time out of range: '1e30' {RANGE}"),
        (["sessions", "--until", "9999-12-31"], f"time out of range: '9999-12-31' {RANGE}"),
        (["models", "--since", "1e400"], "not a point in time: '1e400' (must be a finite number of seconds)"),
        (["model", "gpt-4o", "--since", "1e20"], f"time out of range: '1e20' {RANGE}"),
        (["users", "--since", "99999999999999d"],
         "duration out of range: '99999999999999d' (at most 9223372036 seconds, about 292 years)"),
        (["sessions", "--min-tokens", TOO_BIG], f"min_total_tokens out of range: {TOO_BIG} {INT64}"),
        (["sessions", "--max-traces", "-" + TOO_BIG], f"max_traces out of range: -{TOO_BIG} {INT64}"),
        (["sessions", "--limit", TOO_BIG], f"limit must be at most 9223372036854775807, got {TOO_BIG}"),
        (["sessions", "--offset", TOO_BIG], f"offset must be at most 9223372036854775807, got {TOO_BIG}"),
        (["sessions", "--where", f"total_tokens > {TOO_BIG}"],
         f"bad --where expression: bad value for total_tokens: number out of range: {TOO_BIG} {INT64} "
         "(at position 15)"),
        (["sessions", "--where", "start >= 1e20"],
         f"bad --where expression: bad value for start: time out of range: 1e+20 {RANGE} (at position 9)"),
        (["sessions", "--where", "duration_s > 1e400"],
         "bad --where expression: bad value for duration_s: the duration must be a finite number, got inf "
         "(at position 13)"),
    ],
)  # fmt: skip
def test_numbers_and_times_past_64_bits_are_usage_errors(capsys, hostile_sink, argv, message) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, *argv, "--db", hostile_sink)
    assert (code, out, err.splitlines()[0]) == (2, "", f"llm-agent: {message}")


def test_durations_past_292_years_are_refused_by_the_argument_parser(capsys, hostile_sink) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as info:
        main(["sessions", "--db", hostile_sink, "--min-duration", "1e30"])
    assert info.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "llm-agent sessions: error: argument --min-duration: duration out of range: '1e30' "
        "(at most 9223372036 seconds, about 292 years)"
    )


@pytest.mark.parametrize(
    ("db", "message"),
    [
        ("/", "llm-agent: cannot read /: '/' is a directory, not an llm_agent sink file"),
        ("/proc/self/mem", "llm-agent: cannot read /proc/self/mem: disk I/O error"),
    ],
)
def test_a_db_that_is_not_a_readable_file_is_one_line(capsys, db, message) -> None:  # type: ignore[no-untyped-def]
    assert run(capsys, "sessions", "--db", db) == (1, "", message + "\n")


def test_clickhouse_urls_fail_in_one_line(capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "sessions", "--db", "clickhouse://u:planted_password@/db")
    assert (code, out, err) == (2, "", "llm-agent: no host in 'clickhouse://[REDACTED]@/db' (use clickhouse://host:8123/db)\n")
    try:
        import clickhouse_connect  # noqa: F401
    except ImportError:
        code, out, err = run(capsys, "sessions", "--db", "clickhouse://127.0.0.1:1/db")
        assert (code, out, err) == (
            1, "", "llm-agent: clickhouse:// URLs need clickhouse-connect: pip install 'llm-agent[clickhouse]'\n"
        )  # fmt: skip
        return
    with socket.socket() as free:  # a port nothing listens on: connection refused
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    code, out, err = run(capsys, "sessions", "--db", f"clickhouse://u:planted_password@127.0.0.1:{port}/db")
    assert (code, out) == (1, "")
    assert err.startswith(f"llm-agent: cannot read clickhouse://u:***@127.0.0.1:{port}/db: cannot reach ClickHouse at "
                          f"127.0.0.1:{port}: ")  # fmt: skip
    assert err.count("\n") == 1 and "planted_password" not in err


def test_addresses_the_page_cannot_listen_on_are_one_line(capsys, hostile_sink) -> None:  # type: ignore[no-untyped-def]
    for host in ("evil.example", "256.1.1.1"):
        code, out, err = run(capsys, "ui", "--db", hostile_sink, "--no-browser", "--host", host)
        assert (code, out) == (1, ""), host
        assert err.startswith(f"llm-agent: cannot listen on {host}: not an address of this machine ("), host
        assert err.count("\n") == 1, host
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert run(capsys, "ui", "--db", hostile_sink, "--no-browser", "--port", str(port)) == (
            1, "", f"llm-agent: cannot listen on 127.0.0.1:{port}: Address already in use (another llm-agent ui? "
                   "try --port)\n",
        )  # fmt: skip
