"""Finished SDK span -> ``spans`` row of the SQLite sink, in one pass.

The general path (``Converter.values`` -> ``SpanRecord`` field tuple -> row) builds two tuples
per span and reads some fields twice; at the sink's target of 60k spans/s on two cores every
microsecond of Python per span is a tenth of the budget, so the pipeline's sqlite fast path
converts straight to the row.  The result must equal ``rows_from_values(Converter().values(s))``
for every span (``tests/export/test_coalescing.py`` checks both on the same spans).
"""

from __future__ import annotations

from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan

from llm_agent import semconv
from llm_agent.export._convert import (
    _INFERRED_KINDS,
    _KIND_NAMES,
    _STATUS_NAMES,
    Converter,
    _first,
    _float_or_none,
    _int_or_none,
    _plain,
    _str_or_none,
)

_USAGE_KINDS: Final = semconv.USAGE_SPAN_KINDS
_SESSION_KEYS: Final = semconv.SESSION_ID_KEYS
_USER_KEYS: Final = semconv.USER_ID_KEYS


class RowConverter(Converter):
    """A ``Converter`` that also makes sink rows directly (one per worker thread, like its base)."""

    def __init__(self, encode: Any) -> None:
        super().__init__()
        self._encode = encode

    def row(self, span: ReadableSpan) -> tuple[Any, ...]:
        enc = self._encode
        ctx = span.context
        parent = span.parent
        raw = getattr(span, "_attributes", None)
        raw = getattr(raw, "_dict", raw)  # BoundedAttributes wraps a plain dict
        if raw is None:
            raw = span.attributes or {}
        get = raw.get
        _, service = self._resource(span)
        status = span.status
        operation = get("gen_ai.operation.name")
        if operation is not None and type(operation) is not str:
            operation = str(operation)
        span_kind = get("gen_ai.span.kind")
        if span_kind is None:
            if operation is not None:
                span_kind = _INFERRED_KINDS.get(operation)
        elif type(span_kind) is not str:
            span_kind = str(span_kind)
        request_model = get("gen_ai.request.model")
        if request_model is not None and type(request_model) is not str:
            request_model = str(request_model)
        response_model = get("gen_ai.response.model")
        if response_model is not None and type(response_model) is not str:
            response_model = str(response_model)
        input_tokens = get("gen_ai.usage.input_tokens")
        if input_tokens is not None and type(input_tokens) is not int:
            input_tokens = _int_or_none(input_tokens)
        output_tokens = get("gen_ai.usage.output_tokens")
        if output_tokens is not None and type(output_tokens) is not int:
            output_tokens = _int_or_none(output_tokens)
        missing_flag = get(semconv.USAGE_MISSING)
        if missing_flag is None:
            usage_missing = span_kind in _USAGE_KINDS and input_tokens is None and output_tokens is None
        else:
            usage_missing = bool(missing_flag)
        finish = get("gen_ai.response.finish_reasons")
        if finish is None:
            finish_json = None
        elif isinstance(finish, (list, tuple)):
            finish_json = enc([str(f) for f in finish]) if finish else None
        else:
            finish_json = enc([str(finish)])
        events_json = None
        if getattr(span, "_events", True):
            events = [
                {
                    "name": e.name,
                    "time_ns": e.timestamp,
                    "attributes": {k: _plain(v) for k, v in (e.attributes or {}).items()},
                }
                for e in span.events
            ]
            if events:
                events_json = enc(events)
        start_ns = span.start_time or 0
        end_ns = span.end_time or start_ns
        ttft = get("gen_ai.response.time_to_first_chunk")
        if ttft is not None and type(ttft) is not float:
            ttft = _float_or_none(ttft)
        cache_read = get("gen_ai.usage.cache_read.input_tokens")
        if cache_read is not None and type(cache_read) is not int:
            cache_read = _int_or_none(cache_read)
        cache_creation = get("gen_ai.usage.cache_creation.input_tokens")
        if cache_creation is not None and type(cache_creation) is not int:
            cache_creation = _int_or_none(cache_creation)
        reasoning = get("gen_ai.usage.reasoning.output_tokens")
        if reasoning is not None and type(reasoning) is not int:
            reasoning = _int_or_none(reasoning)
        return (
            format(ctx.trace_id, "032x"),
            format(ctx.span_id, "016x"),
            format(parent.span_id, "016x") if parent is not None else None,
            span.name,
            _KIND_NAMES.get(span.kind, "INTERNAL"),
            start_ns,
            end_ns,
            end_ns - start_ns,
            _STATUS_NAMES.get(status.status_code, "UNSET"),
            status.description or None,
            _str_or_none(get("error.type")),
            service,
            _first(get, _SESSION_KEYS),
            _first(get, _USER_KEYS),
            span_kind,
            operation,
            _str_or_none(get("gen_ai.provider.name")),
            request_model,
            response_model,
            request_model if request_model is not None else response_model,
            input_tokens,
            output_tokens,
            cache_read,
            cache_creation,
            reasoning,
            ttft,
            finish_json,
            1 if usage_missing else 0,
            enc(raw),
            events_json,
        )
