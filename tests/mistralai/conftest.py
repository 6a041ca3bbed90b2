"""Mistral test fixtures (helpers in mistral_helpers.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests._fixtures import capture_fixture
from tests.mistralai.mistral_helpers import Mock, cassette_player

spans = capture_fixture("mistralai")


@pytest.fixture
def mock() -> Mock:
    return Mock()


@pytest.fixture
def cassette() -> Callable[[str], Any]:
    return cassette_player()
