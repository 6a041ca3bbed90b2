"""Several writer processes on one sink file, and a writer killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from rollup_check import assert_rollups_match

ROOT = Path(__file__).resolve().parents[2]
SPANS_MODULE = Path(__file__).resolve().parents[1] / "export" / "_spans.py"

_PRELUDE = f"""
import importlib.util, random, sys
sys.path.insert(0, {str(ROOT)!r})
spec = importlib.util.spec_from_file_location("spans", {str(SPANS_MODULE)!r})
spans = importlib.util.module_from_spec(spec); spec.loader.exec_module(spans)
"""

_WRITER = _PRELUDE + textwrap.dedent(
    """
    from llm_agent.config import Settings
    from llm_agent.export import Pipeline
    path, proc, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    settings = Settings.resolve(sink_path=path, max_queue_size=count, schedule_delay_s=0.05, instrument=[])
    pipeline = Pipeline(settings, ["sqlite"])
    order = list(range(count))
    random.Random(proc).shuffle(order)
    T0 = 1_700_000_000_000_000_000
    for i in order:
        # Traces and sessions are shared between the processes: rollups merge across writers.
        trace = i % 3000
        span = spans.make_span(
            trace_id=10_000 + trace, span_id=proc * 1_000_000 + i + 1,
            parent_id=None if proc == 0 and i < 3000 else 10**9 + trace,
            start_ns=T0 + trace * 1_000_000 + proc * 1000 + i, duration_ns=500,
            attributes=spans.llm_attrs(input_tokens=i % 7, output_tokens=None if i % 5 == 0 else 3,
                                       session=f"s{trace % 40}", user=f"u{trace % 40 % 3}"),
        )
        for p in pipeline.processors:
            p.on_end(span)
    assert pipeline.flush(60.0)
    stats = pipeline.stats()["backends"]["sqlite"]
    pipeline.shutdown(5.0)
    assert stats["exported"] == count and not any(stats["dropped"].values()), stats
    """
)


def test_four_processes_write_one_file(tmp_path):
    path = str(tmp_path / "sink.sqlite")
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, path, str(n), "10000"], stderr=subprocess.PIPE, text=True)
        for n in range(4)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*), count(DISTINCT span_id) FROM spans").fetchone() == (40_000, 40_000)
    assert conn.execute("SELECT count(*), sum(span_count) FROM traces").fetchone() == (3000, 40_000)
    assert conn.execute("SELECT count(*), sum(trace_count) FROM sessions").fetchone() == (40, 3000)
    conn.close()
    assert_rollups_match(path)


_CRASHER = _PRELUDE + textwrap.dedent(
    """
    from llm_agent.backends.sqlite import SQLiteBackend
    from llm_agent.export import to_record
    backend = SQLiteBackend(sys.argv[1])
    batch = 0
    while True:
        records = [to_record(spans.make_span(trace_id=batch + 1, span_id=batch * 1000 + k + 1,
                                             attributes=spans.llm_attrs(session=f"s{batch % 5}")))
                   for k in range(200)]
        assert backend.export(records).value == "success"
        print(batch, flush=True)  # only after COMMIT returned
        batch += 1
    """
)


def test_sigkill_mid_run_leaves_every_committed_batch(tmp_path):
    path = str(tmp_path / "sink.sqlite")
    proc = subprocess.Popen([sys.executable, "-c", _CRASHER, path], stdout=subprocess.PIPE, text=True)
    committed = []
    assert proc.stdout is not None
    for line in proc.stdout:
        committed.append(int(line))
        if len(committed) == 30:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    per_trace = dict(conn.execute("SELECT trace_id, count(*) FROM spans GROUP BY trace_id").fetchall())
    conn.close()
    for batch in committed:
        assert per_trace.get(format(batch + 1, "032x")) == 200, batch
    # Batches are all-or-nothing: at most one more than was reported, and complete if present.
    assert set(per_trace.values()) == {200}
    assert len(per_trace) in (len(committed), len(committed) + 1)
    assert_rollups_match(path)
