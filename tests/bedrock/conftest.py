"""Bedrock test fixtures (helpers in bedrock_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from llm_agent.testing import SpanCapture, capture_spans
from tests.bedrock.bedrock_helpers import cassette

__all__ = ["cassette"]


@pytest.fixture
def spans() -> Iterator[SpanCapture]:
    with capture_spans(instrument=["bedrock"]) as capture:
        yield capture
