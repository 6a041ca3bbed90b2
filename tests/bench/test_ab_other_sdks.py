"""The A/B harness measures the Groq and Mistral scenarios too (no timing asserted: only that
each row is measured against the bare SDK method and nothing failed inside llm_agent)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AB = ROOT / "benchmarks" / "overhead" / "ab.py"
ROW = re.compile(r"^\| (?P<label>[^|]+?) \| (?P<bare>\d+) \| (?P<inst>\d+) \| [+-]\d+\.\d \| [+-]\d+\.\d \| ")


def test_groq_and_mistral_rows() -> None:
    scenarios = "groq_chat,groq_chat_stream,mistral_chat,mistral_chat_stream"
    done = subprocess.run(
        [sys.executable, str(AB), "--calls", "40", "--scenarios", scenarios, "--controls"],
        capture_output=True, text=True, timeout=120, cwd=str(ROOT),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    labels = [m["label"] for line in done.stdout.splitlines() if (m := ROW.match(line))]
    assert labels == [label for name in scenarios.split(",") for label in (name, f"{name}: A/A")]
    assert "internal errors: 0" in done.stdout
