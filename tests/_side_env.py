"""Re-run one provider's tests in a side virtual environment holding its oldest supported SDK.

``.ci/run`` builds each environment; without it the test skips, saying how to create it.  The
nested run is marked by an environment variable so that it does not recurse into itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def python_of(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def run_tests_in_side_env(
    venv_name: str, module: str, version: str, tests: str, nested_flag: str, create: str, timeout_s: int
) -> None:
    """Run ``tests`` under ``venv_name``'s interpreter, after checking that ``module`` is ``version``."""
    if os.environ.get(nested_flag):
        pytest.skip(f"already running inside {venv_name}/")
    python = python_of(ROOT / venv_name)
    if not python.exists():
        pytest.skip(f"{venv_name}/ is absent; create it with: {create}")
    found = subprocess.run(
        [str(python), "-c", f"import {module}; print({module}.__version__)"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout.strip()
    assert found == version, f"{venv_name} has {module} {found}, expected {version}"
    result = subprocess.run(
        [str(python), "-m", "pytest", tests, "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, check=False, cwd=ROOT, env={**os.environ, nested_flag: "1"},
        timeout=timeout_s,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
