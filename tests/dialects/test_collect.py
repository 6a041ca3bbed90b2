"""``llm-agent collect``: the OTLP/HTTP receiver, fed by the official OTLP exporter and by hand.

Received spans must become exactly the rows the sink makes of the same spans in-process; every
answer follows the OTLP/HTTP specification; nothing accepted is ever lost (a full queue answers
503 + Retry-After and the exporter's own retry gets the spans in)."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from dialect_support import FIXTURES

from llm_agent import semconv
from llm_agent._collect import _server
from llm_agent._collect import cli as collect_cli
from llm_agent.backends._sqlite_rows import SPAN_COLUMNS, RowConverter, fast_encode

pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="the OTLP exporter (llm-agent[otlp]) is absent")
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def receiver(tmp_path: Any) -> Iterator[_server.CollectServer]:
    server, _ = _server.start(str(tmp_path / "sink.sqlite"), "127.0.0.1", 0)
    try:
        yield server
    finally:
        _server.stop(server)


def make_spans(n: int, tag: str = "s") -> list[Any]:
    """``n`` finished SDK spans: LLM calls under a chain root, with events, an error, a dialect span."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "app", "deployment.environment": "test"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("peer.instrumentation", "1.2.3")
    with tracer.start_as_current_span("root", attributes={"session.id": f"{tag}-sess", "user.id": "u"}):
        for i in range(n - 1):
            attrs = {semconv.GEN_AI_OPERATION_NAME: "chat", semconv.GEN_AI_REQUEST_MODEL: "gpt-4o",
                     semconv.GEN_AI_USAGE_INPUT_TOKENS: 10 + i, semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 5,
                     semconv.GEN_AI_RESPONSE_FINISH_REASONS: ("stop",), "llm.token_count.prompt_details.cache_read": 2,
                     "x.float": 0.5, "x.flag": True, "x.ints": (1, 2, 3)}  # fmt: skip
            with tracer.start_as_current_span(f"chat {i}", kind=SpanKind.CLIENT, attributes=attrs) as span:
                span.add_event("gen_ai.choice", {"index": 0})
                if i == 1:
                    span.set_status(Status(StatusCode.ERROR, "boom"))
    return list(memory.get_finished_spans())


def sink_rows(path: str) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"SELECT {', '.join(SPAN_COLUMNS)} FROM spans ORDER BY span_id").fetchall()


def in_process_rows(spans: list[Any]) -> list[tuple[Any, ...]]:
    convert = RowConverter(fast_encode)
    return sorted((convert.row(s) for s in spans), key=lambda r: r[1])


def sink_of(server: _server.CollectServer) -> str:
    return str(server.ingest.sink_path)


def post(server: _server.CollectServer, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict, bytes]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip], ids=["plain", "gzip"])
def test_exported_spans_become_the_rows_of_the_same_spans_in_process(
    receiver: _server.CollectServer, compression: Compression
) -> None:
    spans = make_spans(6)
    exporter = OTLPSpanExporter(endpoint=f"{receiver.endpoint}/v1/traces", compression=compression)
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    assert receiver.ingest.flush(30)
    assert sink_rows(sink_of(receiver)) == in_process_rows(spans)
    stats = receiver.ingest.stats()
    assert (stats["received"], stats["stored"], stats["rejected"], stats["queued"]) == (6, 6, 0, 0)


def test_otlp_json_and_partial_success(receiver: _server.CollectServer) -> None:
    line = (FIXTURES / "logfire.jsonl").read_bytes().splitlines()[0]
    status, headers, body = post(receiver, "/v1/traces", line, {"Content-Type": "application/json"})
    assert (status, headers["Content-Type"], json.loads(body)) == (200, "application/json", {})
    request = json.loads(line)
    bad = request["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    request["resourceSpans"][0]["scopeSpans"][0]["spans"].append({**bad, "spanId": "0000000000000000"})
    status, _, body = post(receiver, "/v1/traces", json.dumps(request).encode(), {"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (200, {"partialSuccess": {
        "rejectedSpans": "1", "errorMessage": "1 span(s) without a valid trace or span ID"}})  # fmt: skip
    assert receiver.ingest.flush(30)
    with contextlib.closing(sqlite3.connect(sink_of(receiver))) as conn:
        assert conn.execute("SELECT count(*), sum(input_tokens) FROM spans").fetchone() == (4, 180 + 80 + 100)
    assert (receiver.ingest.stats()["received"], receiver.ingest.stats()["rejected"]) == (8, 1)


def _status(body: bytes) -> tuple[int, str]:
    status = status_pb2.Status()
    status.ParseFromString(body)
    return status.code, status.message


def test_bad_requests_get_their_status_and_nothing_is_stored(receiver: _server.CollectServer) -> None:
    pb = {"Content-Type": "application/x-protobuf"}
    status, _, body = post(receiver, "/v1/traces", b"\x0a\xff\xff\xff\xff\x0fnot protobuf", pb)
    assert status == 400 and _status(body)[1].startswith("not an OTLP protobuf ExportTraceServiceRequest")
    status, _, body = post(receiver, "/v1/traces", b"{\"resourceSpans\": 5}", {"Content-Type": "application/json"})
    assert status == 400 and json.loads(body)["message"].startswith("not an OTLP JSON ExportTraceServiceRequest")
    status, _, body = post(receiver, "/v1/traces", b"{}", {"Content-Type": "text/plain"})
    assert (status, _status(body)) == (415, (3, "unsupported content type 'text/plain': send application/x-protobuf "
                                                "or application/json"))  # fmt: skip
    status, _, _ = post(receiver, "/v1/other", b"", pb)
    assert status == 404
    for ignored in ("/v1/metrics", "/v1/logs"):  # accepted and ignored, in either encoding
        assert (post(receiver, ignored, b"\x0a\x00", pb)[0], post(receiver, ignored, b"{}", pb)[2]) == (200, b"")
        assert post(receiver, ignored, b"{}", {"Content-Type": "application/json"})[::2] == (200, b"{}")
    assert receiver.ingest.flush(30)
    assert sink_rows(sink_of(receiver)) == []


def test_a_50_mb_body_and_a_gzip_bomb_get_413(receiver: _server.CollectServer) -> None:
    pb = {"Content-Type": "application/x-protobuf"}
    status, _, body = post(receiver, "/v1/traces", b"\0" * (50 * 1024 * 1024), pb)
    assert (status, _status(body)) == (413, (8, f"body of {50 * 1024 * 1024} bytes is over the limit of "
                                                f"{_server.MAX_BODY_BYTES}"))  # fmt: skip
    bomb = gzip.compress(b"\0" * (_server.MAX_BODY_BYTES + 1), compresslevel=9)
    assert len(bomb) < 100_000
    status, _, body = post(receiver, "/v1/traces", bomb, {**pb, "Content-Encoding": "gzip"})
    assert (status, _status(body)) == (413, (8, f"decompressed body over {_server.MAX_BODY_BYTES} bytes"))
    # The receiver is still there and still stores what it gets.
    assert OTLPSpanExporter(endpoint=f"{receiver.endpoint}/v1/traces").export(make_spans(2)) is SpanExportResult.SUCCESS
    assert receiver.ingest.flush(30) and len(sink_rows(sink_of(receiver))) == 2


def test_twenty_concurrent_exporters_lose_nothing(receiver: _server.CollectServer) -> None:
    batches = [make_spans(25, tag=f"t{i}") for i in range(20)]
    results: list[Any] = []

    def send(spans: list[Any]) -> None:
        exporter = OTLPSpanExporter(endpoint=f"{receiver.endpoint}/v1/traces")
        results.extend(exporter.export(spans[j : j + 5]) for j in range(0, len(spans), 5))

    threads = [threading.Thread(target=send, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [SpanExportResult.SUCCESS] * 100
    assert receiver.ingest.flush(30)
    assert sink_rows(sink_of(receiver)) == in_process_rows([s for b in batches for s in b])


def test_a_full_queue_answers_503_and_the_exporters_retry_gets_everything_in(tmp_path: Any) -> None:
    server, ingest = _server.start(str(tmp_path / "sink.sqlite"), "127.0.0.1", 0, queue_spans=50, offer_wait_s=0.05)
    lock = sqlite3.connect(str(tmp_path / "sink.sqlite"), isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")  # the sink cannot commit: its queue fills and stays full
        batches = [make_spans(40, tag=f"q{i}") for i in range(3)]
        results: list[Any] = []

        def send(spans: list[Any]) -> None:
            results.append(OTLPSpanExporter(endpoint=f"{server.endpoint}/v1/traces", timeout=30).export(spans))

        threads = [threading.Thread(target=send, args=(b,)) for b in batches]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while ingest.refused == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ingest.refused >= 1  # at most 50 spans fit: someone was told to come back
        lock.execute("ROLLBACK")
        for t in threads:
            t.join(60)
        assert results == [SpanExportResult.SUCCESS] * 3
        assert ingest.flush(30)
        assert sink_rows(str(tmp_path / "sink.sqlite")) == in_process_rows([s for b in batches for s in b])
        assert ingest.stats()["dropped"] == 0
    finally:
        lock.close()
        _server.stop(server)


def test_503_carries_retry_after(tmp_path: Any) -> None:
    server, _ = _server.start(str(tmp_path / "sink.sqlite"), "127.0.0.1", 0, queue_spans=4, offer_wait_s=0.0)
    try:
        line = (FIXTURES / "mixed.jsonl").read_bytes().splitlines()[0]  # 2 spans
        request = json.loads(line)
        spans = request["resourceSpans"][0]["scopeSpans"][0]["spans"]
        request["resourceSpans"][0]["scopeSpans"][0]["spans"] = [
            {**spans[i % 2], "spanId": f"{i + 1:016x}"} for i in range(5)
        ]
        status, headers, body = post(server, "/v1/traces", json.dumps(request).encode(),
                                     {"Content-Type": "application/json"})  # fmt: skip
        assert (status, json.loads(body)["code"]) == (413, 8)  # more spans than the queue holds: never fits
        request["resourceSpans"][0]["scopeSpans"][0]["spans"] = [
            {**spans[i % 2], "spanId": f"{i + 1:016x}"} for i in range(4)
        ]
        with contextlib.closing(sqlite3.connect(str(tmp_path / "sink.sqlite"), isolation_level=None)) as lock:
            lock.execute("BEGIN EXCLUSIVE")
            body = json.dumps(request).encode()
            assert post(server, "/v1/traces", body, {"Content-Type": "application/json"})[0] == 200
            deadline = time.monotonic() + 10
            answers = []
            while time.monotonic() < deadline:  # once the writer holds the first 4, the next 4 fill the queue
                status, headers, body = post(server, "/v1/traces", json.dumps(request).encode(),
                                             {"Content-Type": "application/json"})  # fmt: skip
                answers.append(status)
                if status == 503:
                    break
            lock.execute("ROLLBACK")
        assert (status, headers["Retry-After"], json.loads(body)) == (
            503, "1", {"code": 14, "message": "the sink's queue is full; retry later"})  # fmt: skip
        assert set(answers) <= {200, 503}
    finally:
        _server.stop(server)


def test_a_port_in_use_is_one_line(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from llm_agent import cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = cli.main(["collect", "--db", str(tmp_path / "s.sqlite"), "--port", str(port)])
    err = capsys.readouterr().err
    assert (code, err) == (1, f"llm-agent: port {port} on 127.0.0.1 is in use (another receiver, an OpenTelemetry "
                              "Collector?): try --port\n")  # fmt: skip


def test_collect_command_counts_and_stops_cleanly_on_ctrl_c(tmp_path: Any) -> None:
    sink = str(tmp_path / "sink.sqlite")
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "llm_agent.cli", "collect", "--db", sink, "--port", "0"],
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)  # fmt: skip
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert first.startswith("llm-agent collect: receiving OTLP/HTTP at http://127.0.0.1:"), first
        endpoint = first.split(" at ", 1)[1].split(" ", 1)[0]
        spans = make_spans(5)
        assert OTLPSpanExporter(endpoint=endpoint).export(spans) is SpanExportResult.SUCCESS
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert rest.strip().splitlines()[-1] == "llm-agent collect: received 5  stored 5  rejected 0  queued 0"
    assert sink_rows(sink) == in_process_rows(spans)


def test_ui_collect_runs_the_receiver_beside_the_page(tmp_path: Any) -> None:
    server = collect_cli.start_beside_ui(str(tmp_path / "sink.sqlite"), port=0)
    try:
        exporter = OTLPSpanExporter(endpoint=f"{server.endpoint}/v1/traces")
        assert exporter.export(make_spans(3)) is SpanExportResult.SUCCESS
    finally:
        collect_cli.stop(server)
    assert len(sink_rows(str(tmp_path / "sink.sqlite"))) == 3
