"""Bedrock test fixtures (helpers in bedrock_helpers.py)."""

from __future__ import annotations

from tests._fixtures import capture_fixture
from tests.bedrock.bedrock_helpers import cassette

__all__ = ["cassette"]


spans = capture_fixture("bedrock")
