"""Helpers shared by the dialect, collect and import tests."""

from __future__ import annotations

import pathlib
import sys
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
sys.path.insert(0, str(HERE.parent / "backends"))  # rollup_check


def fixture_spans(*names: str) -> list[Any]:
    """The fixtures' spans as SDK ReadableSpans (the receiver's decoding)."""
    from llm_agent._collect import _decode

    spans: list[Any] = []
    for name in names:
        for line in (FIXTURES / name).read_bytes().splitlines():
            got, rejected = _decode.spans_from_request(_decode.parse_json(line))
            assert rejected == 0
            spans += got
    return spans


def import_files(sink: str, *paths: pathlib.Path | str) -> Any:
    from llm_agent._collect import _import

    result, _ = _import.run([str(p) for p in paths], sink)
    return result
