"""Finished OpenTelemetry span -> ``SpanRecord``.

Runs on a backend's worker thread, never the app's, but it is still the per-span cost of the
whole pipeline (the sink's throughput target is 60k spans/s on two cores), so it reads the SDK
span's attributes once, copies nothing twice and caches what spans share (the resource).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from llm_agent import semconv
from llm_agent.backends._types import SpanRecord

_KIND_NAMES: Final = {k: k.name for k in SpanKind}
_STATUS_NAMES: Final = {s: s.name for s in StatusCode}
#: gen_ai.operation.name -> gen_ai.span.kind when a span carries no explicit kind.
_INFERRED_KINDS: Final = {
    semconv.OP_CHAT: semconv.KIND_LLM,
    semconv.OP_TEXT_COMPLETION: semconv.KIND_LLM,
    "generate_content": semconv.KIND_LLM,
    semconv.OP_EMBEDDINGS: semconv.KIND_EMBEDDING,
    semconv.OP_INVOKE_AGENT: semconv.KIND_AGENT,
    "execute_tool": semconv.KIND_TOOL,
}
_SESSION_KEYS: Final = semconv.SESSION_ID_KEYS
_OP: Final = semconv.GEN_AI_OPERATION_NAME
_ARMS_KIND: Final = semconv.ARMS_SPAN_KIND
_REQ_MODEL: Final = semconv.GEN_AI_REQUEST_MODEL
_RESP_MODEL: Final = semconv.GEN_AI_RESPONSE_MODEL
_IN_TOKENS: Final = semconv.GEN_AI_USAGE_INPUT_TOKENS
_OUT_TOKENS: Final = semconv.GEN_AI_USAGE_OUTPUT_TOKENS
_CACHE_READ: Final = semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS
_CACHE_CREATION: Final = semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS
_REASONING: Final = semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS
_TTFT: Final = semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK
_FINISH: Final = semconv.GEN_AI_RESPONSE_FINISH_REASONS
_USAGE_MISSING: Final = semconv.USAGE_MISSING
_PROVIDER: Final = semconv.GEN_AI_PROVIDER_NAME
_ERROR_TYPE: Final = semconv.ERROR_TYPE
_USAGE_KINDS: Final = semconv.USAGE_SPAN_KINDS
_USER_KEYS: Final = semconv.USER_ID_KEYS


def _int_or_none(value: Any) -> int | None:
    if value is None or type(value) is int:
        return value
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float_or_none(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _str_or_none(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    return str(value)


def _first(get: Callable[[str], Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = get(key)
        if value is not None and value != "":
            return value if isinstance(value, str) else str(value)
    return None


def _plain(value: Any) -> Any:
    # Attribute sequences are tuples in the SDK; lists keep the record JSON-shaped.
    return list(value) if isinstance(value, tuple) else value


class Converter:
    """Converts spans; one per worker thread (its resource cache is not locked)."""

    def __init__(self) -> None:
        self._resource_cache: dict[int, tuple[Any, dict[str, Any], str | None]] = {}

    def _resource(self, span: ReadableSpan) -> tuple[dict[str, Any], str | None]:
        resource = span.resource
        key = id(resource)
        hit = self._resource_cache.get(key)
        # The cached entry keeps the resource alive, so its id cannot be reused by another object.
        if hit is not None and hit[0] is resource:
            return hit[1], hit[2]
        attrs = {k: _plain(v) for k, v in resource.attributes.items()} if resource is not None else {}
        service = _str_or_none(attrs.get(semconv.SERVICE_NAME))
        if len(self._resource_cache) > 64:
            self._resource_cache.clear()
        self._resource_cache[key] = (resource, attrs, service)
        return attrs, service

    def convert(self, span: ReadableSpan) -> SpanRecord:
        return SpanRecord(*self.values(span))

    def values(self, span: ReadableSpan, copy_attributes: bool = True) -> tuple[Any, ...]:
        """The ``SpanRecord`` field values, in field order (the sqlite sink's fast path skips the
        record object: building a frozen dataclass costs about as much as the rest together).

        ``copy_attributes=False`` hands out the finished span's own attribute mapping (sequences
        still tuples) for callers that only serialise it, such as the sqlite sink."""
        ctx = span.context
        parent = span.parent
        raw = getattr(span, "_attributes", None)
        raw = getattr(raw, "_dict", raw)  # BoundedAttributes wraps a plain dict; iterate that directly
        if raw is None:
            raw = span.attributes or {}
        if copy_attributes:
            attrs: dict[str, Any] = {k: (list(v) if type(v) is tuple else v) for k, v in raw.items()}
        else:
            attrs = raw
        get = attrs.get
        resource, service = self._resource(span)
        status = span.status
        operation = get(_OP)
        if operation is not None and type(operation) is not str:
            operation = str(operation)
        span_kind = get(_ARMS_KIND)
        if span_kind is None:
            if operation is not None:
                span_kind = _INFERRED_KINDS.get(operation)
        elif type(span_kind) is not str:
            span_kind = str(span_kind)
        request_model = _str_or_none(get(_REQ_MODEL))
        response_model = _str_or_none(get(_RESP_MODEL))
        input_tokens = _int_or_none(get(_IN_TOKENS))
        output_tokens = _int_or_none(get(_OUT_TOKENS))
        missing_flag = get(_USAGE_MISSING)
        if missing_flag is None:
            # Another instrumentation's LLM span without usage: unknown, and flagged as such.
            usage_missing = span_kind in _USAGE_KINDS and input_tokens is None and output_tokens is None
        else:
            usage_missing = bool(missing_flag)
        finish = get(_FINISH)
        if finish is None:
            finish_reasons: tuple[str, ...] = ()
        elif isinstance(finish, (list, tuple)):
            finish_reasons = tuple(str(f) for f in finish)
        else:
            finish_reasons = (str(finish),)
        events: tuple[dict[str, Any], ...] = ()
        if getattr(span, "_events", True):
            events = tuple(
                {
                    "name": e.name,
                    "time_ns": e.timestamp,
                    "attributes": {k: _plain(v) for k, v in (e.attributes or {}).items()},
                }
                for e in span.events
            )
        start_ns = span.start_time or 0
        scope = span.instrumentation_scope
        return (
            format(ctx.trace_id, "032x"),
            format(ctx.span_id, "016x"),
            format(parent.span_id, "016x") if parent is not None else None,
            span.name,
            _KIND_NAMES.get(span.kind, "INTERNAL"),
            start_ns,
            span.end_time or start_ns,
            _STATUS_NAMES.get(status.status_code, "UNSET"),
            status.description or None,
            service,
            scope.name if scope is not None else None,
            _first(get, _SESSION_KEYS),
            _first(get, _USER_KEYS),
            span_kind,
            operation,
            _str_or_none(get(_PROVIDER)),
            request_model,
            response_model,
            request_model if request_model is not None else response_model,
            _str_or_none(get(_ERROR_TYPE)),
            input_tokens,
            output_tokens,
            _int_or_none(get(_CACHE_READ)),
            _int_or_none(get(_CACHE_CREATION)),
            _int_or_none(get(_REASONING)),
            _float_or_none(get(_TTFT)),
            finish_reasons,
            usage_missing,
            attrs,
            resource,
            events,
        )


def to_record(span: ReadableSpan) -> SpanRecord:
    """Convert one span (convenience for tests and one-off use; workers keep a ``Converter``)."""
    return Converter().convert(span)
