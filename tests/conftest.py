"""Shared fixtures: every test fails if llm_agent reported an internal error during it."""

from __future__ import annotations

import os

import pytest

# The shared lifecycle matrix's asserts show their diffs like a test module's.
pytest.register_assert_rewrite("tests._lifecycle")

# Session-wide collector for the secrets scan that runs last (tests/test_zz_secrets.py).
pytest_plugins = ["_secrets_plugin"]

# Tests never reach a real API: the recorded cassettes and mock transports use this key, and the
# secrets scan looks for it in spans, sink rows and logs.
os.environ.setdefault("OPENAI_API_KEY", "test_openai_api_key")
os.environ.setdefault("ANTHROPIC_API_KEY", "test_anthropic_api_key")


@pytest.fixture(autouse=True)
def _fail_on_internal_errors():
    from llm_agent import _errors
    from llm_agent.testing import check_internal_errors

    _errors.reset_for_tests()
    yield
    check_internal_errors()


@pytest.fixture(autouse=True)
def _fresh_agent():
    """Every test starts and ends without a running agent."""
    import llm_agent

    llm_agent.shutdown()
    yield
    llm_agent.shutdown()
