"""OTLP trace requests (protobuf or OTLP JSON) -> OpenTelemetry SDK ``ReadableSpan``s.

Decoding is the official ``opentelemetry-proto`` messages' (``pip install 'llm-agent[collect]'``);
OTLP JSON goes through protobuf's ``json_format`` after the one rewrite the OTLP JSON encoding
requires: trace and span IDs are hex there, where protobuf's JSON mapping expects base64.  The
spans built here are the SDK's own ``ReadableSpan`` (resource, scope, attributes, events, links,
status, parent), so the sink's converter, and with it every dialect's normalisation, treats a
received span exactly like one finished in this process.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any, Final

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

INSTALL_HINT: Final = "receiving OTLP needs opentelemetry-proto: pip install 'llm-agent[collect]'"

_KINDS: Final = {0: SpanKind.INTERNAL, 1: SpanKind.INTERNAL, 2: SpanKind.SERVER, 3: SpanKind.CLIENT,
                 4: SpanKind.PRODUCER, 5: SpanKind.CONSUMER}  # fmt: skip
_STATUS: Final = {0: StatusCode.UNSET, 1: StatusCode.OK, 2: StatusCode.ERROR}
#: One shared (immutable) status for the spans without an error.
_PLAIN_STATUS: Final = {StatusCode.UNSET: Status(StatusCode.UNSET), StatusCode.OK: Status(StatusCode.OK)}
#: The OTLP JSON fields holding hex IDs (protobuf's JSON mapping reads bytes as base64).
_ID_FIELDS: Final = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


class DecodeError(ValueError):
    """The body is not an ``ExportTraceServiceRequest`` (the message says why)."""


def _pb() -> Any:
    try:
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    except ImportError as exc:  # the optional extra is not installed
        raise RuntimeError(INSTALL_HINT) from exc
    return trace_service_pb2


def available() -> bool:
    try:
        _pb()
    except RuntimeError:
        return False
    return True


def parse_protobuf(body: bytes) -> Any:
    request = _pb().ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except Exception as exc:  # protobuf's DecodeError; its class moves between versions
        raise DecodeError(f"not an OTLP protobuf ExportTraceServiceRequest: {exc}") from None
    return request


def _hex_to_b64(obj: Any) -> None:
    """Rewrite hex IDs to base64 in place, through resourceSpans/scopeSpans/spans/links."""
    if isinstance(obj, list):
        for item in obj:
            _hex_to_b64(item)
        return
    if not isinstance(obj, dict):
        return
    for key, value in obj.items():
        if key in _ID_FIELDS and isinstance(value, str):
            try:
                obj[key] = base64.b64encode(bytes.fromhex(value)).decode("ascii")
            except ValueError:
                raise DecodeError(f"{key} {value[:40]!r} is not hex") from None
        elif key != "attributes" and isinstance(value, (dict, list)):
            _hex_to_b64(value)


def parse_json(body: bytes | str | dict[str, Any]) -> Any:
    """An ``ExportTraceServiceRequest`` from OTLP JSON (hex IDs, lowerCamel names, int64 as text)."""
    from google.protobuf import json_format

    try:
        data = json.loads(body) if not isinstance(body, dict) else body
    except ValueError as exc:
        raise DecodeError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DecodeError("not an OTLP JSON object")
    _hex_to_b64(data)
    request = _pb().ExportTraceServiceRequest()
    try:
        json_format.ParseDict(data, request, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise DecodeError(f"not an OTLP JSON ExportTraceServiceRequest: {exc}") from None
    return request


def _value(v: Any) -> Any:
    which = v.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        values = [_value(x) for x in v.array_value.values]
        return tuple(x for x in values if x is not None and not isinstance(x, tuple))
    if which == "kvlist_value":  # the SDK holds no maps as attributes: kept as JSON text
        return json.dumps({kv.key: _plain(_value(kv.value)) for kv in v.kvlist_value.values}, default=str)
    if which == "bytes_value":
        return base64.b64encode(v.bytes_value).decode("ascii")
    return getattr(v, which)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _attributes(kvs: Iterable[Any]) -> dict[str, Any]:
    # The two common kinds inline: every access to a message field builds a Python object, and
    # this loop is most of the receiver's cost per span (docs/performance.md).
    out = {}
    for kv in kvs:
        v = kv.value
        which = v.WhichOneof("value")
        if which == "string_value":
            out[kv.key] = v.string_value
        elif which == "int_value":
            out[kv.key] = v.int_value
        elif which is not None:
            value = _value(v)
            if value is not None:
                out[kv.key] = value
    return out


def _context(trace_id: bytes, span_id: bytes, flags: int = 1) -> SpanContext | None:
    if len(trace_id) != 16 or len(span_id) != 8:
        return None
    tid, sid = int.from_bytes(trace_id, "big"), int.from_bytes(span_id, "big")
    if tid == 0 or sid == 0:
        return None
    return SpanContext(tid, sid, is_remote=False, trace_flags=TraceFlags(flags & 0xFF or 1))


def spans_from_request(request: Any) -> tuple[list[ReadableSpan], int]:
    """The request's spans, and how many were rejected (invalid trace or span IDs)."""
    spans: list[ReadableSpan] = []
    rejected = 0
    for rs in request.resource_spans:
        resource = Resource(_attributes(rs.resource.attributes))
        for ss in rs.scope_spans:
            scope = InstrumentationScope(ss.scope.name, ss.scope.version or None)
            for s in ss.spans:
                ctx = _context(s.trace_id, s.span_id, s.flags)
                if ctx is None:
                    rejected += 1
                    continue
                parent = _context(s.trace_id, s.parent_span_id) if s.parent_span_id else None
                status = s.status
                status_code = _STATUS.get(status.code, StatusCode.UNSET)
                spans.append(
                    ReadableSpan(
                        name=s.name,
                        context=ctx,
                        parent=parent,
                        resource=resource,
                        attributes=_attributes(s.attributes),
                        events=[Event(e.name, _attributes(e.attributes), e.time_unix_nano) for e in s.events],
                        links=[
                            Link(c, _attributes(link.attributes))
                            for link in s.links
                            if (c := _context(link.trace_id, link.span_id)) is not None
                        ],
                        kind=_KINDS.get(s.kind, SpanKind.INTERNAL),
                        status=Status(status_code, status.message or None)
                        if status_code is StatusCode.ERROR
                        else _PLAIN_STATUS[status_code],
                        start_time=s.start_time_unix_nano,
                        end_time=s.end_time_unix_nano or s.start_time_unix_nano,
                        instrumentation_scope=scope,
                    )
                )
    return spans, rejected
