"""Near a full queue, ``on_end`` offers the GIL to the export threads instead of filling it.

A CPU-bound app thread holds the GIL for whole switch intervals, long enough to fill the queue while
the worker waits to run; offering the GIL (``time.sleep(0)``) near the limit lets the worker empty
it.  It never waits for the backend: a blocked worker does not want the GIL.
"""

from __future__ import annotations

import threading

from llm_agent.backends import ExportResult
from llm_agent.config import Settings
from llm_agent.export import Pipeline, _processor


class Stuck:
    name = "stuck"

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


def test_gil_is_offered_only_above_the_high_water_mark(make_span, monkeypatch):
    offered: list[int] = []
    backend = Stuck()
    pipeline = Pipeline(Settings.resolve(instrument=[], max_queue_size=8, max_export_batch_size=1), [backend])
    (processor,) = pipeline._backend_processors
    monkeypatch.setattr(_processor, "_yield_gil", lambda s: offered.append(len(processor._queue)))
    processor.on_end(make_span())
    assert backend.entered.wait(5.0)  # the worker is stuck in export with that span
    for _ in range(12):
        processor.on_end(make_span())
    assert offered == [4, 5, 6, 7, 8]  # from half full (8 * 50%) up; full-queue drops return first
    assert processor.stats()["dropped"]["queue_full"] == 4
    backend.release.set()
    pipeline.shutdown(5.0)
