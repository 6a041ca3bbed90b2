"""Fixtures for the auto-instrumentation tests (helpers in auto_helpers.py)."""

from __future__ import annotations

from auto_helpers import server

__all__ = ["server"]
