"""Groq test fixtures (helpers in groq_helpers.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests._fixtures import capture_fixture
from tests.groq.groq_helpers import Mock, cassette_player

spans = capture_fixture("groq")


@pytest.fixture
def mock() -> Mock:
    return Mock()


@pytest.fixture
def cassette() -> Callable[[str], Any]:
    return cassette_player()
