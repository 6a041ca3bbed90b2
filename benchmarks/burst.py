"""A 100k-span burst, produced as fast as the app can, at default settings.

1. llm_agent: ``init()`` with the default ``sqlite`` backend and default queue/batch/delay; the app
   thread creates 100k LLM-call spans in a tight loop; reports drops (expected: zero), the
   producer's rate and the time until everything is committed.
2. For comparison, the OpenTelemetry SDK's ``BatchSpanProcessor`` (default settings) feeding the
   OTLP/HTTP exporter, with a local collector in a subprocess; spans that never reach the
   collector were dropped by the processor's full queue.

    python benchmarks/burst.py [--spans 100000] [--rounds 3] [--no-sdk]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ATTRS = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 120,
    "gen_ai.usage.output_tokens": 35,
    "gen_ai.span.kind": "LLM",
    "server.address": "api.openai.com",
    "server.port": 443,
}


def _produce(tracer, n: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for i in range(n):
        with tracer.start_as_current_span(
            "chat gpt-4o-mini", attributes={**ATTRS, "session.id": f"s{i % 100}", "user.id": f"u{i % 7}"}
        ):
            pass
    return time.perf_counter() - started


def llm_agent_round(n: int, directory: str, index: int) -> dict[str, float]:
    import llm_agent
    from llm_agent._state import get_tracer

    path = os.path.join(directory, f"burst-{index}.sqlite")
    llm_agent.init(backends=["sqlite"], sink_path=path, instrument=[])
    tracer = get_tracer()
    started = time.perf_counter()
    produce_s = _produce(tracer, n)
    assert llm_agent.flush(600.0)
    total_s = time.perf_counter() - started
    stats = llm_agent.stats()["backends"]["sqlite"]
    llm_agent.shutdown()
    import sqlite3

    rows = sqlite3.connect(path).execute("SELECT count(*) FROM spans").fetchone()[0]
    return {
        "dropped": sum(stats["dropped"].values()),
        "rows": rows,
        "produce_rate": n / produce_s,
        "stored_rate": n / total_s,
    }


_COLLECTOR = textwrap.dedent(
    """
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    received = 0
    class H(BaseHTTPRequestHandler):
        def do_POST(self):
            global received
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/count":
                out = str(received).encode()
            else:
                msg = ExportTraceServiceRequest(); msg.ParseFromString(body)
                received += sum(len(ss.spans) for rs in msg.resource_spans for ss in rs.scope_spans)
                out = b""
            self.send_response(200); self.send_header("Content-Length", str(len(out))); self.end_headers()
            self.wfile.write(out)
        def log_message(self, *a):
            pass
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
    print(httpd.server_address[1], flush=True)
    httpd.serve_forever()
    """
)


def sdk_round(n: int) -> dict[str, float]:
    import requests
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    server = subprocess.Popen([sys.executable, "-c", _COLLECTOR], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces")))
        tracer = provider.get_tracer("bench")
        produce_s = _produce(tracer, n)
        provider.force_flush(600_000)
        provider.shutdown()
        received = int(requests.post(f"http://127.0.0.1:{port}/count", data=b"", timeout=10).text)
    finally:
        server.terminate()
        server.wait()
    return {"dropped": n - received, "rows": received, "produce_rate": n / produce_s, "stored_rate": float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-sdk", action="store_true", help="skip the SDK BatchSpanProcessor comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        ours = [llm_agent_round(args.spans, directory, i) for i in range(args.rounds)]
    med = {k: statistics.median(r[k] for r in ours) for k in ours[0]}
    print(
        f"llm_agent (sqlite, defaults): {args.spans:,} spans, dropped median {med['dropped']:,.0f} "
        f"(per round: {[int(r['dropped']) for r in ours]}), rows {med['rows']:,.0f}, "
        f"app produced {med['produce_rate']:,.0f} spans/s, all committed at {med['stored_rate']:,.0f} spans/s"
    )
    if not args.no_sdk:
        sdk = [sdk_round(args.spans) for _ in range(args.rounds)]
        print(
            f"SDK BatchSpanProcessor + OTLP (defaults): dropped median "
            f"{statistics.median(r['dropped'] for r in sdk):,.0f} of {args.spans:,} "
            f"(per round: {[int(r['dropped']) for r in sdk]}), app produced "
            f"{statistics.median(r['produce_rate'] for r in sdk):,.0f} spans/s"
        )


if __name__ == "__main__":
    main()
