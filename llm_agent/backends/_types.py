"""The stable plug-in contract: ``SpanRecord``, ``ExportResult`` and the ``Backend`` protocol.

A backend receives finished spans as ``SpanRecord`` objects on its own worker thread, in batches.
Records are plain data: every field is JSON-serialisable (``to_dict()``), times are UTC
nanoseconds since the epoch, IDs are lowercase hex.  The typed ``gen_ai`` fields are copies of the
corresponding span attributes (also present in ``attributes``) so a backend never has to know the
attribute names; ``None`` means *unknown*, never zero.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable


class ExportResult(enum.Enum):
    """What a backend reports for one batch."""

    SUCCESS = "success"
    #: Worth trying again (connection error, 408/429/5xx); the pipeline retries with backoff.
    RETRYABLE = "retryable"
    #: Will never succeed (4xx, bad data); the batch is dropped and counted as ``export_failed``.
    FAILURE = "failure"
    #: The batch exceeds the destination's size limit (HTTP 413): the pipeline splits it in halves
    #: and retries; a single record that is still too large is dropped and counted as ``too_large``.
    TOO_LARGE = "too_large"
    #: Some record of the batch cannot be stored (a value outside the destination's range): the
    #: pipeline splits the batch in halves so the other records are stored, and a single record
    #: that is still refused is dropped and counted as ``invalid``.  A backend's ``OverflowError``,
    #: ``ValueError`` or ``TypeError`` from ``export`` is taken to mean the same.
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """Like ``ExportResult.RETRYABLE``, when the destination said how long to wait (``Retry-After``).

    A backend may return this from ``export``; the pipeline waits ``seconds`` (within its bounded
    retry time, cut short by shutdown) before trying the same batch again.
    """

    seconds: float


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """One finished span, flattened for storage and shipping.

    How each field is filled from a span is the field table's (``llm_agent.export._fields``); the
    order here is the record's own (positional construction, ``to_dict()``) and does not change.
    """

    trace_id: str  # 32 hex chars
    span_id: str  # 16 hex chars
    parent_span_id: str | None
    name: str
    kind: str  # OTel span kind: "INTERNAL", "CLIENT", "SERVER", "PRODUCER", "CONSUMER"
    start_ns: int
    end_ns: int
    status: str  # "UNSET", "OK", "ERROR"
    status_message: str | None = None
    service_name: str | None = None
    scope_name: str | None = None
    # session / user, resolved from any common attribute convention (semconv.SESSION_ID_KEYS ...)
    session_id: str | None = None
    user_id: str | None = None
    # gen_ai.span.kind ("LLM", "EMBEDDING", "CHAIN", "TOOL", ...) or None for non-GenAI spans
    span_kind: str | None = None
    operation: str | None = None  # gen_ai.operation.name
    provider: str | None = None  # gen_ai.provider.name
    request_model: str | None = None
    response_model: str | None = None
    #: The model name analysis groups by: request model, else response model.
    model: str | None = None
    error_type: str | None = None  # error.type
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_creation_tokens: int | None = None
    reasoning_tokens: int | None = None
    ttft_s: float | None = None  # gen_ai.response.time_to_first_chunk
    finish_reasons: tuple[str, ...] = ()
    usage_missing: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)
    resource: dict[str, Any] = field(default_factory=dict)
    events: tuple[dict[str, Any], ...] = ()

    @property
    def duration_ns(self) -> int:
        return self.end_ns - self.start_ns

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (the ``http`` and ``console`` backends' wire format)."""
        d = asdict(self)
        d["finish_reasons"] = list(self.finish_reasons)
        d["events"] = list(self.events)
        return d


@runtime_checkable
class Backend(Protocol):
    """A destination for finished spans.

    ``export`` is called from one worker thread per backend, never concurrently with itself, and
    never from the application's thread.  It must not raise for expected failures: return
    ``ExportResult.RETRYABLE`` or ``ExportResult.FAILURE`` instead (an exception is counted as
    ``export_failed`` and logged at a limited rate).
    """

    def export(self, records: Sequence[SpanRecord]) -> ExportResult | RetryAfter: ...

    def flush(self, timeout_s: float) -> bool: ...

    def shutdown(self, timeout_s: float) -> None: ...
