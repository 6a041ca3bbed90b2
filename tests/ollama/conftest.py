"""Ollama test fixtures (helpers in ollama_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from llm_agent.testing import SpanCapture, capture_spans


@pytest.fixture
def spans() -> Iterator[SpanCapture]:
    with capture_spans(instrument=["ollama"]) as capture:
        yield capture
