"""Our own metric aggregation (``_metric_store`` via ``_metric_hook``) against the SDK's instruments:
the same spans recorded through both paths, collected by real ``InMemoryMetricReader``s at the
same points, give the same metrics — names, units, descriptions, scope, attributes, bucket
boundaries, temporality and values — for cumulative and delta readers, every metric set (the
released conventions, the opt-in's counters, ARMS) and past the cardinality limit.  And the rule
which path is taken."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View

from llm_agent.export import _metric_hook
from llm_agent.export._metrics import MetricsTarget
from tests.export._spans import make_span

_CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.span.kind": "LLM",
    "server.address": "api.openai.com",
    "server.port": 443,
    "openai.response.service_tier": "default",
    "openai.response.system_fingerprint": "fp_1",
    "gen_ai.usage.input_tokens": 10,
    "gen_ai.usage.output_tokens": 4,
    "gen_ai.usage.cache_read.input_tokens": 2,
    "gen_ai.usage.reasoning.output_tokens": 1,
    "session.id": "s",
}
_STREAM = {
    **_CHAT,
    "gen_ai.provider.name": "anthropic",
    "gen_ai.request.model": "claude-x",
    "gen_ai.response.model": "claude-x-1",
    "gen_ai.usage.input_tokens": 1200,
    "gen_ai.usage.output_tokens": 0,  # a zero is a count (histogram) but adds nothing (counters)
    "gen_ai.response.time_to_first_chunk": 0.3,
    "llm_agent.stream.time_per_output_chunk": 0.02,
}
_ERROR = {**_CHAT, "error.type": "openai.RateLimitError", "gen_ai.usage.input_tokens": None}
_EMBEDDINGS = {
    "gen_ai.operation.name": "embeddings",
    "gen_ai.provider.name": "ollama",
    "gen_ai.request.model": "nomic",
    "gen_ai.usage.input_tokens": 7,
}
_TOOL = {"gen_ai.operation.name": "execute_tool", "gen_ai.span.kind": "TOOL"}  # not measured
#: (attributes, duration in ns): a slow call (ARMS's slow-call threshold is 3 s) among them.
CALLS: list[tuple[dict[str, Any], int]] = [
    (_CHAT, 1_500_000_000),
    (_STREAM, 4_200_000_000),
    (_ERROR, 20_000_000),
    (_EMBEDDINGS, 80_000_000),
    (_TOOL, 1_000_000),
    ({**_CHAT, "gen_ai.request.model": "gpt-4o-mini"}, 700_000_000),
]
DELTA = {Histogram: AggregationTemporality.DELTA, Counter: AggregationTemporality.DELTA}
#: A view that matches none of our instruments: the SDK's output is unchanged, but it sends
#: ``MetricsTarget`` down the SDK path (views configured), so both paths can be compared.
_NO_MATCH = View(instrument_name="no.such.instrument")


def _shape(data: Any) -> list[Any]:
    """Everything a collection says about our scope, except the clock readings (checked apart)."""
    out = []
    for rm in data.resource_metrics if data is not None else ():
        for sm in rm.scope_metrics:
            if sm.scope.name != "llm_agent":
                continue
            for m in sm.metrics:
                points = []
                for p in m.data.data_points:
                    fields = {k: v for k, v in vars(p).items() if k not in ("start_time_unix_nano", "time_unix_nano")}
                    fields["attributes"] = dict(p.attributes)
                    assert p.start_time_unix_nano <= p.time_unix_nano
                    points.append(fields)
                temporality = m.data.aggregation_temporality
                monotonic = getattr(m.data, "is_monotonic", None)
                out.append((rm.resource, sm.scope, sm.schema_url, m.name, m.unit, m.description, temporality, monotonic,
                            type(m.data).__name__, points))  # fmt: skip
    return out


def _pair(reader_options: dict[str, Any], **options: Any) -> tuple[Any, Any]:
    """(fast, sdk): each a (target, reader), the same options."""
    fast_reader, sdk_reader = InMemoryMetricReader(**reader_options), InMemoryMetricReader(**reader_options)
    fast = MetricsTarget(MeterProvider(metric_readers=[fast_reader]), **options)
    sdk = MetricsTarget(MeterProvider(metric_readers=[sdk_reader], views=[_NO_MATCH]), **options)
    return (fast, fast_reader), (sdk, sdk_reader)


def _run(batches: list[list[tuple[dict[str, Any], int]]], reader_options: dict[str, Any], **options: Any) -> None:
    """Each batch recorded through both paths, then both readers collect: equal every time."""
    (fast, fast_reader), (sdk, sdk_reader) = _pair(reader_options, **options)
    for batch in batches:
        for target in (fast, sdk):
            target.export([make_span(attributes=a, duration_ns=d) for a, d in batch if a is not _TOOL])
        assert _shape(fast_reader.get_metrics_data()) == _shape(sdk_reader.get_metrics_data())
    if any(a is not _TOOL for batch in batches for a, _ in batch):  # the path is chosen at the first span
        assert (fast.fallback_reason, sdk.fallback_reason) == (None, "views configured")


@pytest.mark.parametrize("temporality", ["cumulative", "delta"])
@pytest.mark.parametrize(
    "options", [{}, {"arms": True}, {"latest": True}, {"arms": True, "latest": True}], ids=repr
)
def test_both_paths_export_the_same_metrics(temporality: str, options: dict[str, Any]) -> None:
    reader_options = {"preferred_temporality": DELTA} if temporality == "delta" else {}
    options.setdefault("latest", False)
    # a second collection with new calls, one with none, then old series again
    _run([CALLS, CALLS[:2], [], CALLS[2:]], reader_options, **options)


def test_the_compared_data_is_not_empty() -> None:
    (fast, reader), _ = _pair({}, arms=True, latest=False)
    fast.export([make_span(attributes=_STREAM, duration_ns=4_200_000_000)])
    shape = {row[3]: row[-1] for row in _shape(reader.get_metrics_data())}
    assert shape["gen_ai.client.operation.duration"] == [
        {
            "attributes": {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "anthropic",
                "gen_ai.request.model": "claude-x",
                "gen_ai.response.model": "claude-x-1",
                "server.address": "api.openai.com",
                "server.port": 443,
            },
            "count": 1,
            "sum": 4.2,
            "bucket_counts": (0,) * 9 + (1,) + (0,) * 5,  # 2.56 < 4.2 <= 5.12
            "explicit_bounds": (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92),
            "min": 4.2,
            "max": 4.2,
            "exemplars": [],
        }
    ]
    assert list(shape) == [  # in the order of their first record, as the SDK's
        "gen_ai.client.operation.duration",
        "gen_ai.client.token.usage",
        "gen_ai.client.operation.time_to_first_chunk",
        "gen_ai.client.operation.time_per_output_chunk",
        "genai_calls_count",
        "genai_calls_duration_seconds",
        "genai_calls_slow_count",
        "genai_llm_usage_tokens",
        "genai_llm_first_token_seconds",
    ]


@pytest.mark.parametrize("temporality", ["cumulative", "delta"])
def test_past_the_cardinality_limit_both_paths_overflow_alike(temporality: str) -> None:
    reader_options: dict[str, Any] = {"cardinality_limits": {Histogram: 3, Counter: 2}}
    if temporality == "delta":
        reader_options["preferred_temporality"] = DELTA
    models = [({**_CHAT, "gen_ai.request.model": f"m-{i}"}, 10_000_000 * (i + 1)) for i in range(6)]
    _run([models, models[4:], models[:2]], reader_options, arms=True, latest=False)


@settings(max_examples=25, deadline=None)
@given(
    batches=st.lists(st.lists(st.sampled_from(CALLS), max_size=5), min_size=1, max_size=4),
    delta=st.booleans(),
)
def test_any_sequence_of_calls_and_collections_gives_the_same_metrics(batches: list[Any], delta: bool) -> None:
    _run(batches, {"preferred_temporality": DELTA} if delta else {}, arms=True, latest=False)


def test_a_reader_added_later_is_served_from_then_on() -> None:
    first, second = InMemoryMetricReader(), InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[first])
    target = MetricsTarget(provider, latest=False)
    target.export([make_span(attributes=_CHAT)])
    provider.add_metric_reader(second)
    target.export([make_span(attributes=_EMBEDDINGS)])

    def models(reader: InMemoryMetricReader) -> list[str]:
        (duration,) = [m for m in _shape(reader.get_metrics_data()) if m[3] == "gen_ai.client.operation.duration"]
        return [p["attributes"]["gen_ai.request.model"] for p in duration[-1]]

    assert (models(first), models(second)) == (["gpt-4o", "nomic"], ["nomic"])
    provider.remove_metric_reader(second)
    target.export([make_span(attributes=_CHAT)])
    assert models(first) == ["gpt-4o", "nomic"]
    assert target._hook is not None and [r for r, _ in target._hook.store._readers.values()] == [first]


def test_the_apps_own_metrics_and_ours_share_one_resource_entry() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    provider.get_meter("app").create_counter("app.requests").add(3)
    MetricsTarget(provider, latest=False).export([make_span(attributes=_CHAT)])
    (rm,) = reader.get_metrics_data().resource_metrics
    assert [(sm.scope.name, [m.name for m in sm.metrics]) for sm in rm.scope_metrics] == [
        ("app", ["app.requests"]),
        ("llm_agent", ["gen_ai.client.operation.duration", "gen_ai.client.token.usage"]),
    ]


@pytest.mark.parametrize(
    ("provider", "reason"),
    [
        (lambda: MeterProvider(metric_readers=[InMemoryMetricReader()]), None),
        (lambda: MeterProvider(), None),
        (lambda: MeterProvider(views=[_NO_MATCH]), "views configured"),
        (lambda: MeterProvider(metric_readers=[_exponential_reader()]), "reader prefers another aggregation"),
        (lambda: _always_on(), "exemplars always on"),
        (lambda: object(), "not the SDK's MeterProvider"),
    ],
    ids=["default", "no-readers", "views", "exponential", "exemplars", "other"],
)
def test_which_path_is_taken(provider: Any, reason: str | None) -> None:
    assert _metric_hook.fast_path_blocker(provider(), _metric_hook.sdk_scope("llm_agent", "0")) == reason


def _exponential_reader() -> InMemoryMetricReader:
    return InMemoryMetricReader(preferred_aggregation={Histogram: ExponentialBucketHistogramAggregation()})


def _always_on() -> MeterProvider:
    from opentelemetry.sdk.metrics import AlwaysOnExemplarFilter

    return MeterProvider(metric_readers=[InMemoryMetricReader()], exemplar_filter=AlwaysOnExemplarFilter())


def test_a_failing_aggregation_never_breaks_the_apps_collection(monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_agent import _errors

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    provider.get_meter("app").create_counter("app.requests").add(1)
    target = MetricsTarget(provider, latest=False)
    target.export([make_span(attributes=_CHAT)])
    assert target._hook is not None

    def broken(reader: Any, now_ns: int | None = None) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(target._hook.store, "collect", broken)
    data = reader.get_metrics_data()
    assert [sm.scope.name for rm in data.resource_metrics for sm in rm.scope_metrics] == ["app"]
    assert [(where, type(exc).__name__) for where, exc in _errors.collected] == [("metrics.collect", "RuntimeError")]
    _errors.collected.clear()  # expected here: not the autouse fixture's failure


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_fork_while_the_store_is_locked_leaves_the_child_a_free_lock() -> None:
    import os

    reader = InMemoryMetricReader()
    target = MetricsTarget(MeterProvider(metric_readers=[reader]), latest=False)
    target.export([make_span(attributes=_CHAT)])
    assert target._hook is not None
    store = target._hook.store
    with store.lock:  # as if the worker were recording when the app forks
        pid = os.fork()
        if pid == 0:  # the child: record and collect, then report by exit status
            import signal

            signal.alarm(20)  # a child stuck on the inherited lock dies instead of hanging the test
            try:
                target.export([make_span(attributes=_CHAT)])
                shape = _shape(reader.get_metrics_data())
                os._exit(0 if [p["count"] for p in shape[0][-1]] == [2] else 1)
            except BaseException:
                os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
