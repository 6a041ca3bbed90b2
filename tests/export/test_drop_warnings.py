"""A full queue is logged by the worker thread, once when drops start, then at most once a minute."""

from __future__ import annotations

import logging
import threading

from llm_agent.backends import ExportResult
from llm_agent.config import Settings
from llm_agent.export import Pipeline


class Held:
    """Blocks in export until released (re-armable)."""

    name = "held"

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def export(self, records):
        self.entered.set()
        self.release.wait()
        return ExportResult.SUCCESS

    def flush(self, timeout_s):
        return True

    def shutdown(self, timeout_s):
        pass


def _fill_and_overflow(processor, backend: Held, make_span, dropped: int) -> None:
    backend.entered.clear()
    backend.release.clear()
    processor.on_end(make_span())
    assert backend.entered.wait(5.0)  # the worker is inside export with that span
    for _ in range(2 + dropped):  # 2 fit in the queue, the rest are dropped
        processor.on_end(make_span())
    backend.release.set()


def test_drops_are_logged_once_then_counted(make_span, caplog):
    backend = Held()
    settings = Settings.resolve(instrument=[], max_queue_size=2, max_export_batch_size=1, schedule_delay_s=0.01)
    pipeline = Pipeline(settings, [backend])
    (processor,) = pipeline._backend_processors
    with caplog.at_level(logging.WARNING, logger="llm_agent.export"):
        _fill_and_overflow(processor, backend, make_span, dropped=3)
        assert pipeline.flush(5.0)
        _fill_and_overflow(processor, backend, make_span, dropped=2)  # within the minute: not logged
        assert pipeline.flush(5.0)
    stats = processor.stats()
    pipeline.shutdown(5.0)
    lines = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert lines == [
        "llm_agent: backend 'held' dropped 3 spans because its queue (2 spans or 32 MiB) was full; the backend is "
        "slower than the app produces spans (see llm_agent.stats(); further warnings at most every 60 s)"
    ]
    assert (stats["exported"], stats["dropped"]["queue_full"]) == (6, 5)
