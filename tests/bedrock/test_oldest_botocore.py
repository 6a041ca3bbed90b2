"""The Bedrock tests again, under the oldest supported boto3/botocore (1.34.116, the first with Converse).

``.ci/run`` creates ``.venv-bedrock-oldest/`` from ``.ci/bedrock-oldest.txt`` (llm_agent, those
releases and the test tools only: it takes seconds); this test runs tests/bedrock there in a
subprocess.  Without that environment it skips, saying how to create it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OLDEST_VENV = ROOT / ".venv-bedrock-oldest"
REQUIREMENTS = ".ci/bedrock-oldest.txt"
#: The oldest botocore release we support and test (docs/bedrock.md).
OLDEST_BOTOCORE = "1.34.116"
_NESTED = "LLM_AGENT_TEST_OLDEST_BOTOCORE_NESTED"
#: Bound on the nested run (seconds); it takes about ten.
NESTED_TIMEOUT_S = 300


def _python() -> Path:
    return OLDEST_VENV / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


@pytest.mark.timeout(NESTED_TIMEOUT_S + 60)
def test_bedrock_suite_on_oldest_supported_release() -> None:
    if os.environ.get(_NESTED):
        pytest.skip("already running inside the oldest-botocore environment")
    python = _python()
    if not python.exists():
        pytest.skip(
            f"{OLDEST_VENV.name}/ is absent; create it with: python -m venv {OLDEST_VENV.name} && "
            f"{OLDEST_VENV.name}/bin/pip install -e . -r {REQUIREMENTS}"
        )
    version = subprocess.run(
        [str(python), "-c", "import botocore; print(botocore.__version__)"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout.strip()
    assert version == OLDEST_BOTOCORE, f"{OLDEST_VENV.name} has botocore {version}, expected {OLDEST_BOTOCORE}"
    env = {**os.environ, _NESTED: "1"}
    result = subprocess.run(
        [str(python), "-m", "pytest", "tests/bedrock", "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, check=False, cwd=ROOT, env=env, timeout=NESTED_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
