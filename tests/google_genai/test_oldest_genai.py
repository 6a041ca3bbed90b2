"""The google-genai tests again, under the oldest supported google-genai release.

``.ci/run`` creates ``.venv-genai-oldest/`` with that release and the few test packages listed in
``.ci/google-genai-oldest.txt``; this test runs tests/google_genai there in a subprocess.  Without
that environment it skips, saying how to create it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OLDEST_VENV = ROOT / ".venv-genai-oldest"
REQUIREMENTS = ROOT / ".ci" / "google-genai-oldest.txt"
_NESTED = "LLM_AGENT_TEST_OLDEST_GENAI_NESTED"
#: Seconds the nested run may take (it takes a few).
NESTED_TIMEOUT_S = 300


def _oldest() -> str:
    """The pinned release, from the requirements file (the one place it is written)."""
    for line in REQUIREMENTS.read_text().splitlines():
        if line.startswith("google-genai=="):
            return line.partition("==")[2].strip()
    raise AssertionError(f"{REQUIREMENTS} pins no google-genai release")


def _python() -> Path:
    return OLDEST_VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


@pytest.mark.timeout(NESTED_TIMEOUT_S + 60)
def test_genai_suite_on_oldest_supported_release() -> None:
    if os.environ.get(_NESTED):
        pytest.skip("already running inside the oldest-google-genai environment")
    oldest = _oldest()
    python = _python()
    if not python.exists():
        pytest.skip(
            f"{OLDEST_VENV.name}/ is absent; create it with: python -m venv {OLDEST_VENV.name} && "
            f"{OLDEST_VENV.name}/bin/pip install -e . -r .ci/google-genai-oldest.txt"
        )
    version = subprocess.run(
        [str(python), "-c", "from google import genai; print(genai.__version__)"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout.strip()
    assert version == oldest, f"{OLDEST_VENV.name} has google-genai {version}, expected {oldest}"
    env = {**os.environ, _NESTED: "1"}
    result = subprocess.run(
        [str(python), "-m", "pytest", "tests/google_genai", "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, check=False, cwd=ROOT, env=env, timeout=NESTED_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
