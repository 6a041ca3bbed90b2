"""Fixtures every provider test folder makes alike, made once: ``spans = capture_fixture("groq")``
in a folder's conftest.py gives its tests the ``spans`` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from llm_agent.testing import SpanCapture, capture_spans


def capture_fixture(*instrument: str) -> Any:
    """The ``spans`` fixture: a capture of the finished spans with these libraries instrumented."""

    @pytest.fixture(name="spans")
    def spans() -> Iterator[SpanCapture]:
        with capture_spans(instrument=list(instrument)) as capture:
            yield capture

    return spans
