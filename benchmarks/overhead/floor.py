"""The OpenTelemetry SDK's own costs, counted the way instructions.py counts a call (issue 25's floor).

    valgrind --tool=callgrind python benchmarks/overhead/floor.py   (instructions.py --floor runs it)

No llm_agent code: each item is one SDK operation llm_agent (and every peer) performs per call,
repeated n1 then n2 times between callgrind dumps, so that (I(n2) - I(n1)) / (n2 - n1) is its
cost.  Items: one histogram ``record`` with the six low-cardinality attributes of a chat span
(the SDK MeterProvider, a reader that collects only when asked); the same with the token-type
attribute added (a dict merge first); one SDK span with 17 attributes started and ended through
a ``BatchSpanProcessor`` to a discarding exporter, flushed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parent))

import callgrind_marks  # after the path set-up above

N1: Final = 20
N2: Final = 120
LABELS: Final = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "server.address": "fake-openai.test",
}
SPAN_ATTRIBUTES: Final = {
    **LABELS,
    "server.port": 443,
    "gen_ai.request.temperature": 0.2,
    "gen_ai.request.max_tokens": 64,
    "gen_ai.response.id": "chatcmpl-bench0001",
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 24,
    "gen_ai.usage.output_tokens": 19,
    "gen_ai.openai.response.system_fingerprint": "fp_bench",
    "gen_ai.openai.response.service_tier": "default",
    "llm_agent.session.id": "s-1",
    "gen_ai.output.type": "text",
    "gen_ai.request.stream": False,
}


def items() -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """{item: (one operation, the flush after a batch)}."""
    from opentelemetry import metrics
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
    histogram = metrics.get_meter("floor").create_histogram("gen_ai.client.token.usage", unit="{token}")

    class Discard(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard(), schedule_delay_millis=3_600_000))
    tracer = provider.get_tracer("floor")

    def record() -> None:
        histogram.record(24, LABELS)

    def record_typed() -> None:
        histogram.record(24, {**LABELS, "gen_ai.token.type": "input"})

    def span() -> None:
        tracer.start_span("chat gpt-4o-mini", attributes=SPAN_ATTRIBUTES).end()

    def nothing() -> None:
        return None

    def flush() -> None:
        provider.force_flush(60_000)

    return {"histogram record": (record, nothing), "histogram record + dict merge": (record_typed, nothing),
            "SDK span, 17 attributes, batch processor": (span, flush)}  # fmt: skip


def main() -> None:
    done = {}
    for name, (op, flush) in items().items():
        for _ in range(N1):
            op()
        flush()
        callgrind_marks.dump(f"{name}:warm")
        for label, n in (("n1", N1), ("n2", N2)):
            for _ in range(n):
                op()
            flush()
            callgrind_marks.dump(f"{name}:{label}")
        done[name] = [N1, N2]
    print(json.dumps(done))


if __name__ == "__main__":
    main()
