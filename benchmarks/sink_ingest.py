"""Sink ingest throughput: finished spans -> committed ``spans`` rows with ``traces``/``sessions`` rollups.

Measures the whole worker-side path of the default backend (conversion on the worker thread,
JSON encoding, one transaction per batch with rollups; batches of 512, or the whole queue when the
sink is behind) through the real ``Pipeline`` at default settings:
the clock starts before the first ``on_end`` and stops when ``flush()`` returns (everything
committed).  Prints the median spans/s over ``--rounds`` fresh sink files.

    python benchmarks/sink_ingest.py [--spans 50000] [--rounds 5]

It also measures, on the same machine and rows, "SQLite alone": the rows already converted (before
the clock), inserted with the sink's own multi-row ``INSERT`` into the same ``spans`` table and
indexes in 512-row transactions, no rollups, one thread.  The issue's target (60k spans/s where
SQLite alone takes ~100k rows/s) is then a ratio, ``ingest / SQLite alone >= 0.6``, comparable
across machines of different speed (though not of a different CPU/disk balance: docs/pipeline.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _spans import make_llm_spans

from llm_agent.backends import _sqlite_rollups
from llm_agent.backends._sqlite_rows import COST_COLUMNS, STORED_COLUMNS, RowConverter
from llm_agent.backends.sqlite import _INSERT_SPANS_HEAD, _fast_encode, open_sink
from llm_agent.config import DEFAULT_MAX_EXPORT_BATCH_SIZE, Settings
from llm_agent.export import Pipeline

#: The sink's default transaction size for the "SQLite alone" reference (the default batch).
REFERENCE_BATCH = DEFAULT_MAX_EXPORT_BATCH_SIZE


def one_round(spans: list, directory: str, index: int) -> float:
    path = os.path.join(directory, f"sink-{index}.sqlite")
    settings = Settings.resolve(sink_path=path, backends=["sqlite"], instrument=[])  # defaults: queue 2048
    pipeline = Pipeline(settings, ["sqlite"])
    (processor,) = pipeline._backend_processors
    queue = processor._queue
    limit = settings.max_queue_size
    started = time.perf_counter()
    for span in spans:
        # This measures the sink, not the drop policy: the producer waits while the queue is full.
        while len(queue) >= limit:
            time.sleep(0.0002)
        processor.on_end(span)
    assert pipeline.flush(600.0)
    elapsed = time.perf_counter() - started
    stats = processor.stats()
    pipeline.shutdown(10.0)
    assert stats["exported"] == len(spans), stats
    return len(spans) / elapsed


def sqlite_alone(rows: list, directory: str, index: int) -> float:
    """Rows/s for already-converted rows: the sink's INSERT, default-batch transactions, no rollups."""
    conn = open_sink(os.path.join(directory, f"alone-{index}.sqlite"))
    started = time.perf_counter()
    for i in range(0, len(rows), REFERENCE_BATCH):
        conn.execute("BEGIN IMMEDIATE")
        _sqlite_rollups.insert_rows(conn, _INSERT_SPANS_HEAD, rows[i : i + REFERENCE_BATCH], len(STORED_COLUMNS))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return len(rows) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    spans = make_llm_spans(args.spans)
    converter = RowConverter(_fast_encode)  # what the sink's worker uses
    rows = [converter.row(span) + (None,) * len(COST_COLUMNS) for span in spans]  # as the sink writes them, unpriced
    rates: list[float] = []
    alone: list[float] = []
    with tempfile.TemporaryDirectory() as directory:
        for i in range(args.rounds):  # interleaved, so a busy neighbour slows both alike
            rates.append(one_round(spans, directory, i))
            alone.append(sqlite_alone(rows, directory, i))
    ingest, reference = statistics.median(rates), statistics.median(alone)
    print(
        f"sink ingest: median {ingest:,.0f} spans/s "
        f"(rounds: {', '.join(f'{r:,.0f}' for r in rates)}; {args.spans:,} spans, default queue/batch, with rollups)"
    )
    print(
        f"SQLite alone (converted rows, the sink's INSERT, {REFERENCE_BATCH}-row transactions, no rollups): "
        f"median {reference:,.0f} rows/s (rounds: {', '.join(f'{r:,.0f}' for r in alone)})"
    )
    print(f"ingest / SQLite alone: {ingest / reference:.2f} (target >= 0.60)")


if __name__ == "__main__":
    main()
