"""Exporting results to CSV and JSON, streaming (rows are written as they come from an iterator).

    with open("sessions.csv", "w", newline="") as f:
        to_csv(store.iter_sessions(since="7d", limit=None), f)

CSV flattens each result: lists become ``;``-joined text, datetimes ISO 8601, nested results
(``children``, ``series``) are left out - use JSON for those.  JSON writes one array, one element
per line, so even a huge export never sits in memory as a whole.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO, Any

from llm_agent.analysis._types import _jsonable


def _as_dict(row: Any) -> dict[str, Any]:
    if hasattr(row, "to_dict"):
        return row.to_dict()  # type: ignore[no-any-return]
    if isinstance(row, dict):
        return _jsonable(row)  # type: ignore[no-any-return]
    raise TypeError(f"cannot export {type(row).__name__}: expected analysis results or dicts")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def to_csv(rows: Iterable[Any], file: IO[str], columns: list[str] | None = None) -> int:
    """Write ``rows`` (results or dicts) as CSV with a header; returns the number of rows.

    ``columns`` defaults to the first row's fields minus nested ones.  Open the file with
    ``newline=""`` as the ``csv`` module asks.
    """
    writer = None
    header: list[str] = columns or []
    count = 0
    for row in rows:
        d = _as_dict(row)
        if writer is None:
            if columns is None:
                header = [k for k, v in d.items() if not _is_nested(v)]
            writer = csv.writer(file)
            writer.writerow(header)
        writer.writerow([_cell(d.get(c)) for c in header])
        count += 1
    if writer is None and columns:
        csv.writer(file).writerow(columns)
    return count


def _is_nested(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and any(isinstance(v, dict) for v in value)


def to_json(rows: Iterable[Any], file: IO[str]) -> int:
    """Write ``rows`` as a JSON array, one element per line; returns the number of rows."""
    count = 0
    file.write("[")
    for row in rows:
        file.write(",\n" if count else "\n")
        file.write(json.dumps(_as_dict(row), ensure_ascii=False))
        count += 1
    file.write("\n]\n" if count else "]\n")
    return count
