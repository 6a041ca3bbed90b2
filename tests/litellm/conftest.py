"""LiteLLM test fixtures: a capture of finished spans and the loopback server (loopback.py).

LiteLLM fetches its model cost map from the network when imported unless told to use the copy
it ships: set here, before any test module imports ``litellm``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

from tests._fixtures import capture_fixture
from tests.litellm.loopback import Loopback

#: LiteLLM is instrumented with the SDKs it can reach underneath, as an app that installed them has.
INSTRUMENTED = ["litellm", "openai", "anthropic"]


spans = capture_fixture(*INSTRUMENTED)


@pytest.fixture(scope="module")
def server() -> Iterator[Loopback]:
    with Loopback() as loopback:
        yield loopback
