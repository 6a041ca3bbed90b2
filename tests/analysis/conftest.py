"""Fixtures: the sink of known shape (analysis_scenario.py), built from real instrumented calls."""

from __future__ import annotations

from analysis_scenario import ref, sink, store

__all__ = ["ref", "sink", "store"]
