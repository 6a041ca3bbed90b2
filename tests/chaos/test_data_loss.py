"""Data loss (issue 24): absurd counts, a malformed field, a span the sink cannot store, sums past
int64.  Real SDKs on their own mock transports, the real pipeline, the real SQLite sink; each test
checks the exact accounting (stored + dropped-with-reason = produced) and what the rows hold; and
none may report an internal error (the suite's autouse fixture fails the test if one does).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import anthropic
import openai
import openai._base_client as _base_client
import pytest
from opentelemetry import trace as otel_trace

import llm_agent
from llm_agent import semconv
from llm_agent.backends import ExportResult, SpanRecord
from llm_agent.backends.sqlite import SQLiteBackend
from llm_agent.export._processor import MEASURE_FROM_QUEUED, SPAN_OVERHEAD_BYTES
from llm_agent.instrumentation._values import INT64_MAX, MAX_TOKEN_COUNT, bound_usage

HTTP: Any = getattr(_base_client, "httpx2", None) or _base_client.httpx
NO_DROPS = {"queue_full": 0, "export_failed": 0, "shutdown": 0, "too_large": 0, "invalid": 0}
HUGE = 10**30  # past int64: what an adversarial (or buggy) provider sent


def _chat(usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
        "usage": usage,
    }  # fmt: skip


def _openai(bodies: list[dict[str, Any]]) -> openai.OpenAI:
    queue = list(bodies)

    def handler(request: Any) -> Any:
        return HTTP.Response(200, json=queue.pop(0))

    return openai.OpenAI(api_key="test_openai_api_key", max_retries=0,
                         http_client=HTTP.Client(transport=HTTP.MockTransport(handler)))  # fmt: skip


def _rows(path: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT session_id, input_tokens, output_tokens, usage_missing, attributes FROM spans ORDER BY start_ns"
        ).fetchall()


def _invalid(attributes_json: str) -> list[str] | None:
    return json.loads(attributes_json).get(semconv.USAGE_INVALID)


def test_an_absurd_openai_count_is_unknown_and_flagged_and_the_batch_is_stored(tmp_path):
    path = str(tmp_path / "sink.sqlite")
    usages = [{"prompt_tokens": 10, "completion_tokens": 2}] * 5
    usages.insert(2, {"prompt_tokens": HUGE, "completion_tokens": 7, "prompt_tokens_details": {"cached_tokens": -1}})
    llm_agent.init(backends=["sqlite"], sink_path=path, instrument=["openai"], schedule_delay_s=0.05)
    client = _openai([_chat(u) for u in usages])
    for i in range(6):
        with llm_agent.session(f"s{i}"):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert llm_agent.flush(10.0)
    stats = llm_agent.stats()
    assert stats["backends"]["sqlite"] == {
        "exported": 6, "retried": 0, "queued": 0, "in_flight": 0, "dropped": NO_DROPS
    }  # fmt: skip
    rows = [(s, i, o, m, _invalid(a)) for s, i, o, m, a in _rows(path)]
    assert rows == [
        ("s0", 10, 2, 0, None), ("s1", 10, 2, 0, None),
        ("s2", None, 7, 0, [semconv.GEN_AI_USAGE_INPUT_TOKENS]),  # a negative cached count: simply unknown
        ("s3", 10, 2, 0, None), ("s4", 10, 2, 0, None), ("s5", 10, 2, 0, None),
    ]  # fmt: skip
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT input_tokens, output_tokens FROM sessions WHERE session_id = 's2'").fetchone() == (
            0, 7
        )


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"prompt_tokens": "x", "completion_tokens": 7}, (None, 7, 0)),
        ({"prompt_tokens": 5, "completion_tokens": None}, (5, None, 0)),
        ({"prompt_tokens": True, "completion_tokens": 3.5}, (None, None, 1)),
        ({"input_tokens": 4, "completion_tokens": 6}, (4, 6, 0)),  # each count by whichever name it has
        ({"prompt_tokens": MAX_TOKEN_COUNT, "completion_tokens": MAX_TOKEN_COUNT + 1}, (MAX_TOKEN_COUNT, None, 0)),
        ({"prompt_tokens": HUGE, "completion_tokens": HUGE}, (None, None, 1)),
    ],
)
def test_each_openai_count_stands_on_its_own(tmp_path, usage, expected):
    path = str(tmp_path / "sink.sqlite")
    llm_agent.init(backends=["sqlite"], sink_path=path, instrument=["openai"], schedule_delay_s=0.05)
    _openai([_chat(usage)]).chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert llm_agent.flush(10.0)
    ((_, tin, tout, missing, _),) = _rows(path)
    assert (tin, tout, missing) == expected


def test_an_absurd_anthropic_count_is_unknown_and_flagged(tmp_path):
    path = str(tmp_path / "sink.sqlite")
    body = {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-3-5-haiku-latest",
        "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn",
        # input is within bounds, but input + cache read (what the span reports as input) is not
        "usage": {"input_tokens": 3, "output_tokens": HUGE, "cache_read_input_tokens": MAX_TOKEN_COUNT},
    }  # fmt: skip
    llm_agent.init(backends=["sqlite"], sink_path=path, instrument=["anthropic"], schedule_delay_s=0.05)
    transport = HTTP.MockTransport(lambda request: HTTP.Response(200, json=body))
    client = anthropic.Anthropic(api_key="test_anthropic_api_key", base_url="https://mock.anthropic.test",
                                 max_retries=0, http_client=HTTP.Client(transport=transport))  # fmt: skip
    client.messages.create(model="claude-3-5-haiku-latest", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
    assert llm_agent.flush(10.0)
    ((_, tin, tout, missing, attrs),) = _rows(path)
    assert (tin, tout, missing) == (None, None, 1)
    assert _invalid(attrs) == [semconv.GEN_AI_USAGE_INPUT_TOKENS, semconv.GEN_AI_USAGE_OUTPUT_TOKENS]
    assert llm_agent.stats()["backends"]["sqlite"]["exported"] == 1


def test_a_span_the_sink_cannot_store_is_split_out_and_counted_invalid(tmp_path):
    # Another instrumentation's spans (the app's own tracer): one ends at a time past int64, which
    # no count check can catch; the transaction fails for that span alone.
    path = str(tmp_path / "sink.sqlite")
    llm_agent.init(backends=["sqlite"], sink_path=path, instrument=[], schedule_delay_s=0.05)
    tracer = otel_trace.get_tracer("other")
    attrs = {"gen_ai.operation.name": "chat", "gen_ai.usage.input_tokens": HUGE, "gen_ai.usage.output_tokens": 1}
    for i in range(6):
        span = tracer.start_span(f"chat {i}", attributes={**attrs, "session.id": f"s{i}"})
        span.end(end_time=HUGE if i == 3 else None)
    assert llm_agent.flush(10.0)
    stats = llm_agent.stats()
    assert stats["backends"]["sqlite"] == {
        "exported": 5, "retried": 0, "queued": 0, "in_flight": 0, "dropped": {**NO_DROPS, "invalid": 1}
    }  # fmt: skip
    # Counts past the bound from another instrumentation are unknown in the columns, too.
    assert [(s, i, o) for s, i, o, _, _ in _rows(path)] == [(f"s{i}", None, 1) for i in (0, 1, 2, 4, 5)]


def _record(span_id: int, tokens: int, session: str = "big") -> SpanRecord:
    return SpanRecord(
        trace_id=f"{span_id:032x}", span_id=f"{span_id:016x}", parent_span_id=None, name="chat m", kind="CLIENT",
        start_ns=span_id, end_ns=span_id + 1, status="UNSET", session_id=session, span_kind="LLM",
        input_tokens=tokens, output_tokens=tokens,
    )  # fmt: skip


def test_session_sums_past_int64_saturate_and_never_fail_the_batch(tmp_path):
    path = str(tmp_path / "sink.sqlite")
    backend = SQLiteBackend(path)
    try:
        # Hand-made records skip the converter: their out-of-range counts are unknown at the sink.
        assert backend.export([_record(1, HUGE), _record(2, 2**62)]) is ExportResult.SUCCESS
        # Sessions whose stored sums are already near the limit (as an old file may hold).
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE sessions SET input_tokens = ?, total_tokens = ? WHERE session_id = 'big'",
                         (INT64_MAX - 5, INT64_MAX - 5))  # fmt: skip
            # and a trace whose spans alone sum past int64 in SQL
            conn.execute("UPDATE spans SET input_tokens = ? WHERE span_id = ?", (INT64_MAX, f"{1:016x}"))
        # (Beside span 1, not below it: a usage span below another reports the same model call, and
        # only the inner one would count.)
        late = SpanRecord(
            trace_id=f"{1:032x}", span_id=f"{9:016x}", parent_span_id=None, name="chat m", kind="CLIENT",
            start_ns=5, end_ns=6, status="UNSET", session_id="big", span_kind="LLM", input_tokens=10, output_tokens=1,
        )  # fmt: skip
        assert backend.export([late, _record(3, 100)]) is ExportResult.SUCCESS
    finally:
        backend.shutdown(1.0)
    with sqlite3.connect(path) as conn:
        traces = conn.execute("SELECT input_tokens, output_tokens, total_tokens FROM traces ORDER BY trace_id")
        assert traces.fetchall() == [(INT64_MAX, 1, INT64_MAX), (0, 0, 0), (100, 100, 200)]
        sessions = conn.execute("SELECT input_tokens, output_tokens, total_tokens, trace_count FROM sessions")
        assert sessions.fetchall() == [(INT64_MAX, 101, INT64_MAX, 3)]


def _app_spans(n: int, prefix: str) -> None:
    tracer = otel_trace.get_tracer("app")
    for i in range(n):
        with tracer.start_as_current_span(f"{prefix}{i}", attributes={"session.id": prefix}):
            pass


def _span_names(path: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM spans ORDER BY start_ns")]


@pytest.mark.parametrize("also_wal", [False, True], ids=["file", "file-wal-shm"])
def test_a_sink_deleted_while_the_app_runs_is_made_again(tmp_path, caplog, also_wal):
    path = tmp_path / "sink.sqlite"
    llm_agent.init(backends=["sqlite"], sink_path=str(path), instrument=[], schedule_delay_s=0.05)
    _app_spans(3, "before")
    assert llm_agent.flush(10.0)
    for suffix in ("", "-wal", "-shm") if also_wal else ("",):
        (tmp_path / f"sink.sqlite{suffix}").unlink()
    with caplog.at_level("WARNING", logger="llm_agent"):
        for batch in range(3):
            _app_spans(2, f"after{batch}-")
            assert llm_agent.flush(10.0)
    assert _span_names(str(path)) == [f"after{b}-{i}" for b in range(3) for i in range(2)]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT session_id, span_count FROM sessions ORDER BY session_id").fetchall() == [
            ("after0-", 2), ("after1-", 2), ("after2-", 2)
        ]  # fmt: skip
    assert llm_agent.stats()["backends"]["sqlite"] == {
        "exported": 9, "retried": 0, "queued": 0, "in_flight": 0, "dropped": NO_DROPS
    }  # fmt: skip
    assert [r.getMessage() for r in caplog.records if "deleted or replaced" in r.getMessage()] == [
        f"llm_agent: the SQLite sink {path} was deleted or replaced while the app ran; "
        "spans go to a new file at that path from now on"
    ]


class Hanging:
    """A backend whose export blocks until released (a collector that never answers)."""

    name = "hanging"

    def __init__(self) -> None:
        import threading

        self.entered = threading.Event()
        self.release = threading.Event()

    def export(self, records):
        self.entered.set()
        self.release.wait(30.0)
        return ExportResult.SUCCESS

    def flush(self, timeout_s):
        return True

    def shutdown(self, timeout_s):
        self.release.set()


def test_stats_count_the_spans_in_flight_while_a_backend_hangs():
    backend = Hanging()
    # No timed export: the worker wakes when 60 spans are queued, and takes exactly those.
    llm_agent.init(backends=[backend], instrument=[], schedule_delay_s=60.0, max_queue_size=2048,
                   max_export_batch_size=60)  # fmt: skip
    _app_spans(60, "a")
    assert backend.entered.wait(10.0)  # the first batch of 60 is inside export, which hangs
    _app_spans(240, "b")
    hanging = llm_agent.stats()["backends"]["hanging"]
    assert hanging == {"exported": 0, "retried": 0, "queued": 240, "in_flight": 60, "dropped": NO_DROPS}
    backend.release.set()
    assert llm_agent.flush(10.0)
    hanging = llm_agent.stats()["backends"]["hanging"]
    assert hanging == {"exported": 300, "retried": 0, "queued": 0, "in_flight": 0, "dropped": NO_DROPS}


def test_the_queue_is_bounded_by_bytes_and_every_span_is_accounted_for():
    backend = Hanging()
    prompt = "p" * 20_000  # captured content: ~21 KB per span in the queue's estimate
    limit = 1024 * 1024
    llm_agent.init(backends=[backend], instrument=[], schedule_delay_s=0.05, max_export_batch_size=10,
                   max_queue_bytes=limit)  # fmt: skip
    tracer = otel_trace.get_tracer("app")
    produced = 600
    for i in range(produced):
        with tracer.start_as_current_span("chat m", attributes={"gen_ai.input.messages": prompt}):
            pass
        if i == 0:
            assert backend.entered.wait(10.0)  # the first span is in the hanging export
    hanging = llm_agent.stats()["backends"]["hanging"]
    processor = llm_agent._agent.get_agent().pipeline.processors[0]
    # The first spans of a backlog count their fixed cost only (measuring is for backlogs), the
    # rest their text too: 256 x 1 KiB, then 37 x 21 KB fill the 1 MiB.
    unmeasured, per_span = MEASURE_FROM_QUEUED * SPAN_OVERHEAD_BYTES, 20_000 + SPAN_OVERHEAD_BYTES
    fits = MEASURE_FROM_QUEUED + (limit - unmeasured) // per_span
    assert hanging == {
        "exported": 0, "retried": 0, "queued": fits, "in_flight": 1,
        "dropped": {**NO_DROPS, "queue_full": produced - 1 - fits},
    }  # fmt: skip
    assert processor._queued_bytes == unmeasured + (fits - MEASURE_FROM_QUEUED) * per_span
    backend.release.set()
    assert llm_agent.flush(10.0)
    hanging = llm_agent.stats()["backends"]["hanging"]
    assert hanging["exported"] + sum(hanging["dropped"].values()) == produced
    assert processor._queued_bytes == 0


def test_bedrock_count_headers_past_the_bound_or_not_ascii_are_unknown():
    from llm_agent.instrumentation.bedrock._response import header_usage, usage_attributes

    usage = header_usage({
        "x-amzn-bedrock-input-token-count": "9" * 30,  # parsed, then dropped and flagged at the span's end
        "x-amzn-bedrock-output-token-count": "\u00b2",  # "²".isdigit() is true; int() would raise
        "x-amzn-bedrock-cache-read-input-token-count": "7" * 5000,  # int() refuses this many digits
        "x-amzn-bedrock-cache-write-input-token-count": "12",
    })  # fmt: skip
    assert usage == (int("9" * 30), None, None, 12)
    attrs: dict[str, Any] = {}
    usage_attributes(usage, attrs)
    assert bound_usage(attrs) == {
        semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: 12,
        semconv.USAGE_INVALID: [semconv.GEN_AI_USAGE_INPUT_TOKENS],
        semconv.USAGE_MISSING: True,
    }


@pytest.mark.parametrize("direct_spans", [True, False], ids=["direct-span-path", "sdk-path"])
def test_the_bound_is_the_cores_whatever_a_provider_package_sets(direct_spans):
    # A provider package's reader (here: a sum it made itself, and a count it parsed) hands the core
    # any numbers; the span that comes out holds only counts within bounds.
    from llm_agent.instrumentation._spans import end_span, start_span
    from llm_agent.testing import capture_spans

    with capture_spans(instrument=[], direct_spans=direct_spans) as spans:
        span = start_span("chat m", {semconv.GEN_AI_OPERATION_NAME: "chat"}, llm_agent._agent.get_agent().settings)
        end_span(span, {
            semconv.GEN_AI_USAGE_INPUT_TOKENS: MAX_TOKEN_COUNT * 2,
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 5,
            semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: -3,
            semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 2.5,
        }, late=lambda: {semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: HUGE})  # fmt: skip
        (record,) = spans.records
    assert (record.input_tokens, record.output_tokens, record.reasoning_tokens, record.cache_read_tokens,
            record.cache_creation_tokens, record.usage_missing) == (None, 5, None, None, None, False)  # fmt: skip
    assert record.attributes[semconv.USAGE_INVALID] == [
        semconv.GEN_AI_USAGE_INPUT_TOKENS, semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
        semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    ]  # fmt: skip
