"""The OpenAI tests again, under the oldest supported openai release.

``.ci/run`` creates ``.venv-openai-oldest/`` with that release (see docs/openai.md for the exact
command); this test runs tests/openai there in a subprocess.  Without that environment it skips,
saying how to create it.
"""

from __future__ import annotations

import pytest

from tests._side_env import run_tests_in_side_env

VENV = ".venv-openai-oldest"
#: The oldest openai release we support and test (docs/openai.md).
OLDEST_OPENAI = "1.109.1"


@pytest.mark.timeout(600)
def test_openai_suite_on_oldest_supported_release():
    run_tests_in_side_env(
        VENV,
        "openai",
        OLDEST_OPENAI,
        "tests/openai",
        "LLM_AGENT_TEST_OLDEST_OPENAI_NESTED",
        f"python -m venv {VENV} && {VENV}/bin/pip install -e '.[test]' 'openai=={OLDEST_OPENAI}'",
        540,
    )
