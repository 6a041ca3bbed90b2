"""The instruction-count harness runs end to end (issue 25).

No count is asserted (the numbers are the benchmark's business): only that every subject and
scenario gets a row, that llm_agent's subjects exported their spans, and that the breakdown is
there.  With valgrind and ``LLM_AGENT_BENCH_CALLGRIND=1``, one tiny real run under callgrind;
otherwise that test skips and the plumbing is checked with the fake counter (CPU nanoseconds
written at the same dump points).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("openai")

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "benchmarks" / "overhead" / "instructions.py"
#: Each subject is a fresh process (under valgrind: ~40 CPU-seconds of start-up alone), far beyond the
#: suite's per-test default.
HARNESS_TIMEOUT_S = 1800
ROW = re.compile(r"^\| (?P<scenario>\w+) \| (?P<subject>[^|]+?) \| (?P<count>[\d.]+[kM]) \| ")


def run_harness(tmp_path: Path, *extra: str) -> tuple[list[tuple[str, str]], list[dict[str, object]], str]:
    out = tmp_path / "instructions.md"
    done = subprocess.run(
        [sys.executable, str(HARNESS), "--quick", "--no-peers", "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=HARNESS_TIMEOUT_S,
        cwd=str(ROOT),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    table = text.split("## llm_agent's added instructions by stage")[0]  # the breakdown has rows too
    rows = [(m["scenario"], m["subject"]) for line in table.splitlines() if (m := ROW.match(line))]
    return rows, json.loads(out.with_suffix(".json").read_text()), text


@pytest.mark.timeout(HARNESS_TIMEOUT_S)
def test_plumbing_with_the_fake_counter(tmp_path: Path) -> None:
    rows, raw, _ = run_harness(
        tmp_path, "--fake-counter", "--subjects", "bare,llm_agent,llm_agent_sqlite", "--scenarios",
        "chat,chat_stream,error,anthropic_stream,gemini",
    )  # fmt: skip
    subjects = ("bare (openai {})", "llm_agent (discarding exporter)", "llm_agent, SQLite sink")
    version = raw[0]["openai"]
    assert rows == [
        (scenario, subject.format(version))
        for scenario in ("chat", "chat_stream", "error", "anthropic_stream", "gemini")
        for subject in subjects
    ]
    # one process per subject (quick: one run), each having measured every scenario
    assert sorted((r["subject"], sorted(r["per_call"])) for r in raw) == [
        (subject, ["anthropic_stream", "chat", "chat_stream", "error", "gemini"])
        for subject in ("bare", "llm_agent", "llm_agent_sqlite")
    ]
    # warm-up 2, then 2 and 6 calls per plain scenario; streams a fifth (at least 1 and 2)
    calls = {"chat": 10, "error": 10, "chat_stream": 1 + 1 + 2, "anthropic_stream": 1 + 1 + 2, "gemini": 10}
    exported = next(r for r in raw if r["subject"] == "llm_agent")["spans"]
    assert exported == sum(calls.values())


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
@pytest.mark.skipif(
    os.environ.get("LLM_AGENT_BENCH_CALLGRIND") != "1",
    reason="three processes under callgrind take minutes of CPU: set LLM_AGENT_BENCH_CALLGRIND=1 to run it",
)
@pytest.mark.timeout(HARNESS_TIMEOUT_S)
def test_a_tiny_run_under_callgrind(tmp_path: Path) -> None:
    rows, raw, text = run_harness(tmp_path, "--subjects", "bare,llm_agent", "--scenarios", "chat")
    assert rows == [("chat", f"bare (openai {raw[0]['openai']})"), ("chat", "llm_agent (discarding exporter)")]
    assert sorted(r["tag"] for r in raw) == ["project-bare-0", "project-llm_agent-0", "project-llm_agent-stages"]
    assert all(value > 0 for r in raw for value in r["per_call"].values())
    breakdown = [line for line in text.splitlines() if line.startswith("| llm_agent | chat |")]
    assert len(breakdown) == 1
    stages = next(r for r in raw if r["tag"].endswith("stages"))["stages"]["chat"]
    # the app's thread and the export thread both show up in the breakdown ("span_build__in_metrics":
    # the span is built by whichever export worker reads it first)
    seen = {frame.partition("__in_")[0] for frame, cost in stages.items() if cost > 0}
    assert {"request", "span_end", "span_build", "metrics"} <= seen
