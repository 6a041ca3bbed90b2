"""Anthropic test helpers: recorded cassettes, the requests recorded in them, and clients.

The cassettes (tests/cassettes/anthropic, provenance in tests/cassettes/README.md) are replayed by
vcrpy with ``record_mode="none"``; each test sends the very request body that was recorded, read
back from the cassette, so the real SDK code runs end to end against a real recorded response.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anthropic
import pytest

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes" / "anthropic"
API_KEY = "test_anthropic_api_key"


@pytest.fixture
def cassette() -> Callable[[str], Any]:
    """``with cassette("name"):`` replays tests/cassettes/anthropic/name.yaml, never the network."""
    import vcr

    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none",
        match_on=["method", "scheme", "host", "port", "path"],
        decode_compressed_response=True,
    )

    def use(name: str) -> Any:
        return recorder.use_cassette(f"{name}.yaml")

    return use


def recorded_request(name: str, index: int = 0) -> dict[str, Any]:
    """The JSON body of the ``index``-th request recorded in cassette ``name`` (as SDK kwargs)."""
    import yaml

    data = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text())
    return dict(json.loads(data["interactions"][index]["request"]["body"]))


def client(is_async: bool = False) -> Any:
    cls = anthropic.AsyncAnthropic if is_async else anthropic.Anthropic
    return cls(api_key=API_KEY, max_retries=0)
