"""Shared by the ClickHouse tests: the one reason they may skip."""

from __future__ import annotations

import importlib.util

import pytest

#: Tests that run the embedded ClickHouse (chdb).
needs_chdb = pytest.mark.skipif(
    importlib.util.find_spec("chdb") is None,
    reason="chdb (the embedded ClickHouse) is not installed: pip install 'llm-agent[chdb]'",
)
