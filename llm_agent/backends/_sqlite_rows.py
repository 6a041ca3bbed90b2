"""Finished SDK span -> ``spans`` row of the SQLite sink, in one pass; the row layout.

The row layout (``SPAN_COLUMNS``, the ``INSERT``) and both ways to a row are derived from the field
table (``llm_agent.export._fields.FIELDS``).  The general path (``Converter.values`` ->
``SpanRecord`` field tuple -> ``rows_from_values``) builds two tuples per span; at the sink's
target of 60k spans/s on two cores every microsecond of Python per span is a tenth of the budget,
so the pipeline's sqlite fast path (``RowConverter.row``) converts straight to the row.  The result
equals ``rows_from_values(Converter().values(s))`` for every span (``tests/export/test_coalescing.py``
checks both on the same spans).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Final

from llm_agent.export import _fields
from llm_agent.export._convert import Converter

#: The ``spans`` columns in the order of the rows (and of the schema's ``CREATE TABLE``).
SPAN_COLUMNS: Final = tuple(f.name for f in _fields.COLUMN_FIELDS)
#: Columns the sink adds after the converter's, when it writes a row: the call's USD cost
#: (``_sqlite_cost``; not a span attribute, so not in the field table).
COST_COLUMNS: Final = ("cost_nusd", "cache_saved_nusd", "price_version")
#: Every column of a written ``spans`` row, in order.
STORED_COLUMNS: Final = SPAN_COLUMNS + COST_COLUMNS
#: The multi-row ``INSERT`` up to its ``VALUES`` (the row placeholders follow).
INSERT_SPANS_HEAD: Final = f"INSERT OR IGNORE INTO spans ({', '.join(STORED_COLUMNS)}) VALUES "
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False, default=str).encode


def _make_fast_encoder() -> Callable[[Any], str]:
    # json's public encode() builds a C encoder object on every call (about 1 us, as much as
    # encoding a small list); the sink encodes three values per span, so it keeps one.
    from json import encoder as _json_encoder

    make = getattr(_json_encoder, "c_make_encoder", None)
    basestring = getattr(_json_encoder, "c_encode_basestring", None)
    if make is None or basestring is None:
        return _encode
    c_encoder = make(None, str, basestring, None, ":", ",", False, False, True)

    def encode(value: Any) -> str:
        return "".join(c_encoder(value, 0))

    return encode


fast_encode: Final = _make_fast_encoder()
_rows_from_values: Final = _fields.rows_from_values_function()


def rows_from_values(values: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Converter field tuples (``SpanRecord`` order) -> ``spans`` rows (``SPAN_COLUMNS`` order)."""
    rows: list[tuple[Any, ...]] = _rows_from_values(values, fast_encode)
    return rows


class RowConverter(Converter):
    """A ``Converter`` that also makes sink rows directly (one per worker thread, like its base)."""

    def __init__(self, encode: Callable[[Any], str]) -> None:
        super().__init__()
        self._encode = encode

    #: ``row(span)``: the span's ``spans`` row (``SPAN_COLUMNS`` order), generated from the table.
    row: Callable[..., tuple[Any, ...]] = _fields.row_function()
