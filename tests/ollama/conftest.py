"""Ollama test fixtures (helpers in ollama_helpers.py)."""

from __future__ import annotations

from tests._fixtures import capture_fixture

spans = capture_fixture("ollama")
