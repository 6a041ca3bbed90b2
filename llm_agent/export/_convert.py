"""Finished OpenTelemetry span -> ``SpanRecord``.

Runs on a backend's worker thread, never the app's, but it is still the per-span cost of the
whole pipeline (the sink's throughput target is 60k spans/s on two cores), so it reads the SDK
span's attributes once, copies nothing twice and caches what spans share (the resource).  Which
attribute becomes which field, and how, is the field table's (``_fields.FIELDS``); ``values`` is
generated from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan

from llm_agent import semconv
from llm_agent.backends._types import SpanRecord
from llm_agent.export import _fields

# Re-exported: the metrics reader infers span kinds the same way.
_INFERRED_KINDS: Final = _fields._INFERRED_KINDS
#: Resources cached per converter; more than this many distinct ones (rare) start the cache afresh.
_RESOURCE_CACHE_MAX: Final = 64


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
        attrs = {k: _fields._plain(v) for k, v in resource.attributes.items()} if resource is not None else {}
        service = _fields._str_or_none(attrs.get(semconv.SERVICE_NAME))
        if len(self._resource_cache) > _RESOURCE_CACHE_MAX:
            self._resource_cache.clear()
        self._resource_cache[key] = (resource, attrs, service)
        return attrs, service

    def convert(self, span: ReadableSpan) -> SpanRecord:
        return SpanRecord(*self.values(span))

    #: ``values(span, copy_attributes=True)``: the ``SpanRecord`` field values, in field order (the
    #: sqlite sink's fast path skips the record object: building a frozen dataclass costs about as
    #: much as the rest together).  ``copy_attributes=False`` hands out the finished span's own
    #: attribute mapping (sequences still tuples) for callers that only serialise it.
    values: Callable[..., tuple[Any, ...]] = _fields.record_values_function()


def to_record(span: ReadableSpan) -> SpanRecord:
    """Convert one span (convenience for tests and one-off use; workers keep a ``Converter``)."""
    return Converter().convert(span)
