"""The Bedrock tests again, under the oldest supported boto3/botocore (1.34.116, the first with Converse).

``.ci/run`` creates ``.venv-bedrock-oldest/`` from ``.ci/bedrock-oldest.txt`` (llm_agent, those
releases and the test tools only: it takes seconds); this test runs tests/bedrock there.
"""

from __future__ import annotations

import pytest

from tests._side_env import run_tests_in_side_env

VENV = ".venv-bedrock-oldest"
#: The oldest botocore release we support and test (docs/bedrock.md).
OLDEST_BOTOCORE = "1.34.116"
#: Bound on the nested run (seconds); it takes about ten.
NESTED_TIMEOUT_S = 300


@pytest.mark.timeout(NESTED_TIMEOUT_S + 60)
def test_bedrock_suite_on_oldest_supported_release() -> None:
    run_tests_in_side_env(
        VENV,
        "botocore",
        OLDEST_BOTOCORE,
        "tests/bedrock",
        "LLM_AGENT_TEST_OLDEST_BOTOCORE_NESTED",
        f"python -m venv {VENV} && {VENV}/bin/pip install -e . -r .ci/bedrock-oldest.txt",
        NESTED_TIMEOUT_S,
    )
