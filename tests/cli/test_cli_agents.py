"""``llm-agent session`` shows the transcript, ``llm-agent trace`` the kind of each step (agent, tool,
retrieval with its document count, LLM), over a real agent session (tests/analysis/agent_scenario.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import agent_scenario
import pytest

import llm_agent.analysis
from llm_agent.analysis import CAPTURE_HINT
from llm_agent.cli import main


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # no text wraps (test_transcript_wraps_to_the_terminal checks that)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("cli-agents")
    captured, plain = str(base / "captured.sqlite"), str(base / "plain.sqlite")
    return {"db": captured, "seen": agent_scenario.record(captured), "plain": plain,
            "plain_seen": agent_scenario.record(plain, capture_content=False)}  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def _starts(db: str) -> list[str]:
    with llm_agent.analysis.open(db) as store:
        detail = store.session(agent_scenario.SESSION_ID)
        assert detail is not None
        return [t.start.strftime("%Y-%m-%d %H:%M:%SZ") for t in detail.traces]


def test_session_prints_the_transcript(capsys: pytest.CaptureFixture[str], recorded: dict[str, Any]) -> None:
    out = run(capsys, "session", agent_scenario.SESSION_ID, "--db", recorded["db"])
    expected = ["Transcript"]
    for n, (turn, start) in enumerate(zip(recorded["seen"], _starts(recorded["db"]), strict=True), start=1):
        (call,) = turn["calls"]
        expected += [
            f"turn {n}  invoke_agent support-bot  {start}",
            f"  user:      {turn['question']}",
            f"  tool:      search_orders({json.dumps(call['arguments'])})  [{call['call_id']}]",
            f"             -> {json.dumps(call['result'])}",
            f"  assistant: {turn['answer']}",
        ]
    assert out.split("\n\n")[-1].rstrip("\n").split("\n") == expected


def test_session_without_content_says_how_to_capture_it(capsys: pytest.CaptureFixture[str],
                                                         recorded: dict[str, Any]) -> None:  # fmt: skip
    out = run(capsys, "session", agent_scenario.SESSION_ID, "--db", recorded["plain"])
    expected = ["Transcript", f"  {CAPTURE_HINT}"]
    for n, (turn, start) in enumerate(zip(recorded["plain_seen"], _starts(recorded["plain"]), strict=True), start=1):
        expected += [f"turn {n}  invoke_agent support-bot  {start}",
                     f"  tool:      search_orders(…)  [{turn['calls'][0]['call_id']}]"]  # fmt: skip
    assert out.split("\n\n")[-1].rstrip("\n").split("\n") == expected


def test_session_json_has_the_transcript(capsys: pytest.CaptureFixture[str], recorded: dict[str, Any]) -> None:
    out = run(capsys, "session", agent_scenario.SESSION_ID, "--db", recorded["db"], "--format", "json")
    with llm_agent.analysis.open(recorded["db"]) as store:
        transcript = store.transcript(agent_scenario.SESSION_ID)
        detail = store.session(agent_scenario.SESSION_ID)
    assert transcript is not None and detail is not None
    assert json.loads(out) == {**detail.to_dict(), "transcript": transcript.to_dict()}


def test_trace_shows_the_kind_of_each_step(capsys: pytest.CaptureFixture[str], recorded: dict[str, Any]) -> None:
    with llm_agent.analysis.open(recorded["db"]) as store:
        detail = store.session(agent_scenario.SESSION_ID)
        assert detail is not None
        trace_id = detail.traces[0].trace_id
    lines = run(capsys, "trace", trace_id, "--db", recorded["db"]).splitlines()[2:]
    # name, then after the bar: the step's kind (and document count), then its duration
    rows = [re.fullmatch(r"(\s*\S.*?)\s+[·█!]+\s+(.*?)\s+\d+ms.*", line) for line in lines]
    assert [(m.group(1), m.group(2)) for m in rows if m] == [
        ("invoke_agent support-bot", "AGENT"),
        ("  retrieval kb", "RETRIEVER 2 docs"),
        ("  chat gpt-4o", "LLM"),
        ("  execute_tool search_orders", "TOOL"),
        ("  chat gpt-4o", "LLM"),
    ]


def test_transcript_wraps_to_the_terminal(capsys: pytest.CaptureFixture[str], recorded: dict[str, Any],
                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("COLUMNS", "60")
    for db in (recorded["db"], recorded["plain"]):
        transcript = run(capsys, "session", agent_scenario.SESSION_ID, "--db", db).split("\n\n")[-1]
        assert max(len(line) for line in transcript.splitlines()) <= 60
        # the wrapped lines still hold every word of the answers and the hint
        words = " ".join(line.strip() for line in transcript.splitlines()).split()
        for text in [turn["answer"] for turn in recorded["seen"]] if db == recorded["db"] else [CAPTURE_HINT]:
            assert " ".join(text.split()) in " ".join(words)


def test_transcript_lines_keep_line_breaks_and_escape_control_characters() -> None:
    from datetime import datetime, timezone

    from llm_agent import _terminal
    from llm_agent.analysis import Transcript, TranscriptToolCall, TranscriptTurn

    start = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
    call = TranscriptToolCall("lookup", None, {"q": "\x1b[2J"}, None, "0" * 16, "TimeoutError")
    turn = TranscriptTurn("f" * 32, "turn", start, "first line\n\nsecond \x1b]0;pwned\x07", (call,), None, 1, 1)
    text = _terminal.transcript(Transcript("s", True, (turn,)), 80)
    assert text.split("\n") == [
        "Transcript",
        "turn 1  turn  2026-03-01 10:00:00Z  (1 error)",
        "  user:      first line",
        "",
        "             second \\x1b]0;pwned\\x07",
        '  tool:      lookup({"q": "\\u001b[2J"})',
        "             -> failed: TimeoutError",
    ]
