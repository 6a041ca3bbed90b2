"""Sink ingest throughput: finished spans -> committed ``spans`` rows with ``traces``/``sessions`` rollups.

Measures the whole worker-side path of the default backend (conversion on the worker thread,
JSON encoding, one transaction per batch with rollups; batches of 512, or the whole queue when the
sink is behind) through the real ``Pipeline`` at default settings:
the clock starts before the first ``on_end`` and stops when ``flush()`` returns (everything
committed).  Prints the median spans/s over ``--rounds`` fresh sink files.

    python benchmarks/sink_ingest.py [--spans 50000] [--rounds 5]
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

from llm_agent.config import Settings
from llm_agent.export import Pipeline


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    spans = make_llm_spans(args.spans)
    with tempfile.TemporaryDirectory() as directory:
        rates = [one_round(spans, directory, i) for i in range(args.rounds)]
    print(
        f"sink ingest: median {statistics.median(rates):,.0f} spans/s "
        f"(rounds: {', '.join(f'{r:,.0f}' for r in rates)}; {args.spans:,} spans, default queue/batch, with rollups)"
    )


if __name__ == "__main__":
    main()
