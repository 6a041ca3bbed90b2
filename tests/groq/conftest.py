"""Groq test fixtures (helpers in groq_helpers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from llm_agent.testing import SpanCapture, capture_spans
from tests.groq.groq_helpers import Mock, cassette_player


@pytest.fixture
def spans() -> Iterator[SpanCapture]:
    with capture_spans(instrument=["groq"]) as capture:
        yield capture


@pytest.fixture
def mock() -> Mock:
    return Mock()


@pytest.fixture
def cassette() -> Callable[[str], Any]:
    return cassette_player()
