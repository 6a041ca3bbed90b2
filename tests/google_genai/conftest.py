"""google-genai test fixtures (helpers in genai_helpers.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("google.genai")

from tests._fixtures import capture_fixture
from tests.google_genai.genai_helpers import cassette, loopback

__all__ = ["cassette", "loopback"]


spans = capture_fixture("google_genai")
