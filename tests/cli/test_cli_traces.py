"""``llm-agent traces`` and the sessions list's line about traces without a session."""

from __future__ import annotations

import csv
import io
import json

import pytest
from analysis_scenario import SINCE, UNTIL, build_with_records
from trace_scenario import SESSIONLESS_IDS, reference_rows, span_facts, trace_sink

from llm_agent.cli import main

__all__ = ["trace_sink"]

WINDOW = ["--since", SINCE, "--until", UNTIL]
REF = reference_rows()
FACTS = span_facts()


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "200")


def test_traces_table_lists_sessionless_traces(capsys, trace_sink) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "traces", "--db", trace_sink, *WINDOW, "--where", "session_id is null")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == [
        "trace", "name", "session", "user", "start", "dur_s", "spans", "llm", "tokens", "err", "models", "tools",
    ]  # fmt: skip
    assert [line.split() for line in lines[2:]] == [
        [SESSIONLESS_IDS[3], "retrieve", "kb", "-", "-", "2026-03-01", "11:06:40Z", "4.0", "2", "1", "12", "0",
         "text-embedding-3-small", "-"],
        [SESSIONLESS_IDS[2], "chat", "gpt-4o", "-", "-", "2026-03-01", "10:50:00Z", "0.200", "1", "1", "0", "1",
         "gpt-4o", "-"],
        [SESSIONLESS_IDS[1], "invoke_agent", "support-bot", "-", "erin", "2026-03-01", "10:33:20Z", "9.0", "5", "2",
         "910", "1", "gpt-4o,gpt-4o-mini", "refund,search_orders"],
        [SESSIONLESS_IDS[0], "chat", "gpt-4o", "-", "-", "2026-03-01", "10:16:40Z", "1.500", "1", "1", "60", "0",
         "gpt-4o", "-"],
    ]  # fmt: skip


def test_traces_json_and_csv_are_every_row(capsys, trace_sink) -> None:  # type: ignore[no-untyped-def]
    expected = sorted(REF.values(), key=lambda t: (t.start, t.trace_id), reverse=True)
    code, out, _ = run(capsys, "traces", "--db", trace_sink, *WINDOW, "--format", "json")
    assert code == 0
    assert json.loads(out) == [t.to_dict() for t in expected]
    code, out, _ = run(capsys, "traces", "--db", trace_sink, *WINDOW, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["trace_id"] for r in rows] == [t.trace_id for t in expected]
    agent = next(r for r in rows if r["trace_id"] == SESSIONLESS_IDS[1])
    assert (agent["tool_names"], agent["session_id"], agent["user_id"]) == ("refund;search_orders", "", "erin")


def _ids(capsys, trace_sink, *flags: str) -> list[str]:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "traces", "--db", trace_sink, *WINDOW, "--format", "json", *flags)
    assert (code, err) == (0, ""), flags
    return [t["trace_id"] for t in json.loads(out)]


@pytest.mark.parametrize(
    "flags,pick",
    [
        (["--session", "s-bob-1"], lambda t: t.session_id == "s-bob-1"),
        (["--user", "erin"], lambda t: t.user_id == "erin"),
        (["--model", "gpt-4o-mini"], lambda t: "gpt-4o-mini" in t.models),
        (["--name", "turn-3"], lambda t: t.name == "turn-3"),
        (["--errors"], lambda t: t.errors > 0),
        (["--no-errors", "--min-duration", "3s"], lambda t: t.errors == 0 and t.duration_s >= 3),
        (["--max-duration", "1s", "--min-tokens", "1"], lambda t: t.duration_s <= 1 and t.total_tokens >= 1),
        (["--max-tokens", "100"], lambda t: t.total_tokens <= 100),
        (["--where", "tool == 'search_orders' or error_type == 'openai.RateLimitError'"],
         lambda t: "search_orders" in FACTS[t.trace_id]["tool"]
         or "openai.RateLimitError" in FACTS[t.trace_id]["error_type"]),
        (["--where", "kind == 'RETRIEVER'"], lambda t: t.trace_id == SESSIONLESS_IDS[3]),
    ],
)  # fmt: skip
def test_traces_filter_flags(capsys, trace_sink, flags, pick) -> None:  # type: ignore[no-untyped-def]
    expected = [t.trace_id for t in sorted(REF.values(), key=lambda t: (t.start, t.trace_id), reverse=True) if pick(t)]
    assert expected  # every case selects something
    assert _ids(capsys, trace_sink, *flags) == expected


def test_traces_sort_and_paging(capsys, trace_sink) -> None:  # type: ignore[no-untyped-def]
    by_duration = [t.trace_id for t in sorted(REF.values(), key=lambda t: (t.duration_s, t.trace_id), reverse=True)]
    assert _ids(capsys, trace_sink, "--sort=-duration_s") == by_duration
    assert _ids(capsys, trace_sink, "--sort=-duration_s", "--limit", "3", "--offset", "2") == by_duration[2:5]


def test_sessions_table_points_at_the_sessionless_traces(capsys, trace_sink) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "sessions", "--db", trace_sink, *WINDOW)
    assert code == 0
    assert out.splitlines()[-1] == (
        f'4 traces have no session in this window: llm-agent traces --since {SINCE} --until {UNTIL} '
        '--where "session_id is null"'
    )
    # json / csv stay the rows alone
    code, out, _ = run(capsys, "sessions", "--db", trace_sink, *WINDOW, "--format", "json")
    assert "no session" not in out and len(json.loads(out)) == 6


def test_sessions_table_without_sessionless_traces_has_no_note(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "sink.sqlite")
    build_with_records(path)
    code, out, _ = run(capsys, "sessions", "--db", path, *WINDOW)
    assert code == 0 and "no session" not in out


def test_an_app_without_sessions_is_pointed_at_its_traces(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The new user's case: calls recorded, no session: sessions says none and where to look."""
    from trace_scenario import extra_records

    from llm_agent.backends.sqlite import SQLiteBackend

    path = str(tmp_path / "sink.sqlite")
    backend = SQLiteBackend(path)
    backend.export(extra_records())
    backend.shutdown(5.0)
    code, out, _ = run(capsys, "sessions", "--db", path, "--since", "2026-03-01T11:00:00Z", "--until", UNTIL)
    assert code == 0
    assert out.splitlines() == [
        "No sessions since 2026-03-01T11:00:00Z until 2026-03-02T11:00:00Z match.",
        "1 trace has no session in this window: llm-agent traces --since 2026-03-01T11:00:00Z "
        f'--until {UNTIL} --where "session_id is null"',
    ]


TOO_BIG = "99999999999999999999"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--where", "colour == 'red'"], "bad --where expression: unknown field 'colour'"),
        (["--where", "tool > 'a'"], "bad --where expression: operator '>' does not apply to tool"),
        (["--where", "session_id is nul"], "bad --where expression: expected 'null' after 'is'"),
        (["--sort", "tool"], "cannot sort by 'tool'"),
        (["--min-tokens", TOO_BIG], f"min_total_tokens out of range: {TOO_BIG}"),
        (["--limit", TOO_BIG], "limit must be at most 9223372036854775807"),
        (["--offset", TOO_BIG], "offset must be at most 9223372036854775807"),
        (["--since", "1e30"], "time out of range: '1e30'"),
        (["--where", f"spans > {TOO_BIG}"], "bad --where expression: bad value for spans: number out of range"),
        (["--where", "ttft_s > 1e400"], "bad --where expression: bad value for ttft_s"),
    ],
)
def test_bad_traces_input_exits_2_in_one_line(capsys, trace_sink, argv, message) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "traces", "--db", trace_sink, *argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"llm-agent: {message}")


def test_errors_and_no_errors_exclude_each_other(capsys, trace_sink) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as info:
        main(["traces", "--db", trace_sink, "--errors", "--no-errors"])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
