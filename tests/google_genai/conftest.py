"""google-genai test fixtures (helpers in genai_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("google.genai")

from llm_agent.testing import SpanCapture, capture_spans
from tests.google_genai.genai_helpers import cassette, loopback

__all__ = ["cassette", "loopback"]


@pytest.fixture
def spans() -> Iterator[SpanCapture]:
    with capture_spans(instrument=["google_genai"]) as capture:
        yield capture
