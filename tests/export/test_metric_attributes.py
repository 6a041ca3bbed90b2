"""Each GenAI metric with exactly the attributes the conventions list for it, the time per output
chunk, the opt-in's token counters and the ARMS agent's metrics; recorded through a real SDK
MeterProvider from real ReadableSpans."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from llm_agent import semconv
from llm_agent._stability import latest_gen_ai
from llm_agent.export._metrics import MetricsTarget
from tests.export._spans import make_span

#: An OpenAI chat span with everything a metric could be tempted to copy.
SPAN_ATTRS: dict[str, Any] = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.span.kind": "LLM",
    "server.address": "api.openai.com",
    "server.port": 443,
    "openai.api.type": "chat_completions",
    "openai.response.service_tier": "default",
    "openai.response.system_fingerprint": "fp_1",
    "gen_ai.request.temperature": 0.5,
    "gen_ai.response.id": "chatcmpl-1",
    "gen_ai.usage.input_tokens": 10,
    "gen_ai.usage.output_tokens": 4,
    "gen_ai.usage.cache_read.input_tokens": 2,
    "gen_ai.usage.reasoning.output_tokens": 1,
    "gen_ai.response.time_to_first_chunk": 0.25,
    "llm_agent.stream.chunks": 4,
    "llm_agent.stream.time_per_output_chunk": 0.5,
    "session.id": "s",
    "user.id": "alice",
    "gen_ai.session.id": "s",
    "gen_ai.user.id": "alice",
}
BASE = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "server.address": "api.openai.com",
    "server.port": 443,
}
OPENAI = {**BASE, "openai.response.service_tier": "default", "openai.response.system_fingerprint": "fp_1"}


def _record(attrs: dict[str, Any], duration_ns: int = 1_500_000_000, **options: Any) -> dict[str, list[Any]]:
    reader = InMemoryMetricReader()
    target = MetricsTarget(MeterProvider(metric_readers=[reader]), **options)
    target.record(make_span(duration_ns=duration_ns, attributes=attrs))
    out: dict[str, list[Any]] = {}
    data = reader.get_metrics_data()
    for rm in data.resource_metrics if data is not None else ():
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                points = []
                for p in m.data.data_points:
                    value = (p.count, p.sum) if hasattr(p, "count") else p.value
                    points.append((dict(p.attributes), value))
                out[m.name] = sorted(points, key=repr)
    return out


def test_each_metric_has_the_attributes_the_conventions_list() -> None:
    points = _record({**SPAN_ATTRS, "error.type": "openai.APITimeoutError"}, latest=False)
    error = {"error.type": "openai.APITimeoutError"}
    assert points == {
        # duration: the common attributes, error.type, and OpenAI's refinement
        "gen_ai.client.operation.duration": [({**OPENAI, **error}, (1, 1.5))],
        # tokens: the common attributes, the token type and OpenAI's refinement; no error.type
        "gen_ai.client.token.usage": sorted(
            [({**OPENAI, "gen_ai.token.type": "input"}, (1, 10)), ({**OPENAI, "gen_ai.token.type": "output"}, (1, 4))],
            key=repr,
        ),
        # the streaming metrics: the common attributes only
        "gen_ai.client.operation.time_to_first_chunk": [(BASE, (1, 0.25))],
        # one value per stream: its mean gap between chunks after the first
        "gen_ai.client.operation.time_per_output_chunk": [(BASE, (1, 0.5))],
    }


def test_other_providers_get_no_openai_refinement_and_no_port_without_address() -> None:
    attrs = {k: v for k, v in SPAN_ATTRS.items() if k != "server.address"}
    attrs["gen_ai.provider.name"] = "deepseek"
    del attrs["llm_agent.stream.time_per_output_chunk"]  # a stream closed early: no time per chunk
    points = _record(attrs, latest=False)
    base = {k: v for k, v in BASE.items() if not k.startswith("server.")} | {"gen_ai.provider.name": "deepseek"}
    assert points["gen_ai.client.operation.duration"] == [(base, (1, 1.5))]
    assert points["gen_ai.client.token.usage"][0][0] == {**base, "gen_ai.token.type": "input"}
    assert "gen_ai.client.operation.time_per_output_chunk" not in points


def test_opt_in_replaces_the_token_histogram_with_the_token_counters() -> None:
    points = _record(SPAN_ATTRS, latest=True)
    assert "gen_ai.client.token.usage" not in points
    unknown = {"gen_ai.token.modality": "unknown"}
    assert points["gen_ai.client.inference.tokens"] == sorted(
        [
            ({**OPENAI, "gen_ai.token.type": "input", **unknown}, 10),
            ({**OPENAI, "gen_ai.token.type": "output", **unknown}, 4),
        ],
        key=repr,
    )
    # the cache parts sum to the input count, the phases to the output count
    assert points["gen_ai.client.inference.input_tokens_by_cache"] == sorted(
        [({**OPENAI, "gen_ai.token.cache": "none"}, 8), ({**OPENAI, "gen_ai.token.cache": "read"}, 2)], key=repr
    )
    assert points["gen_ai.client.inference.output_tokens_by_phase"] == sorted(
        [({**OPENAI, "gen_ai.token.phase": "response"}, 3), ({**OPENAI, "gen_ai.token.phase": "reasoning"}, 1)],
        key=repr,
    )
    assert points["gen_ai.client.operation.duration"] == [(OPENAI, (1, 1.5))]


def test_opt_in_records_no_breakdown_the_provider_did_not_report() -> None:
    attrs = {k: v for k, v in SPAN_ATTRS.items() if "cache" not in k and "reasoning" not in k}
    points = _record(attrs, latest=True)
    assert "gen_ai.client.inference.input_tokens_by_cache" not in points
    assert "gen_ai.client.inference.output_tokens_by_phase" not in points
    assert len(points["gen_ai.client.inference.tokens"]) == 2


def test_arms_metrics_with_arms_compat() -> None:
    points = _record({**SPAN_ATTRS, "error.type": "openai.APITimeoutError"}, duration_ns=4_000_000_000,
                     latest=False, arms=True)  # fmt: skip
    labels = {"spanKind": "LLM", "modelName": "gpt-4o"}
    arms = {name: value for name, value in points.items() if name.startswith("genai_")}
    assert arms == {
        "genai_calls_count": [(labels, 1)],
        "genai_calls_error_count": [(labels, 1)],
        "genai_calls_slow_count": [(labels, 1)],  # 4 s > the ARMS agent's 3 s threshold
        "genai_calls_duration_seconds": [(labels, (1, 4.0))],
        "genai_llm_first_token_seconds": [(labels, (1, 0.25))],
        "genai_llm_usage_tokens": sorted(
            [({**labels, "usageType": "input"}, 10), ({**labels, "usageType": "output"}, 4)], key=repr
        ),
    }
    assert not any(name.startswith("genai_") for name in _record(SPAN_ATTRS, latest=False))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        ("", False),
        ("gen_ai_latest_experimental", True),
        ("http, gen_ai_latest_experimental ", True),
        ("database,http", False),
        ("GEN_AI_LATEST_EXPERIMENTAL", False),  # matched exactly, as opentelemetry-instrumentation does
    ],
)
def test_the_opt_in_is_read_from_its_standard_variable(value: str | None, expected: bool) -> None:
    environ = {} if value is None else {semconv.STABILITY_OPT_IN_ENV: value}
    assert latest_gen_ai(environ) is expected
