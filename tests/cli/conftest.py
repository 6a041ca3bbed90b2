"""The CLI reads the same sink of known shape as the analysis tests (tests/analysis/analysis_scenario.py)."""

from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "analysis"))

from analysis_scenario import ref, sink

__all__ = ["ref", "sink"]
