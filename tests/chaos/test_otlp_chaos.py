"""Chaos backend: an OTLP/HTTP collector on 127.0.0.1 that misbehaves in turn.

Each export request meets the next behaviour of the cycle: 200, 429 with Retry-After, 503, a hang
past the export timeout, a reset connection, and refusal (the listener is closed for a moment).
While it cycles, the app makes real instrumented OpenAI calls. Checked exactly:

* exported + dropped-by-reason == produced for the otlp backend (``llm_agent.stats()``), and the
  collector's 200s hold exactly the exported spans;
* the queue never holds more than its bound (memory stays bounded);
* the app's calls all succeed. Their latency is measured and printed (healthy vs chaos phase),
  not asserted: timing assertions are flaky on a shared machine.
"""

from __future__ import annotations

import itertools
import socket
import statistics
import struct
import threading
import time
from typing import Any

import openai
import openai._base_client as _base_client
import pytest

import llm_agent
from llm_agent.testing import capture_spans

pytest.importorskip("opentelemetry.exporter.otlp.proto.http.trace_exporter")
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

HTTP: Any = getattr(_base_client, "httpx2", None) or _base_client.httpx
BEHAVIOURS = ("ok", "429", "503", "hang", "reset", "refuse")
EXPORT_TIMEOUT_S = 0.4
HANG_S = EXPORT_TIMEOUT_S * 3
REFUSE_S = 0.3
QUEUE = 256
CALLS = 400


class ChaosCollector:
    """A tiny HTTP/1.1 server on a raw socket, so it can hang, reset and refuse at will."""

    def __init__(self) -> None:
        self.cycle = itertools.cycle(BEHAVIOURS)
        self.lock = threading.Lock()
        self.accepted_spans = 0
        self.seen: dict[str, int] = dict.fromkeys(BEHAVIOURS, 0)
        self.stopping = threading.Event()
        self.listener = self._listen(0)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _listen(self, port: int) -> socket.socket:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(64)
        s.settimeout(0.1)
        return s

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes | None:
        conn.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            body += chunk
        return body

    def _handle(self, conn: socket.socket) -> None:
        try:
            body = self._read_request(conn)
            if body is None:
                return
            with self.lock:
                behaviour = next(self.cycle)
                self.seen[behaviour] += 1
            if behaviour == "ok":
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                n = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
                with self.lock:
                    self.accepted_spans += n
                self._reply(conn, b"200 OK")
            elif behaviour == "429":
                self._reply(conn, b"429 Too Many Requests", b"Retry-After: 0\r\n")
            elif behaviour == "503":
                self._reply(conn, b"503 Service Unavailable")
            elif behaviour == "hang":
                time.sleep(HANG_S)
            elif behaviour == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif behaviour == "refuse":
                self._refuse_for(REFUSE_S)
        except OSError:
            pass
        finally:
            conn.close()

    def _refuse_for(self, seconds: float) -> None:
        with self.lock:
            self.listener.close()
        time.sleep(seconds)
        with self.lock:
            self.listener = self._listen(self.port)
        threading.Thread(target=self._serve, daemon=True).start()

    @staticmethod
    def _reply(conn: socket.socket, status: bytes, extra: bytes = b"") -> None:
        conn.sendall(
            b"HTTP/1.1 " + status + b"\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n"
            + extra + b"connection: close\r\n\r\n"
        )  # fmt: skip

    def close(self) -> None:
        self.stopping.set()
        self.listener.close()


def chat_client() -> Any:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    transport = HTTP.MockTransport(lambda request: HTTP.Response(200, json=body))
    return openai.OpenAI(
        api_key="test_openai_api_key",
        base_url="https://api.openai.com/v1",
        max_retries=0,
        http_client=HTTP.Client(transport=transport),
    )


def timed_calls(client: Any, n: int, queued: list[int] | None) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        out.append(time.perf_counter() - t0)
        if queued is not None and i % 10 == 0:
            queued.append(llm_agent.stats()["backends"]["otlp"]["queued"])
            time.sleep(0.005)  # spread the calls over several export cycles
    return out


def test_exported_plus_dropped_equals_produced_under_a_flapping_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    collector = ChaosCollector()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"http://127.0.0.1:{collector.port}/v1/traces")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", str(EXPORT_TIMEOUT_S))
    client = chat_client()
    queued: list[int] = []
    try:
        # healthy phase: the same calls with only the in-memory backend
        with capture_spans(instrument=["openai"]):
            healthy = timed_calls(client, CALLS // 4, None)
        with capture_spans(
            instrument=["openai"],
            backends=["otlp", "memory"],
            max_queue_size=QUEUE,
            max_export_batch_size=16,
            schedule_delay_s=0.02,
            export_timeout_s=EXPORT_TIMEOUT_S,
            retry_max_time_s=1.0,
            shutdown_timeout_s=3.0,
        ) as spans:
            chaos = timed_calls(client, CALLS, queued)
            produced = len(spans.records)  # the memory backend sees every span
            llm_agent.flush(10.0)
            spans.agent.shutdown(3.0)  # the handle keeps its pipeline's final counts
            stats = spans.agent.stats()
    finally:
        collector.close()

    print(
        f"\napp call latency: healthy median {statistics.median(healthy) * 1e6:.0f} us, "
        f"chaos median {statistics.median(chaos) * 1e6:.0f} us; collector saw {collector.seen}"
    )
    assert produced == CALLS
    assert max(queued) <= QUEUE
    assert all(collector.seen[b] > 0 for b in ("ok", "429", "503")), collector.seen
    otlp = stats["backends"]["otlp"]
    assert otlp["queued"] == 0
    dropped = sum(otlp["dropped"].values())
    assert (otlp["exported"] + dropped, otlp["exported"]) == (produced, collector.accepted_spans), otlp
