"""The ``otel_traces`` schema and rows in the shape the Collector's ClickHouse exporter writes them.

Mirrors opentelemetry-collector-contrib ``exporter/clickhouseexporter`` (``internal/sql_templates/
traces_table.sql`` and ``exporter_traces.go``): ``Timestamp`` is the span start (DateTime64(9)),
``Duration`` end - start in ns, IDs lowercase hex ('' when absent), ``SpanKind`` and ``StatusCode``
pdata's names (``Client``, ``Internal``..., ``Unset`` / ``Ok`` / ``Error``), ``ServiceName`` the
resource's ``service.name``, and every attribute value as a string by pdata's ``Value.AsString``
(ints in decimal, doubles as ES6 numbers, bools ``true``/``false``, arrays and maps as JSON).

``rows_from_spans`` is useful for loading a local sink's spans into ClickHouse, and in tests.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Final

from llm_agent import semconv
from llm_agent.backends._types import SpanRecord

#: The exporter's traces table (its default DDL, TTL left out: add ``TTL toDateTime(Timestamp) +
#: toIntervalDay(N)`` as the exporter does when ``ttl`` is configured).  ``{table}`` is the name.
TRACES_DDL: Final = """CREATE TABLE IF NOT EXISTS {table} (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
) ENGINE = MergeTree()
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1"""

_KINDS: Final = {
    "INTERNAL": "Internal", "SERVER": "Server", "CLIENT": "Client", "PRODUCER": "Producer", "CONSUMER": "Consumer",
}  # fmt: skip
_STATUSES: Final = {"UNSET": "Unset", "OK": "Ok", "ERROR": "Error"}


def attribute_string(value: Any) -> str:
    """An attribute value as the exporter stores it (pdata ``Value.AsString``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _es6_number(value)
    if isinstance(value, (bytes, bytearray)):
        import base64

        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(_jsonable(value), ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _es6_number(f: float) -> str:
    # Go's float64AsString: shortest round-trip digits, positional unless |f| < 1e-6 or >= 1e21.
    if math.isinf(f) or math.isnan(f):
        return "json: unsupported value: " + ("NaN" if math.isnan(f) else ("+Inf" if f > 0 else "-Inf"))
    if f != 0 and (abs(f) < 1e-6 or abs(f) >= 1e21):
        mantissa, exp = repr(f).split("e") if "e" in repr(f) else (repr(f), "0")
        mantissa = mantissa[:-2] if mantissa.endswith(".0") else mantissa
        sign = "-" if exp.startswith("-") else "+"
        return f"{mantissa}e{sign}{exp.lstrip('+-').lstrip('0') or '0'}"
    return format(Decimal(repr(f)).normalize(), "f")


def _attrs(values: dict[str, Any] | None) -> dict[str, str]:
    return {k: attribute_string(v) for k, v in (values or {}).items() if v is not None}


def _ns_text(ns: int) -> str:
    """DateTime64(9) input that keeps every nanosecond: seconds.fraction since the epoch."""
    seconds, frac = divmod(int(ns), 1_000_000_000)
    return f"{seconds}.{frac:09d}"


@functools.cache
def _typed_keys() -> tuple[tuple[str, str], ...]:
    """(record field, attribute) for the typed fields that copy one attribute, from the field table
    (a field with synonyms as the first of them; ``usage_missing`` is written only when needed).
    Imported on first use: loading rows into ClickHouse needs no export pipeline otherwise."""
    from llm_agent.export._fields import ATTRIBUTE_FIELDS

    return tuple((f.name, f.keys[0]) for f in ATTRIBUTE_FIELDS if f.name != "usage_missing")


def _typed_attributes(record: SpanRecord) -> dict[str, Any]:
    """The record's typed fields as the attributes they copy (a record built by hand may carry
    them only as fields; on the wire they are attributes)."""
    values = {key: getattr(record, name) for name, key in _typed_keys()}
    values[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = list(record.finish_reasons) or None
    inferred_missing = (
        record.span_kind in semconv.USAGE_SPAN_KINDS and record.input_tokens is None and record.output_tokens is None
    )
    if record.usage_missing != inferred_missing:  # only where a reader's inference would get it wrong
        values[semconv.USAGE_MISSING] = record.usage_missing
    return {k: v for k, v in values.items() if v is not None}


def row_from_record(record: SpanRecord, typed_attributes: bool = True) -> dict[str, Any]:
    """One ``otel_traces`` row (JSONEachRow-ready: times as ``seconds.nanoseconds`` text).

    ``typed_attributes``: also write the record's typed fields as attributes where the
    attributes lack them (for records built by hand; a finished span's attributes hold them)."""
    events = list(record.events)
    attributes = dict(record.attributes or {})
    if typed_attributes:
        attributes = {**_typed_attributes(record), **attributes}
    return {
        "Timestamp": _ns_text(record.start_ns),
        "TraceId": record.trace_id,
        "SpanId": record.span_id,
        "ParentSpanId": record.parent_span_id or "",
        "TraceState": "",
        "SpanName": record.name,
        "SpanKind": _KINDS.get(record.kind, "Unspecified"),
        "ServiceName": record.service_name or "",
        "ResourceAttributes": _attrs(record.resource),
        "ScopeName": record.scope_name or "",
        "ScopeVersion": "",
        "SpanAttributes": _attrs(attributes),
        "Duration": max(0, record.end_ns - record.start_ns),
        "StatusCode": _STATUSES.get(record.status, "Unset"),
        "StatusMessage": record.status_message or "",
        "Events.Timestamp": [_ns_text(e.get("time_ns") or record.start_ns) for e in events],
        "Events.Name": [str(e.get("name", "")) for e in events],
        "Events.Attributes": [_attrs(e.get("attributes")) for e in events],
        "Links.TraceId": [],
        "Links.SpanId": [],
        "Links.TraceState": [],
        "Links.Attributes": [],
    }


def rows_from_spans(spans: Iterable[Any]) -> list[dict[str, Any]]:
    """``otel_traces`` rows from ``SpanRecord``s or finished SDK spans (``ReadableSpan``)."""
    out = []
    converter = None
    for span in spans:
        if not isinstance(span, SpanRecord):
            if converter is None:
                from llm_agent.export._convert import Converter

                converter = Converter()
            out.append(row_from_record(converter.convert(span), typed_attributes=False))
            continue
        out.append(row_from_record(span))
    return out


def insert_sql(table: str, rows: Iterable[dict[str, Any]]) -> str:
    """An ``INSERT ... FORMAT JSONEachRow`` statement carrying ``rows`` as data (not SQL)."""
    body = "\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows)
    return f"INSERT INTO {table} FORMAT JSONEachRow\n{body}"
