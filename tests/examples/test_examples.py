"""Every example runs offline, as a user would run it, and records what it claims to."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from llm_agent._demo import agents_sdk

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _run(tmp_path: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_AGENT_", "OPENAI_", "OTEL_", "PYTHON"))}
    # The package as this checkout has it (it need not be installed), and only what the examples use.
    env.update(PYTHONPATH=str(ROOT), LLM_AGENT_SINK_PATH=str(tmp_path / "sink.sqlite"), LLM_AGENT_INSTRUMENT="openai")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--offline", *args],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _sessions(tmp_path: Path) -> list[tuple[str, str | None, int, int]]:
    """(session, user, traces, LLM calls) per session in the sink."""
    with sqlite3.connect(tmp_path / "sink.sqlite") as conn:
        return conn.execute(
            "SELECT session_id, user_id, COUNT(DISTINCT trace_id), SUM(span_kind = 'LLM') FROM spans "
            "GROUP BY session_id, user_id ORDER BY user_id, session_id"
        ).fetchall()


def test_chatbot(tmp_path: Path) -> None:
    out = _run(tmp_path, "chatbot.py").stdout
    assert out.count("bot> About ") == 5
    got = _sessions(tmp_path)
    assert [(user, traces, calls) for _, user, traces, calls in got] == [("alice", 3, 3), ("bob", 2, 2)]
    assert all(f"llm-agent session {sid}" in out for sid, *_ in got)


def test_async_streaming(tmp_path: Path) -> None:
    out = _run(tmp_path, "async_streaming.py").stdout
    lines = out.splitlines()
    assert lines[0].startswith("carol: 2 turns, last answer starts 'About ")
    assert lines[1].startswith("dave: 1 turns, last answer starts 'About ")
    assert _sessions(tmp_path) == [("async-carol", "carol", 2, 2), ("async-dave", "dave", 1, 1)]
    with sqlite3.connect(tmp_path / "sink.sqlite") as conn:
        ttft = conn.execute("SELECT COUNT(*) FROM spans WHERE span_kind = 'LLM' AND ttft_s > 0").fetchone()
    assert ttft == (3,)


def test_web_app_takes_the_session_from_headers(tmp_path: Path) -> None:
    out = _run(tmp_path, "web_app.py", "--self-test", "3").stdout
    assert out.count("web-session-1: About ") == 3
    assert _sessions(tmp_path) == [("web-session-1", "erin", 3, 3)]


def test_auto_instrumentation_of_an_unmodified_script(tmp_path: Path) -> None:
    out = _run(tmp_path, "auto_instrumentation/run.py").stdout.splitlines()
    assert out[0].startswith("sales: About ") and out[1].startswith("support tickets: About ")
    assert out[2].startswith("recorded: session nightly-report, 2 LLM calls in total, ")
    assert _sessions(tmp_path) == [("nightly-report", "batch", 2, 2)]
    assert "import llm_agent" not in (EXAMPLES / "auto_instrumentation" / "app.py").read_text()


def test_custom_backend(tmp_path: Path) -> None:
    lines = _run(tmp_path, "custom_backend.py").stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["cost-a", "cost-b"]
    costs = [float(line.split("$")[1]) for line in lines]
    assert costs[0] > costs[1] > 0  # gpt-4o costs more than gpt-4o-mini for similar text
    assert _sessions(tmp_path) == [("cost-a", "frank", 2, 2), ("cost-b", "frank", 2, 2)]


def test_query_sink(tmp_path: Path) -> None:
    out = _run(tmp_path, "query_sink.py").stdout
    for heading in ("busiest multi-turn sessions of the last 7 days:", "sessions with errors and 1000+ tokens:",
                    "spans of its first trace:", "\nmodels:\n", "\nusers: ["):  # fmt: skip
        assert heading in out
    try:
        import pandas  # noqa: F401
    except ImportError:
        assert "(pip install pandas to get a DataFrame)" in out
    else:
        # The demo's 10 sessions, plus its OpenAI Agents SDK sessions where the SDK is installed.
        sdk = len(agents_sdk.plan(10, 7, "x")) if agents_sdk.available() else 0
        assert f"DataFrame: {10 + sdk} sessions" in out


@pytest.mark.parametrize("script", ["chatbot.py", "async_streaming.py", "web_app.py", "custom_backend.py",
                                    "query_sink.py", "auto_instrumentation/run.py"])  # fmt: skip
def test_every_example_has_a_docstring_with_its_command(script: str) -> None:
    text = (EXAMPLES / script).read_text()
    assert text.startswith('"""') and f"examples/{script}" in text.split('"""')[1]


def test_agent_records_one_tree_per_turn_and_a_transcript(tmp_path: Path) -> None:
    out = _run(tmp_path, "agent.py").stdout
    assert out.count("frank> ") == 2 and out.count("agent> ") == 2
    session_id = out.rsplit("llm-agent session ", 1)[1].strip()
    with sqlite3.connect(tmp_path / "sink.sqlite") as conn:
        roots = conn.execute(
            "SELECT name, span_kind FROM spans WHERE parent_span_id IS NULL AND session_id = ?", (session_id,)
        ).fetchall()
        kinds = {k for (k,) in conn.execute("SELECT DISTINCT span_kind FROM spans WHERE parent_span_id IS NOT NULL")}
    assert roots == [("invoke_agent support-agent", "AGENT")] * 2
    assert {"RETRIEVER", "LLM"} <= kinds
    import llm_agent.analysis

    with llm_agent.analysis.open(str(tmp_path / "sink.sqlite")) as store:
        transcript = store.transcript(session_id)
    assert transcript is not None and transcript.content_captured
    assert [t.user_message.split("\n")[0] for t in transcript.turns] == [
        "Where is my order 1042?", "And what's the weather in Lisbon for the delivery?"
    ]
    assert all(t.answer for t in transcript.turns)
