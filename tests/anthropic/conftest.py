"""Anthropic test fixtures (helpers in anthropic_helpers.py)."""

from __future__ import annotations

from tests._fixtures import capture_fixture
from tests.anthropic.anthropic_helpers import cassette

__all__ = ["cassette"]


spans = capture_fixture("anthropic")
