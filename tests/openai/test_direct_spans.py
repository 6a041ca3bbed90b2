"""The direct span path (instrumentation/_direct_spans.py) exports exactly what the SDK path exports.

Every scenario runs twice under the same deterministic IDs and clocks: once with the direct span path
and once with ``LLM_AGENT_DIRECT_SPANS=false`` (the SDK's ``start_span``); the spans are compared in
their OTLP protobuf encoding, i.e. as a collector would receive them.  Then the cases where the
direct span path must step aside: the app's own span processor, a non-default sampler, span limits.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import openai
import pytest
from google.protobuf.json_format import MessageToDict
from opentelemetry import context as otel_context
from opentelemetry import trace as trace_api
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState

import llm_agent
from llm_agent import _state
from llm_agent.instrumentation import _call, _direct_spans, _stream
from llm_agent.testing import capture_spans, deterministic_ids
from tests.openai.conftest import MockAPI, chat_body, chat_chunks


class Collecting(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def _api() -> MockAPI:
    api = MockAPI().json("/chat/completions", chat_body())
    api.routes["/embeddings"] = (
        400,
        b'{"error": {"message": "bad input", "type": "invalid_request_error"}}',
        "application/json",
    )
    return api


def _remote_parent(sampled: bool) -> otel_context.Context:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    parent = SpanContext(0xABC, 0xDEF, is_remote=True, trace_flags=flags, trace_state=TraceState([("vendor", "v1")]))
    return trace_api.set_span_in_context(NonRecordingSpan(parent))


def scenario(client: Any, stream_client: Any) -> None:
    with llm_agent.session("sess-1", user_id="alice"):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], seed=3, stop=["x", "y"], temperature=0.5
        )
        with llm_agent.trace("turn"):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "again"}])
            with pytest.raises(openai.BadRequestError):
                client.embeddings.create(model="text-embedding-3-small", input="x")
    stream = stream_client.chat.completions.create(model="gpt-4o", messages=[], stream=True)
    for _ in stream:
        pass
    for sampled in (True, False):
        token = otel_context.attach(_remote_parent(sampled))
        try:
            client.chat.completions.create(model="gpt-4o-mini", messages=[])
        finally:
            otel_context.detach(token)


def run(
    monkeypatch: pytest.MonkeyPatch,
    direct: bool,
    body: Callable[[Any, Any], None] = scenario,
    tamper: Callable[[Any], None] | None = None,
) -> list[dict]:
    """The scenario's spans, OTLP-encoded; ``tamper(tracer)`` may change the SDK's tracer first
    (then the direct span path is expected to step aside)."""
    monkeypatch.setenv("LLM_AGENT_DIRECT_SPANS", "true" if direct else "false")
    wall = itertools.count(1_700_000_000_000_000_000, 1_000_000)
    perf = itertools.count(10_000_000, 250_000)
    monkeypatch.setattr(sdk_trace, "time_ns", lambda: next(wall))
    monkeypatch.setattr(_stream, "_now", lambda: next(perf))
    monkeypatch.setattr(_call, "_now", lambda: next(perf))
    exporter = Collecting()
    stream_api = MockAPI().stream("/chat/completions", chat_chunks())
    with capture_spans(backends=[exporter], instrument=["openai"]) as capture, deterministic_ids():
        if tamper is not None:
            tamper(_state.get_tracer())
        scenario_client, stream_client = _api().client(), stream_api.client()
        body(scenario_client, stream_client)
        capture.agent.flush(10.0)
        used_plan = _direct_spans._cache is not None and _direct_spans._cache[2] is not None
    assert used_plan is (direct and tamper is None)
    spans = sorted(exporter.spans, key=lambda s: s.context.span_id)
    return [MessageToDict(encode_spans([s])) for s in spans]


def test_direct_path_exports_what_the_sdk_exports(monkeypatch: pytest.MonkeyPatch) -> None:
    sdk = run(monkeypatch, direct=False)
    direct = run(monkeypatch, direct=True)
    # 3 chat calls in a session (+ the trace's CHAIN span), a failed embeddings call, a stream,
    # a call under a sampled remote parent; the call under a non-sampled parent records nothing.
    assert len(sdk) == 6
    assert direct == sdk
    names = [d["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["name"] for d in direct]
    assert sorted(names) == sorted(
        [
            "chat gpt-4o-mini",
            "chat gpt-4o-mini",
            "turn",
            "embeddings text-embedding-3-small",
            "chat gpt-4o",
            "chat gpt-4o-mini",
        ]
    )


def test_clean_attributes_follows_the_sdk_rules() -> None:
    odd: list[dict[str, Any]] = [
        {"a": "x", "b": 1, "c": 1.5, "d": True},
        {"list": ["a", "b"], "tuple": (1, 2), "with_none": ["a", None]},
        {"mixed": ["a", 1]},
        {"nested": [["a"]]},
        {"dict": {"k": "v"}},
        {"none": None},
        {"bytes": b"raw"},
        {"empty": []},
    ]
    for attrs in odd:
        expected = dict(BoundedAttributes(None, dict(attrs), immutable=False))
        assert dict(_direct_spans.clean_attributes(dict(attrs), None)) == expected, attrs
    many = {f"k{i}": i for i in range(10)}
    cleaned = _direct_spans.clean_attributes(dict(many), 4)
    assert dict(cleaned) == dict(BoundedAttributes(4, dict(many), immutable=False))


class RecordingProcessor(SpanProcessor):
    def __init__(self) -> None:
        self.started: list[Any] = []
        self.ended: list[ReadableSpan] = []

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.started.append(span)

    def on_end(self, span: ReadableSpan) -> None:
        self.ended.append(span)


def test_an_app_processor_sees_real_sdk_spans(api: MockAPI) -> None:
    api.json("/chat/completions", chat_body())
    mine = RecordingProcessor()
    with capture_spans(instrument=["openai"]) as capture:
        active = capture.agent.tracer_provider._active_span_processor
        before = active._span_processors
        active.add_span_processor(mine)
        try:
            api.client().chat.completions.create(model="gpt-4o-mini", messages=[])
            record = capture.one()
            assert _direct_spans._cache is not None and _direct_spans._cache[2] is None  # the SDK path was taken
        finally:
            # the SDK cannot remove a processor; the process-wide provider must not keep this one
            active._span_processors = before
    assert [type(s) for s in mine.started] == [sdk_trace._Span]
    assert [s.name for s in mine.ended] == ["chat gpt-4o-mini"]
    assert record.input_tokens == 10


def test_plans_step_aside_for_samplers_and_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.sdk.trace import SpanLimits, TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, TraceIdRatioBased

    from llm_agent.export import Dispatcher as _Dispatcher

    def plan(**kwargs: Any) -> Any:
        provider = TracerProvider(**kwargs)
        provider.add_span_processor(_Dispatcher())
        return _direct_spans.plan_for(provider.get_tracer("t"), _Dispatcher)

    assert plan() is not None
    assert plan(sampler=ALWAYS_ON) is not None
    assert plan(sampler=ParentBased(ALWAYS_ON)) is not None
    assert plan(sampler=ALWAYS_OFF) is None
    assert plan(sampler=TraceIdRatioBased(0.5)) is None
    assert plan(sampler=ParentBased(ALWAYS_ON, local_parent_not_sampled=ALWAYS_ON)) is None
    assert plan(span_limits=SpanLimits(max_span_attribute_length=10)) is None
    assert plan(span_limits=SpanLimits(max_events=0)) is None
    limited = plan(span_limits=SpanLimits(max_span_attributes=5))
    assert limited is not None and limited.max_attributes == 5
    provider = TracerProvider()
    provider.add_span_processor(_Dispatcher())
    assert _direct_spans.plan_for(provider.get_tracer("t"), _Dispatcher, enabled=False) is None


def test_span_limits_from_the_environment_still_apply(monkeypatch: pytest.MonkeyPatch, api: MockAPI) -> None:
    """A value-length limit takes the SDK path, which truncates; a count limit is applied here."""
    api.json("/chat/completions", chat_body())
    from opentelemetry.sdk.trace import SpanLimits

    limits = SpanLimits(max_span_attributes=3)
    with capture_spans(instrument=["openai"]) as capture:
        tracer = _state.get_tracer()
        monkeypatch.setattr(tracer, "_span_limits", limits)
        api.client().chat.completions.create(model="gpt-4o-mini", messages=[])
        record = capture.one()
    assert len(record.attributes) == 3
