"""Cohere test fixtures (helpers in cohere_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from llm_agent.testing import SpanCapture, capture_spans


@pytest.fixture
def spans() -> Iterator[SpanCapture]:
    with capture_spans(instrument=["cohere"]) as capture:
        yield capture
