"""The OpenAI tests again, under the oldest supported openai release.

``.ci/run`` creates ``.venv-openai-oldest/`` with that release (see docs/openai.md for the exact
command); this test runs tests/openai there in a subprocess.  Without that environment it skips,
saying how to create it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OLDEST_VENV = ROOT / ".venv-openai-oldest"
#: The oldest openai release we support and test (docs/openai.md).
OLDEST_OPENAI = "1.109.1"
_NESTED = "LLM_AGENT_TEST_OLDEST_OPENAI_NESTED"


def _python() -> Path:
    return OLDEST_VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


@pytest.mark.timeout(600)
def test_openai_suite_on_oldest_supported_release():
    if os.environ.get(_NESTED):
        pytest.skip("already running inside the oldest-openai environment")
    python = _python()
    if not python.exists():
        pytest.skip(
            f"{OLDEST_VENV.name}/ is absent; create it with: python -m venv {OLDEST_VENV.name} && "
            f"{OLDEST_VENV.name}/bin/pip install -e '.[test]' 'openai=={OLDEST_OPENAI}'"
        )
    version = subprocess.run(
        [str(python), "-c", "import openai; print(openai.__version__)"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout.strip()
    assert version == OLDEST_OPENAI, f"{OLDEST_VENV.name} has openai {version}, expected {OLDEST_OPENAI}"
    env = {**os.environ, _NESTED: "1"}
    result = subprocess.run(
        [str(python), "-m", "pytest", "tests/openai", "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, check=False, cwd=ROOT, env=env, timeout=540,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
