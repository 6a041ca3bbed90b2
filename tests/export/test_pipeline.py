"""The batching processor and the pipeline: drops, retries, size splits, flush, shutdown, stats."""

from __future__ import annotations

import gc
import threading
import tracemalloc

from opentelemetry import context as otel_context

from llm_agent.backends import ExportResult, MemoryBackend, RetryAfter
from llm_agent.config import Settings
from llm_agent.export import Pipeline
from llm_agent.testing import expect_internal_errors

NO_DROPS = {"queue_full": 0, "export_failed": 0, "shutdown": 0, "too_large": 0, "invalid": 0}


class Blocking:
    """Blocks in export until released; remembers what it got and whether instrumentation was off."""

    name = "blocking"

    def __init__(self, result: object = ExportResult.SUCCESS) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.batches: list[list] = []
        self.result = result
        self.suppressed: list[object] = []

    def export(self, records):
        self.suppressed.append(otel_context.get_value(otel_context._SUPPRESS_INSTRUMENTATION_KEY))
        self.entered.set()
        self.release.wait()
        self.batches.append(list(records))
        return self.result

    def flush(self, timeout_s):
        return True

    def shutdown(self, timeout_s):
        pass


def _settings(**kw) -> Settings:
    kw.setdefault("schedule_delay_s", 0.05)
    return Settings.resolve(instrument=[], **kw)


def _emit(pipeline: Pipeline, spans) -> None:
    for s in spans:
        pipeline.processors[0].on_end(s)


def test_full_queue_drops_exact_counts_and_never_blocks(make_span):
    backend = Blocking()
    pipeline = Pipeline(_settings(max_queue_size=4, max_export_batch_size=2), [backend])
    _emit(pipeline, [make_span(), make_span()])
    assert backend.entered.wait(5.0)  # the worker holds batch 1 (2 spans) inside export
    _emit(pipeline, [make_span() for _ in range(10)])  # 4 fit in the queue, 6 are dropped
    assert pipeline.stats()["backends"]["blocking"] == {
        "exported": 0, "retried": 0, "queued": 4, "in_flight": 2, "dropped": {**NO_DROPS, "queue_full": 6}
    }  # fmt: skip
    backend.release.set()
    assert pipeline.flush(5.0)
    pipeline.shutdown(5.0)
    assert pipeline.stats()["backends"]["blocking"] == {
        "exported": 6, "retried": 0, "queued": 0, "in_flight": 0, "dropped": {**NO_DROPS, "queue_full": 6}
    }  # fmt: skip
    assert [len(b) for b in backend.batches] == [2, 2, 2]
    assert backend.suppressed == [True, True, True]  # exporters' own HTTP calls make no spans


def test_spans_after_shutdown_are_counted(make_span):
    pipeline = Pipeline(_settings(), ["memory"])
    pipeline.shutdown(2.0)
    _emit(pipeline, [make_span(), make_span()])
    assert pipeline.stats()["backends"]["memory"]["dropped"] == {**NO_DROPS, "shutdown": 2}


class Flaky:
    name = "flaky"

    def __init__(self, results: list) -> None:
        self.results = results
        self.calls: list[int] = []

    def export(self, records):
        self.calls.append(len(records))
        result = self.results.pop(0) if self.results else ExportResult.SUCCESS
        if isinstance(result, Exception):
            raise result
        return result

    def flush(self, timeout_s):
        return True

    def shutdown(self, timeout_s):
        pass


def test_retryable_results_are_retried_failures_are_not(make_span):
    backend = Flaky([RetryAfter(0.0), ExportResult.RETRYABLE, ExportResult.SUCCESS, ExportResult.FAILURE])
    pipeline = Pipeline(_settings(max_export_batch_size=3), [backend])
    _emit(pipeline, [make_span() for _ in range(3)])
    assert pipeline.flush(10.0)
    _emit(pipeline, [make_span() for _ in range(3)])
    assert pipeline.flush(10.0)
    pipeline.shutdown(2.0)
    assert backend.calls == [3, 3, 3, 3]
    assert pipeline.stats()["backends"]["flaky"] == {
        "exported": 3, "retried": 2, "queued": 0, "in_flight": 0, "dropped": {**NO_DROPS, "export_failed": 3}
    }  # fmt: skip


def test_retry_time_is_bounded(make_span):
    backend = Flaky([RetryAfter(0.0), RetryAfter(0.0), RetryAfter(3600.0)])
    pipeline = Pipeline(_settings(retry_max_time_s=30.0), [backend])
    _emit(pipeline, [make_span()])
    assert pipeline.flush(10.0)  # a Retry-After beyond the bound gives up at once
    pipeline.shutdown(2.0)
    assert pipeline.stats()["backends"]["flaky"]["dropped"] == {**NO_DROPS, "export_failed": 1}


def test_too_large_batches_are_split_and_single_oversized_records_dropped(make_span):
    class SizeLimited(Flaky):
        def export(self, records):
            self.calls.append(len(records))
            if len(records) > 2 or any(r.name == "huge" for r in records):
                return ExportResult.TOO_LARGE
            self.results.extend(records)
            return ExportResult.SUCCESS

    backend = SizeLimited([])
    pipeline = Pipeline(_settings(max_export_batch_size=8), [backend])
    spans = [make_span() for _ in range(7)] + [make_span("huge")]
    _emit(pipeline, spans)
    assert pipeline.flush(10.0)
    pipeline.shutdown(2.0)
    assert pipeline.stats()["backends"]["flaky"] == {
        "exported": 7, "retried": 0, "queued": 0, "in_flight": 0, "dropped": {**NO_DROPS, "too_large": 1}
    }  # fmt: skip
    assert backend.calls == [8, 4, 2, 2, 4, 2, 2, 1, 1]


def test_backend_exception_counts_export_failed_and_other_backends_continue(make_span, caplog):
    broken = Flaky([RuntimeError("disk on fire")])
    memory = MemoryBackend()
    pipeline = Pipeline(_settings(), [broken, memory])
    spans = [make_span() for _ in range(3)]
    for s in spans:
        for p in pipeline.processors:
            p.on_end(s)
    assert pipeline.flush(10.0)
    pipeline.shutdown(2.0)
    stats = pipeline.stats()
    assert stats["backends"]["flaky"]["dropped"]["export_failed"] == 3
    assert stats["backends"]["memory"]["exported"] == 3 and len(memory.records) == 3
    assert "disk on fire" in caplog.text


def test_unconvertible_span_is_reported_and_left_out(make_span):
    good = make_span()
    bad = make_span()
    bad._context = None  # a corrupt span: conversion raises
    pipeline = Pipeline(_settings(), ["memory"])
    with expect_internal_errors() as errors:
        _emit(pipeline, [good, bad])
        assert pipeline.flush(10.0)
    pipeline.shutdown(2.0)
    assert [where for where, _ in errors] == ["export.convert"]
    assert [r.span_id for r in pipeline.memory.records] == [format(good.context.span_id, "016x")]
    assert pipeline.stats()["backends"]["memory"]["dropped"]["export_failed"] == 1


def test_flush_reports_false_while_a_backend_hangs_and_shutdown_is_bounded(make_span):
    backend = Blocking()
    pipeline = Pipeline(_settings(), [backend, "memory"])
    for s in [make_span() for _ in range(3)]:
        for p in pipeline.processors:
            p.on_end(s)
    assert pipeline.flush(0.3) is False
    assert len(pipeline.memory.records) == 3  # the healthy backend was not held up
    pipeline.shutdown(0.3)  # returns although the backend never does
    stats = pipeline.stats()["backends"]
    assert stats["blocking"]["dropped"] == {**NO_DROPS, "shutdown": 3}
    assert stats["memory"]["exported"] == 3
    backend.release.set()


def test_shutdown_cuts_retry_waits_short(make_span):
    backend = Flaky([RetryAfter(3600.0)] * 3)
    pipeline = Pipeline(_settings(retry_max_time_s=7200.0), [backend])
    _emit(pipeline, [make_span()])
    pipeline.processors[0].request_flush().wait(0.3)
    pipeline.shutdown(5.0)
    stats = pipeline.stats()["backends"]["flaky"]
    assert stats["dropped"] == {**NO_DROPS, "shutdown": 1} and stats["retried"] == 1


def test_memory_stays_flat_while_backend_is_down_for_100k_spans(make_span):
    backend = Blocking(ExportResult.RETRYABLE)
    pipeline = Pipeline(_settings(), [backend])  # default queue 2048, batch 512
    on_end = pipeline.processors[0].on_end
    for _ in range(512):
        on_end(make_span())
    assert backend.entered.wait(5.0)
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(100_000 - 512):
            on_end(make_span())
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    stats = pipeline.stats()["backends"]["blocking"]
    assert stats["queued"] == 2048
    assert stats["dropped"]["queue_full"] == 100_000 - 512 - 2048
    # 2048 queued spans (about 1.5 KB each here) are all that may stay; the 97k dropped leave nothing.
    assert grown < 2048 * 2_000, grown
    backend.release.set()
    pipeline.shutdown(0.5)
