"""``llm-agent``: every analysis subcommand against the sink of known shape, in each format."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from analysis_scenario import SINCE, UNTIL, build_with_records

import llm_agent.analysis
from llm_agent.cli import main

WINDOW = ["--since", SINCE, "--until", UNTIL]


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "200")


def test_sessions_table(capsys, sink, ref) -> None:
    code, out, err = run(capsys, "sessions", "--db", sink, *WINDOW)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == [
        "session", "user", "start", "dur_s", "traces", "llm", "in_tok", "out_tok", "tokens", "cost", "err", "models"
    ]  # fmt: skip
    ids = [line.split()[0] for line in lines[2:]]
    assert ids == sorted(ref, key=lambda s: ref[s].start_ns, reverse=True)  # default: newest first
    alice = next(line for line in lines if line.startswith("s-alice-1 "))
    assert alice.split() == [
        "s-alice-1", "alice", "2026-03-01", "10:00:00Z", "36.7", "3", "4", "608", "250", "858", "$0.0032", "0",
        "gpt-4o,text-embedding-3-small",
    ]  # fmt: skip


def test_tables_fit_a_narrow_terminal(capsys, sink, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "70")
    for command in (["sessions"], ["models"], ["users"], ["session", "s-alice-1"]):
        code, out, _ = run(capsys, *command, "--db", sink, *(WINDOW if len(command) == 1 else []))
        assert code == 0
        assert max(len(line) for line in out.splitlines()) <= 70, command


def test_filter_flags_and_where(capsys, sink) -> None:
    cases = [
        (["--user", "alice"], ["s-alice-2", "s-alice-1"]),
        (["--user", "alice", "--min-tokens", "1000"], ["s-alice-2"]),
        (["--min-duration", "10s"], ["s-dave", "s-alice-1"]),
        (["--max-duration", "5s", "--min-traces", "2"], ["s-carol"]),
        (["--min-input-tokens", "100", "--max-input-tokens", "999"], ["s-dave", "s-alice-1"]),
        (["--min-output-tokens", "200", "--max-traces", "1"], ["s-alice-2"]),
        (["--max-tokens", "15", "--max-output-tokens", "5"], ["s-anon", "s-carol"]),
        (["--session", "s-bob-1"], ["s-bob-1"]),
        (["--where", "models contains 'mini' and errors > 0"], ["s-bob-1"]),
        (["--where", "user == 'alice' or user == 'carol'", "--sort", "total_tokens"],
         ["s-carol", "s-alice-1", "s-alice-2"]),
        (["--since", "2026-03-01T13:00:00+02:00", "--until", UNTIL], ["s-alice-2", "s-dave", "s-anon"]),
        (["--sort=-total_tokens", "--limit", "2", "--offset", "1"], ["s-alice-1", "s-dave"]),
        (["--sort", "total_tokens desc", "--limit", "1"], ["s-alice-2"]),
    ]  # fmt: skip
    for flags, expected in cases:
        argv = ["sessions", "--db", sink, "--format", "json", *flags]
        if "--since" not in flags:
            argv += WINDOW
        code, out, err = run(capsys, *argv)
        assert (code, err) == (0, ""), flags
        assert [s["session_id"] for s in json.loads(out)] == expected, flags


def test_sessions_csv_streams_every_row(capsys, sink, ref) -> None:
    code, out, _ = run(capsys, "sessions", "--db", sink, "--format", "csv", *WINDOW)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(ref)
    assert sum(int(r["total_tokens"]) for r in rows) == sum(r.total_tokens for r in ref.values())
    assert {r["session_id"]: r["users"] for r in rows}["s-anon"] == ""


def test_bad_input_exits_2_with_a_pointer(capsys, sink) -> None:
    code, out, err = run(capsys, "sessions", "--db", sink, "--where", "duration_s >> 3")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "llm-agent: bad --where expression: expected a value for duration_s, found '>' (at position 12)",
        "  duration_s >> 3",
        "              ^",
    ]
    code, _, err = run(capsys, "sessions", "--db", sink, "--since", "last tuesday")
    assert code == 2 and "not a time: 'last tuesday'" in err
    code, _, err = run(capsys, "sessions", "--db", sink, "--sort", "bogus")
    assert code == 2 and "cannot sort by 'bogus'" in err
    with pytest.raises(SystemExit) as info:
        main(["sessions", "--db", sink, "--min-duration", "soon"])
    assert info.value.code == 2
    assert "not a duration" in capsys.readouterr().err


def test_missing_database_exits_1(capsys, tmp_path) -> None:
    missing = str(tmp_path / "nothing.sqlite")
    code, out, err = run(capsys, "sessions", "--db", missing)
    assert (code, out) == (1, "")
    assert err.startswith(f"llm-agent: no llm_agent sink at {missing!r}")
    assert not os.path.exists(missing)  # reading never creates the file


def test_empty_database_says_so(capsys, tmp_path) -> None:
    from llm_agent.backends.sqlite import SQLiteBackend

    path = str(tmp_path / "empty.sqlite")
    SQLiteBackend(path).shutdown(1.0)
    assert run(capsys, "sessions", "--db", path) == (0, "No sessions since 24h ago match.\n", "")
    assert run(capsys, "models", "--db", path) == (0, "No model calls since 24h ago.\n", "")
    assert run(capsys, "users", "--db", path, "--since", "7d") == (0, "No users since 7d.\n", "")
    assert run(capsys, "sessions", "--db", path, "--format", "json") == (0, "[]\n", "")
    touched = tmp_path / "touched.sqlite"
    touched.write_bytes(b"")  # a file that was never a sink
    assert run(capsys, "sessions", "--db", str(touched)) == (0, "No sessions since 24h ago match.\n", "")


def test_session_detail(capsys, sink) -> None:
    code, out, _ = run(capsys, "session", "s-alice-1", "--db", sink)
    assert code == 0
    assert "tokens      608 in + 250 out = 858" in out
    rows = [line.split() for line in out.splitlines() if line[:32].isalnum() and len(line.split()[0]) == 32]
    assert [r[1] for r in rows] == ["turn-1", "turn-2", "turn-3"]
    assert [r[4] for r in rows] == ["-", "10.0", "20.0"]  # gap_s: think time
    code, out, _ = run(capsys, "session", "s-alice-1", "--db", sink, "--format", "json")
    with llm_agent.analysis.open(sink) as store:
        transcript = store.transcript("s-alice-1").to_dict()
        assert json.loads(out) == {**store.session("s-alice-1").to_dict(), "transcript": transcript}
    code, out, _ = run(capsys, "session", "s-alice-1", "--db", sink, "--format", "csv")
    assert [r["name"] for r in csv.DictReader(io.StringIO(out))] == ["turn-1", "turn-2", "turn-3"]
    assert run(capsys, "session", "nope", "--db", sink)[0] == 1


def test_trace_waterfall(capsys, sink) -> None:
    with llm_agent.analysis.open(sink) as store:
        trace_id = store.session("s-alice-1").traces[1].trace_id
        tree = store.trace(trace_id)
    code, out, _ = run(capsys, "trace", trace_id, "--db", sink)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"trace {trace_id}  2026-03-01 10:00:11Z  2.200s")
    assert lines[1] == "session s-alice-1  user alice"
    root, emb, chat = lines[2:]
    assert root.startswith("turn-2 ") and emb.startswith("  embeddings text-embedding-3-small")
    assert chat.startswith("  chat gpt-4o ")
    assert "2200ms" in root and "200ms  8→- tok" in emb and "2000ms  200→80 tok" in chat
    # The bars: the root spans the whole width, the embedding the first ~9 %, the chat the rest.
    assert chat.index("█") > emb.index("█")
    assert root.count("█") > chat.count("█") > emb.count("█") > 0
    code, out, _ = run(capsys, "trace", trace_id, "--db", sink, "--format", "json")
    data = json.loads(out)
    assert [s["name"] for s in data["spans"]] == [s.name for s in tree.spans]
    assert [s["depth"] for s in data["spans"]] == [0, 1, 1] and "children" not in data["spans"][0]
    code, out, _ = run(capsys, "trace", trace_id, "--db", sink, "--format", "csv")
    assert [r["span_id"] for r in csv.DictReader(io.StringIO(out))] == [s.span_id for s in tree.spans]
    assert run(capsys, "trace", "f" * 32, "--db", sink)[0] == 1


def test_models_and_model(capsys, sink) -> None:
    code, out, _ = run(capsys, "models", "--db", sink, *WINDOW, "--format", "json")
    assert [(m["model"], m["requests"], m["errors"]) for m in json.loads(out)] == [
        ("gpt-4o", 11, 0), ("gpt-4o-mini", 5, 1), ("broken-model", 2, 2), ("text-embedding-3-small", 1, 0)
    ]  # fmt: skip
    code, out, _ = run(capsys, "model", "gpt-4o", "--db", sink, *WINDOW, "--bucket", "1h", "--format", "json")
    with llm_agent.analysis.open(sink) as store:
        assert json.loads(out) == store.model("gpt-4o", since=SINCE, until=UNTIL, bucket="1h").to_dict()
    code, out, _ = run(capsys, "model", "gpt-4o", "--db", sink, *WINDOW, "--slow-threshold", "2s")
    assert code == 0
    assert "slow calls       5 (> 2s)" in out
    assert "requests         11" in out
    assert "finish reasons   stop=11" in out
    series = out.split("buckets with calls):\n")[1].splitlines()[2:]
    assert len(series) == 3  # only the buckets that had calls are printed
    code, out, _ = run(capsys, "model", "broken-model", "--db", sink, *WINDOW)
    assert "errors           2 (100.0%)" in out
    code, out, _ = run(capsys, "model", "gpt-4o", "--db", sink, *WINDOW, "--format", "csv", "--bucket", "6h")
    assert sum(int(r["requests"]) for r in csv.DictReader(io.StringIO(out))) == 11
    code, out, _ = run(capsys, "model", "nope", "--db", sink, *WINDOW)
    assert (code, out) == (0, f"No calls to model 'nope' since {SINCE} until {UNTIL}.\n")


def test_users(capsys, sink) -> None:
    code, out, _ = run(capsys, "users", "--db", sink, *WINDOW, "--format", "json")
    users = json.loads(out)
    # The users view: most expensive first, unknown cost (carol: every call failed) last.
    assert [(u["user_id"], u["sessions"], u["traces"], u["llm_calls"], u["total_tokens"], u["cost_usd"],
             u["unpriced_calls"]) for u in users] == [
        ("alice", 2, 4, 5, 3858, 0.021208, 0), ("dave", 1, 2, 9, 380, 0.00139, 0), ("bob", 1, 2, 2, 100, 0.00031, 1),
        ("carol", 1, 2, 2, 0, None, 2),
    ]  # fmt: skip
    code, out, _ = run(capsys, "users", "--db", sink, *WINDOW)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["alice", "dave", "bob", "carol"]


def test_prune_deletes_old_traces(capsys, tmp_path) -> None:
    path = str(tmp_path / "old.sqlite")
    build_with_records(path)  # every span is from March 2026
    code, out, _ = run(capsys, "prune", "--db", path, "--older-than", "1d")
    assert code == 0 and out.startswith("deleted 30 spans older than 86400s")
    assert run(capsys, "sessions", "--db", path, "--since", "3650d", "--format", "json") == (0, "[]\n", "")


def test_console_entry_point_runs_as_a_process(sink) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "llm_agent.cli", "--db", sink, "sessions", *WINDOW, "--format", "csv"],
        capture_output=True, text=True, check=False, timeout=60,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 7  # header + 6 sessions


def test_help_lists_every_command(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("sessions", "session", "traces", "trace", "models", "model", "users", "prune", "ui", "demo"):
        assert command in out


def test_ui_command_serves_the_sink(sink) -> None:
    import re
    import urllib.parse
    import urllib.request

    proc = subprocess.Popen(
        [sys.executable, "-m", "llm_agent.cli", "ui", "--db", sink, "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/?)", line)
        assert match, line + proc.stderr.read() if proc.poll() is not None else line
        base = match.group(1).rstrip("/")
        query = urllib.parse.urlencode({"since": SINCE, "until": UNTIL})
        with urllib.request.urlopen(f"{base}/api/sessions?{query}", timeout=30) as response:
            body = response.read().decode()
        for session_id in ("s-alice-1", "s-bob-1", "s-dave"):
            assert session_id in body
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
