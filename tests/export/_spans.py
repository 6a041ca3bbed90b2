"""Real SDK ``ReadableSpan`` objects with chosen IDs, times and attributes (shared by tests/export and
tests/backends; loaded by their conftest files)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

RESOURCE = Resource.create({"service.name": "svc-test"})
SCOPE = InstrumentationScope("llm_agent", "0.1.0")
_ids = itertools.count(1)


def make_span(
    name: str = "chat gpt-4o",
    *,
    trace_id: int | None = None,
    span_id: int | None = None,
    parent_id: int | None = None,
    start_ns: int | None = None,
    duration_ns: int = 1_000_000,
    attributes: Mapping[str, Any] | None = None,
    error: str | None = None,
    events: tuple[Event, ...] = (),
    kind: SpanKind = SpanKind.CLIENT,
    resource: Resource = RESOURCE,
) -> ReadableSpan:
    span_id = span_id if span_id is not None else next(_ids)
    trace_id = trace_id if trace_id is not None else (1 << 64) + span_id
    start = start_ns if start_ns is not None else time.time_ns()
    ctx = SpanContext(trace_id, span_id, is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    parent = SpanContext(trace_id, parent_id, is_remote=False) if parent_id is not None else None
    status = Status(StatusCode.ERROR, error) if error else Status(StatusCode.UNSET)
    return ReadableSpan(
        name,
        context=ctx,
        parent=parent,
        resource=resource,
        attributes=dict(attributes or {}),
        events=events,
        kind=kind,
        status=status,
        start_time=start,
        end_time=start + duration_ns,
        instrumentation_scope=SCOPE,
    )


def llm_attrs(
    model: str = "gpt-4o",
    input_tokens: int | None = 10,
    output_tokens: int | None = 5,
    session: str | None = None,
    user: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model,
        "gen_ai.span.kind": "LLM",
    }
    if input_tokens is not None:
        attrs["gen_ai.usage.input_tokens"] = input_tokens
    if output_tokens is not None:
        attrs["gen_ai.usage.output_tokens"] = output_tokens
    if session is not None:
        attrs["session.id"] = session
    if user is not None:
        attrs["user.id"] = user
    attrs.update(extra)
    return attrs
