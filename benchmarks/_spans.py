"""Shared by the benchmarks: realistic finished LLM spans, made before the clock starts."""

from __future__ import annotations

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult


class _Keep(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans):  # type: ignore[no-untyped-def]
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


def make_llm_spans(n: int, sessions: int = 100) -> list[ReadableSpan]:
    """``n`` finished chat spans (one trace each, like un-grouped LLM calls) over ``sessions`` sessions."""
    keep = _Keep()
    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
    provider.add_span_processor(SimpleSpanProcessor(keep))
    tracer = provider.get_tracer("llm_agent")
    for i in range(n):
        attrs = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini" if i % 3 else "gpt-4o",
            "gen_ai.response.model": "gpt-4o-mini-2024-07-18" if i % 3 else "gpt-4o-2024-08-06",
            "gen_ai.response.id": f"chatcmpl-{i:012d}",
            "gen_ai.response.finish_reasons": ("stop",),
            "gen_ai.usage.input_tokens": 100 + i % 50,
            "gen_ai.usage.output_tokens": 20 + i % 30,
            "gen_ai.span.kind": "LLM",
            "session.id": f"session-{i % sessions}",
            "gen_ai.session.id": f"session-{i % sessions}",
            "user.id": f"user-{i % 17}",
            "server.address": "api.openai.com",
            "server.port": 443,
        }
        with tracer.start_as_current_span("chat gpt-4o-mini", attributes=attrs):
            pass
    provider.shutdown()
    return keep.spans
