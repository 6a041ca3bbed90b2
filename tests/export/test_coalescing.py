"""Coalescing targets (the sqlite sink): conversion on the worker thread, commits on a writer thread.

While the writer commits one transaction, the worker keeps emptying the app's queue (up to
``COALESCE_QUEUES`` queues' worth of converted spans); the next transaction takes all of it.  The
direct span -> row conversion must equal the general ``SpanRecord`` path exactly.
"""

from __future__ import annotations

import threading
import time

from opentelemetry.sdk.trace import Event
from opentelemetry.trace import SpanKind

from llm_agent.backends import ExportResult
from llm_agent.backends._sqlite_rows import RowConverter, fast_encode, rows_from_values
from llm_agent.config import Settings
from llm_agent.export import Pipeline
from llm_agent.export._convert import Converter
from llm_agent.export._writer import COALESCE_QUEUES

NO_DROPS = {"queue_full": 0, "export_failed": 0, "shutdown": 0, "too_large": 0, "invalid": 0}


class BlockingRows:
    """A row-taking backend (like the sqlite sink) whose first transaction blocks until released."""

    name = "rows"

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.transactions: list[list[tuple]] = []
        self.threads: set[str] = set()

    def row_converter(self) -> RowConverter:
        return RowConverter(fast_encode)

    def export(self, records):  # the Backend protocol; the pipeline uses export_rows instead
        raise AssertionError("export_rows expected")

    def export_rows(self, rows):
        self.threads.add(threading.current_thread().name)
        self.entered.set()
        self.release.wait()
        self.transactions.append(list(rows))
        return ExportResult.SUCCESS

    def flush(self, timeout_s):
        return True

    def shutdown(self, timeout_s):
        pass


def _wait_until(predicate, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_worker_keeps_emptying_the_queue_while_a_transaction_commits(make_span):
    backend = BlockingRows()
    settings = Settings.resolve(instrument=[], max_queue_size=4, max_export_batch_size=2, schedule_delay_s=0.01)
    pipeline = Pipeline(settings, [backend])
    (processor,) = pipeline._backend_processors
    processor.on_end(make_span())
    processor.on_end(make_span())
    assert backend.entered.wait(5.0)  # transaction 1 (2 spans) is being committed
    held = 4 * COALESCE_QUEUES
    for _ in range(held):  # taken from the queue and converted while the writer is busy
        processor.on_end(make_span())
        _wait_until(lambda: processor.stats()["queued"] == 0)
    for _ in range(10):  # the converter is full: 4 wait in the queue, 6 are dropped
        processor.on_end(make_span())
    assert pipeline.stats()["backends"]["rows"] == {
        "exported": 0, "retried": 0, "queued": 4, "in_flight": 2 + held, "dropped": {**NO_DROPS, "queue_full": 6}
    }  # fmt: skip
    backend.release.set()
    assert pipeline.flush(5.0)
    pipeline.shutdown(5.0)
    assert pipeline.stats()["backends"]["rows"] == {
        "exported": 2 + held + 4, "retried": 0, "queued": 0, "in_flight": 0, "dropped": {**NO_DROPS, "queue_full": 6}
    }  # fmt: skip
    assert [len(t) for t in backend.transactions] == [2, held, 4]
    assert backend.threads == {"llm_agent-write-rows"}  # never the app's or the converter's thread


def test_flush_waits_for_the_transaction_in_flight(make_span):
    backend = BlockingRows()
    pipeline = Pipeline(Settings.resolve(instrument=[], schedule_delay_s=5.0), [backend])
    for _ in range(3):
        pipeline._backend_processors[0].on_end(make_span())
    flushed = threading.Event()
    threading.Thread(target=lambda: flushed.set() if pipeline.flush(5.0) else None, daemon=True).start()
    assert backend.entered.wait(5.0)
    assert not flushed.wait(0.2)  # still committing
    backend.release.set()
    assert flushed.wait(5.0)
    assert pipeline.stats()["backends"]["rows"]["exported"] == 3
    pipeline.shutdown(5.0)


def test_direct_rows_equal_the_record_path(make_span, llm_attrs):
    spans = [
        make_span(attributes=llm_attrs()),
        make_span(attributes={**llm_attrs(), "gen_ai.usage.input_tokens": "12", "gen_ai.usage.output_tokens": True}),
        make_span(attributes={"gen_ai.operation.name": "embeddings", "gen_ai.request.model": 7}),
        make_span(attributes={"gen_ai.operation.name": "chat", "gen_ai.response.finish_reasons": "stop"}),
        make_span(attributes={"gen_ai.span.kind": "LLM", "llm_agent.usage.missing": True,
                              "gen_ai.response.time_to_first_chunk": 1, "gen_ai.conversation.id": 42}),
        make_span(attributes={"enduser.id": "u", "gen_ai.response.finish_reasons": ()}, kind=SpanKind.INTERNAL),
        make_span(parent_id=99, error="boom", attributes={"error.type": "openai.RateLimitError"},
                  events=(Event("exception", {"exception.type": "X", "k": ("a", "b")}, timestamp=5),)),
        make_span(attributes={"gen_ai.usage.cache_read.input_tokens": 3.0, "gen_ai.usage.reasoning.output_tokens": "x",
                              "gen_ai.usage.cache_creation.input_tokens": 4, "session.id": ""}),
    ]  # fmt: skip
    direct = RowConverter(fast_encode)
    general = Converter()
    assert [direct.row(s) for s in spans] == rows_from_values([general.values(s, False) for s in spans])


class FailingOnce(BlockingRows):
    """Raises on its first transaction, then works."""

    def __init__(self) -> None:
        super().__init__()
        self.release.set()
        self.calls = 0

    def export_rows(self, rows):
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("disk on fire")
        return super().export_rows(rows)


def test_a_raising_transaction_is_counted_and_the_writer_goes_on(make_span, caplog):
    backend = FailingOnce()
    pipeline = Pipeline(Settings.resolve(instrument=[], schedule_delay_s=5.0), [backend])
    (processor,) = pipeline._backend_processors
    for _ in range(3):
        processor.on_end(make_span())
    assert pipeline.flush(5.0)
    for _ in range(2):
        processor.on_end(make_span())
    assert pipeline.flush(5.0)
    assert processor.stats() == {
        "exported": 2, "retried": 0, "queued": 0, "in_flight": 0, "dropped": {**NO_DROPS, "export_failed": 3}
    }  # fmt: skip
    assert [len(t) for t in backend.transactions] == [2]
    assert "disk on fire" in caplog.text
    pipeline.shutdown(5.0)
