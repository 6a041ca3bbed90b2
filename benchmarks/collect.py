"""``llm-agent collect`` throughput: spans from an OTLP/HTTP exporter in another process -> committed sink rows.

The sender is a separate process holding ``--spans`` finished LLM spans (``_spans.py``, the spans
``sink_ingest.py`` uses), built before the clock starts; it exports them with the official
``OTLPSpanExporter`` (protobuf, batches of 512 like the SDK's ``BatchSpanProcessor``) to the
receiver running in this process.  The clock starts when the sender is told to go and stops when
the sink has committed every span.  Interleaved with each round, ``sink_ingest.py``'s own round
(the same spans handed to the sink's pipeline in-process) is the reference: the target is
``collect / sink ingest >= 0.5``.

    python benchmarks/collect.py [--spans 30000] [--rounds 3] [--write]

``--write`` also writes ``benchmarks/results/collect.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

#: The SDK BatchSpanProcessor's default batch, which an app's exporter sends per request.
EXPORT_BATCH = 512


def child(endpoint: str, n: int) -> None:
    """The sender: build the spans, say ready, wait for go, export them all."""
    from _spans import make_llm_spans
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SpanExportResult

    spans = make_llm_spans(n)
    exporter = OTLPSpanExporter(endpoint=endpoint, timeout=60)
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(0, n, EXPORT_BATCH):
        assert exporter.export(spans[i : i + EXPORT_BATCH]) is SpanExportResult.SUCCESS
    exporter.shutdown()


def collect_round(n: int, directory: str, index: int) -> float:
    from llm_agent._collect import _server

    server, ingest = _server.start(os.path.join(directory, f"collect-{index}.sqlite"), "127.0.0.1", 0)
    try:
        env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
        sender = subprocess.Popen(
            [sys.executable, __file__, "--child", f"{server.endpoint}/v1/traces", str(n)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert sender.stdout is not None and sender.stdin is not None
        assert sender.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        sender.stdin.write("go\n")
        sender.stdin.flush()
        assert sender.wait(600) == 0
        while ingest.stored < n:
            time.sleep(0.001)
        elapsed = time.perf_counter() - started
        assert ingest.stats()["dropped"] == 0 and ingest.rejected == 0
    finally:
        _server.stop(server)
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/collect.md")
    parser.add_argument("--child", nargs=2, metavar=("ENDPOINT", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    import sink_ingest
    from _spans import make_llm_spans

    spans = make_llm_spans(args.spans)
    received: list[float] = []
    direct: list[float] = []
    with tempfile.TemporaryDirectory() as directory:
        for i in range(args.rounds):  # interleaved, so a busy neighbour slows both alike
            received.append(collect_round(args.spans, directory, i))
            direct.append(sink_ingest.one_round(spans, directory, i))
    rc, rd = statistics.median(received), statistics.median(direct)
    lines = [
        f"collect (OTLP/HTTP protobuf from another process, {EXPORT_BATCH}-span requests): median {rc:,.0f} spans/s "
        f"(rounds: {', '.join(f'{r:,.0f}' for r in received)}; {args.spans:,} spans)",
        f"sink ingest in-process (sink_ingest.py's round, same spans): median {rd:,.0f} spans/s "
        f"(rounds: {', '.join(f'{r:,.0f}' for r in direct)})",
        f"collect / sink ingest: {rc / rd:.2f} (target >= 0.50)",
    ]
    print("\n".join(lines))
    if args.write:
        path = os.path.join(HERE, "results", "collect.md")
        with open(path, "w", encoding="utf-8") as f:
            f.write("# `llm-agent collect` throughput (benchmarks/collect.py)\n\n")
            f.write(f"{time.strftime('%Y-%m-%d', time.gmtime())}, {os.cpu_count()} cores, "
                    f"CPython {platform.python_version()}, {args.rounds} interleaved rounds\n\n")  # fmt: skip
            f.write("\n".join(f"- {line}" for line in lines) + "\n")


if __name__ == "__main__":
    main()
