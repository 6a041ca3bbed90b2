"""The MCP tests again under the 1.x line of the ``mcp`` SDK, which does not trace itself (the
test suite's own environment has the 2.x line, which does): the same trees, with the context
injected and extracted by us.

``.ci/run`` creates ``.venv-mcp1/`` with that release (docs/mcp.md); this test runs tests/mcp
there in a subprocess.  Without that environment it skips, saying how to create it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests._side_env import ROOT, python_of

VENV = ".venv-mcp1"
#: The 1.x release the side environment holds (.ci/mcp-1x.txt).
MCP_1X = (ROOT / ".ci" / "mcp-1x.txt").read_text().strip().split("==")[1]
NESTED = "LLM_AGENT_TEST_MCP_1X_NESTED"


@pytest.mark.timeout(300)
def test_mcp_suite_on_the_1x_line() -> None:
    if os.environ.get(NESTED):
        pytest.skip(f"already running inside {VENV}/")
    python = python_of(ROOT / VENV)
    if not python.exists():
        pytest.skip(f"{VENV}/ is absent; create it with: python -m venv {VENV} && "
                    f"{VENV}/bin/pip install -e '.[test]' -r .ci/mcp-1x.txt")  # fmt: skip
    found = subprocess.run(
        [str(python), "-c", "from importlib.metadata import version; print(version('mcp'))"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout.strip()  # fmt: skip
    assert found == MCP_1X, f"{VENV} has mcp {found}, expected {MCP_1X}"
    result = subprocess.run(
        [str(python), "-m", "pytest", str(Path("tests") / "mcp"), "-q", "-p", "no:cacheprovider"],
        capture_output=True, text=True, check=False, cwd=ROOT, env={**os.environ, NESTED: "1"}, timeout=280,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " skipped" in result.stdout  # this file skips itself there
