"""A type checker on the public modules: mypy, configured in pyproject.toml ([tool.mypy]), clean.

A cold run takes a few seconds (the cache lives in the test's temporary directory, never in the tree).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: A generous bound: a cold run here takes about 5 s.
MYPY_TIMEOUT_S = 300


def _mypy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("mypy")
    env = {**os.environ, "MYPY_FORCE_COLOR": "0", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(tmp_path / "mypy-cache"), "--no-error-summary", "--no-pretty", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=MYPY_TIMEOUT_S, check=False,
    )  # fmt: skip


def test_the_public_modules_type_check_clean(tmp_path: Path) -> None:
    done = _mypy(tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_checker_reports_a_type_error(tmp_path: Path) -> None:
    """The same configuration fails on a public-API misuse (so the test above can fail)."""
    bad = tmp_path / "misuse.py"
    bad.write_text(
        "import llm_agent\n"
        "llm_agent.init(service_name=42)\n"
        "store = llm_agent.analysis.open()\n"
        "count: int = store.sessions()\n"
    )
    done = _mypy(tmp_path, str(bad))
    assert done.returncode == 1
    assert [line.split(": error: ")[1] for line in done.stdout.splitlines()] == [
        'Argument "service_name" to "init" has incompatible type "int"; expected "str | None"  [arg-type]',
        'Incompatible types in assignment (expression has type "list[SessionSummary]", variable has type "int")'
        "  [assignment]",
    ]
