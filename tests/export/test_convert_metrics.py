"""Span -> SpanRecord conversion, and the GenAI metrics recorded from finished spans."""

from __future__ import annotations

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import Event

from llm_agent.backends import SpanRecord
from llm_agent.config import Settings
from llm_agent.export import BatchingProcessor, Pipeline, to_record
from llm_agent.export._metrics import MetricsTarget
from llm_agent.export._processor import DROP_REASONS


def test_llm_span_becomes_a_typed_record(make_span):
    span = make_span(
        trace_id=0xABC,
        span_id=0x12,
        parent_id=0x11,
        start_ns=1_000,
        duration_ns=2_500,
        error="Rate limited",
        events=(Event("gen_ai.choice", {"index": 0}, timestamp=2_000),),
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.response.model": "gpt-4o-2024-08-06",
            "gen_ai.usage.input_tokens": 11,
            "gen_ai.usage.output_tokens": 7,
            "gen_ai.usage.cache_read.input_tokens": 3,
            "gen_ai.usage.reasoning.output_tokens": 2,
            "gen_ai.response.time_to_first_chunk": 0.5,
            "gen_ai.response.finish_reasons": ("stop", "length"),
            "gen_ai.session.id": "sess-1",
            "enduser.id": "alice",
            "error.type": "openai.RateLimitError",
        },
    )
    record = to_record(span)
    assert record == SpanRecord(
        trace_id="00000000000000000000000000000abc",
        span_id="0000000000000012",
        parent_span_id="0000000000000011",
        name="chat gpt-4o",
        kind="CLIENT",
        start_ns=1_000,
        end_ns=3_500,
        status="ERROR",
        status_message="Rate limited",
        service_name="svc-test",
        scope_name="llm_agent",
        session_id="sess-1",
        user_id="alice",
        span_kind="LLM",
        operation="chat",
        provider="openai",
        request_model="gpt-4o",
        response_model="gpt-4o-2024-08-06",
        model="gpt-4o",
        error_type="openai.RateLimitError",
        input_tokens=11,
        output_tokens=7,
        cache_read_tokens=3,
        reasoning_tokens=2,
        ttft_s=0.5,
        finish_reasons=("stop", "length"),
        usage_missing=False,
        attributes={**dict(span.attributes), "gen_ai.response.finish_reasons": ["stop", "length"]},
        resource=dict(span.resource.attributes),
        events=({"name": "gen_ai.choice", "time_ns": 2_000, "attributes": {"index": 0}},),
    )
    assert record.duration_ns == 2_500


def test_kind_inference_model_fallback_and_unknown_usage(make_span):
    emb = to_record(make_span(attributes={"gen_ai.operation.name": "embeddings", "gen_ai.response.model": "m-1"}))
    assert (emb.span_kind, emb.model, emb.request_model, emb.usage_missing) == ("EMBEDDING", "m-1", None, True)
    assert (emb.input_tokens, emb.output_tokens) == (None, None)  # unknown, not zero
    text = to_record(make_span(attributes={"gen_ai.operation.name": "text_completion", "gen_ai.usage.input_tokens": 4}))
    assert (text.span_kind, text.usage_missing, text.input_tokens) == ("LLM", False, 4)
    plain = to_record(make_span("GET /", attributes={"http.method": "GET", "gen_ai.conversation.id": "c-9"}))
    assert (plain.span_kind, plain.usage_missing, plain.session_id, plain.user_id) == (None, False, "c-9", None)
    both = to_record(make_span(attributes={"session.id": "a", "gen_ai.session.id": "b", "user.id": "u",
                                           "gen_ai.user.id": "v"}))  # fmt: skip
    assert (both.session_id, both.user_id) == ("a", "u")


def _points(reader: InMemoryMetricReader) -> dict[str, list]:
    out: dict[str, list] = {}
    for rm in reader.get_metrics_data().resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                out[m.name] = [
                    (dict(p.attributes), p.count, p.sum, tuple(p.explicit_bounds)) for p in m.data.data_points
                ]
    return out


def test_metrics_recorded_for_llm_spans_without_session_or_user(make_span, llm_attrs):
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    processor = BatchingProcessor(
        MetricsTarget(provider), max_queue_size=100, max_export_batch_size=10, schedule_delay_s=0.05,
        retry_max_time_s=1.0,
    )  # fmt: skip
    attrs = llm_attrs(session="s", user="alice", **{"server.address": "api.openai.com",
                                                    "gen_ai.response.time_to_first_chunk": 0.2})  # fmt: skip
    processor.on_end(make_span(duration_ns=1_500_000_000, attributes=attrs))
    processor.on_end(make_span("GET /", attributes={"http.method": "GET"}))  # not an LLM call: no metrics
    assert processor.force_flush(5000)
    processor.shutdown(2.0)
    labels = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
              "gen_ai.request.model": "gpt-4o", "server.address": "api.openai.com"}  # fmt: skip
    from llm_agent import semconv

    points = _points(reader)
    assert points["gen_ai.client.operation.duration"] == [(labels, 1, 1.5, semconv.DURATION_BUCKETS_S)]
    assert sorted(points["gen_ai.client.token.usage"], key=lambda p: p[2]) == [
        ({**labels, "gen_ai.token.type": "output"}, 1, 5, semconv.TOKEN_BUCKETS),
        ({**labels, "gen_ai.token.type": "input"}, 1, 10, semconv.TOKEN_BUCKETS),
    ]
    assert points["gen_ai.client.operation.time_to_first_chunk"] == [(labels, 1, 0.2, semconv.DURATION_BUCKETS_S)]


def test_no_meter_provider_no_queueing(make_span, llm_attrs):
    """With the API's placeholder provider the span is not queued at all; an explicit provider is."""
    from opentelemetry import metrics

    from llm_agent.export._metrics import MetricsProcessor

    assert type(metrics.get_meter_provider()).__name__ == "_ProxyMeterProvider"  # none installed here
    options = {"max_queue_size": 100, "max_export_batch_size": 10, "schedule_delay_s": 60.0, "retry_max_time_s": 1.0}
    idle = MetricsProcessor(MetricsTarget(), **options)
    explicit = MetricsProcessor(MetricsTarget(MeterProvider(metric_readers=[InMemoryMetricReader()])), **options)
    try:
        for processor in (idle, explicit):
            processor.on_end(make_span(attributes=llm_attrs()))
        assert idle.stats() == {
            "exported": 0, "dropped": dict.fromkeys(DROP_REASONS, 0), "retried": 0, "queued": 0, "in_flight": 0
        }  # fmt: skip
        assert explicit.stats()["queued"] == 1
    finally:
        idle.shutdown(2.0)
        explicit.shutdown(2.0)


def test_pipeline_always_has_the_metrics_consumer():
    pipeline = Pipeline(Settings(), ["memory"])
    try:
        assert [type(p.target).__name__ for p in pipeline.processors] == ["RecordTarget", "MetricsTarget"]
        assert type(pipeline.processors[-1]).__name__ == "MetricsProcessor"
        assert set(pipeline.stats()) == {"backends", "metrics", "internal_errors"}
    finally:
        pipeline.shutdown(2.0)


_GLOBAL_PROVIDER_APP = """
import sys
sys.path.insert(0, sys.argv[1])
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
import llm_agent
from llm_agent._state import get_tracer

llm_agent.init(backends=["memory"], instrument=[], schedule_delay_s=0.05)
tracer = get_tracer()
with tracer.start_as_current_span("chat m", attributes={"gen_ai.operation.name": "chat"}):
    pass
assert llm_agent.flush(5.0)
before = llm_agent.stats()["metrics"]["exported"]  # no MeterProvider yet: nothing measured
reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
with tracer.start_as_current_span("chat m", attributes={"gen_ai.operation.name": "chat",
                                                       "gen_ai.usage.input_tokens": 3}):
    pass
assert llm_agent.flush(5.0)
names = sorted(m.name for rm in reader.get_metrics_data().resource_metrics
               for sm in rm.scope_metrics for m in sm.metrics)
print(before, llm_agent.stats()["metrics"]["exported"], names)
llm_agent.shutdown()
"""


def test_metrics_start_when_the_app_installs_a_meter_provider():
    import subprocess
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    out = subprocess.run(
        [sys.executable, "-c", _GLOBAL_PROVIDER_APP, root], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out == "0 1 ['gen_ai.client.operation.duration', 'gen_ai.client.token.usage']\n"
