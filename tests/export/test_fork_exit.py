"""Fork safety (the child exports only its own spans, once) and a bounded exit with a hanging backend."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from llm_agent.backends import ExportResult
from llm_agent.config import Settings
from llm_agent.export import Pipeline

ROOT = Path(__file__).resolve().parents[2]


class AppendFile:
    """Appends one line per span ("pid span_id") to a real file, so duplicates would show."""

    name = "file"

    def __init__(self, path: str) -> None:
        self.path = path

    def export(self, records):
        with open(self.path, "a") as f:
            f.write("".join(f"{os.getpid()} {r.span_id}\n" for r in records))
        return ExportResult.SUCCESS

    def flush(self, timeout_s):
        return True

    def shutdown(self, timeout_s):
        pass


def _child_emits(pipeline: Pipeline, spans, result_path: str) -> None:
    for s in spans:
        pipeline.processors[0].on_end(s)
    ok = pipeline.flush(10.0)
    pipeline.shutdown(5.0)
    with open(result_path, "w") as f:
        f.write(f"{ok} {pipeline.stats()['backends']['file']['exported']}")


def _lines(path: Path) -> list[tuple[int, str]]:
    return [(int(pid), sid) for pid, sid in (line.split() for line in path.read_text().splitlines())]


@pytest.mark.parametrize("how", ["os.fork", "multiprocessing"])
def test_forked_child_exports_its_spans_once_and_not_the_parents(tmp_path, make_span, how):
    out = tmp_path / "spans.txt"
    # A long delay keeps the parent's spans queued at the moment of the fork.
    pipeline = Pipeline(Settings.resolve(schedule_delay_s=30.0, instrument=[]), [AppendFile(str(out))])
    parent_spans = [make_span() for _ in range(5)]
    child_spans = [make_span() for _ in range(7)]
    for s in parent_spans:
        pipeline.processors[0].on_end(s)
    result = tmp_path / "child.txt"
    if how == "os.fork":
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                _child_emits(pipeline, child_spans, str(result))
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        child_pid = pid
    else:
        ctx = multiprocessing.get_context("fork")
        proc = ctx.Process(target=_child_emits, args=(pipeline, child_spans, str(result)))
        proc.start()
        proc.join(30)
        assert proc.exitcode == 0
        child_pid = proc.pid
    assert result.read_text() == "True 7"
    assert pipeline.flush(10.0)
    pipeline.shutdown(5.0)
    lines = _lines(out)
    assert sorted(lines) == sorted(
        [(child_pid, format(s.context.span_id, "016x")) for s in child_spans]
        + [(os.getpid(), format(s.context.span_id, "016x")) for s in parent_spans]
    )
    assert pipeline.stats()["backends"]["file"]["exported"] == 5


_APP = textwrap.dedent(
    """
    import sys, threading
    sys.path.insert(0, sys.argv[1])
    import llm_agent
    from llm_agent._state import get_tracer

    class Hanging:
        name = "hanging"
        def export(self, records):
            threading.Event().wait()  # a backend that never answers
        def flush(self, timeout_s):
            threading.Event().wait()
        def shutdown(self, timeout_s):
            threading.Event().wait()

    llm_agent.init(backends=[Hanging()], instrument=[], schedule_delay_s=0.01)
    tracer = get_tracer()
    for i in range(2000):
        with tracer.start_as_current_span("chat gpt-4o"):
            pass
    print("app done", flush=True)
    """
)


def test_app_with_hanging_backend_exits_within_the_shutdown_bound():
    env = {**os.environ, "LLM_AGENT_SHUTDOWN_TIMEOUT_S": "1.0"}
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _APP, str(ROOT)], env=env, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "app done\n"
    # The bound (1 s) plus interpreter start-up and imports; a hang would hit the 60 s timeout.
    assert elapsed < 15, elapsed


def test_forked_child_writes_its_spans_to_the_sqlite_sink_once(tmp_path, make_span):
    """The sqlite sink's pipeline (worker + writer thread): the child starts both afresh."""
    import sqlite3

    path = str(tmp_path / "sink.sqlite")
    pipeline = Pipeline(Settings.resolve(schedule_delay_s=30.0, sink_path=path, instrument=[]), ["sqlite"])
    (processor,) = pipeline._backend_processors
    parent_spans = [make_span() for _ in range(5)]
    child_spans = [make_span() for _ in range(7)]
    for s in parent_spans:
        processor.on_end(s)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            for s in child_spans:
                processor.on_end(s)
            ok = pipeline.flush(10.0)
            exported = processor.stats()["exported"]
            pipeline.shutdown(5.0)
            code = 0 if ok and exported == 7 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert pipeline.flush(10.0)
    assert processor.stats()["exported"] == 5
    pipeline.shutdown(5.0)
    conn = sqlite3.connect(path)
    try:
        rows = sorted(r[0] for r in conn.execute("SELECT span_id FROM spans"))
    finally:
        conn.close()
    assert rows == sorted(format(s.context.span_id, "016x") for s in parent_spans + child_spans)
