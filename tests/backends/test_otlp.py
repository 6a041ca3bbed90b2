"""The ``otlp`` backend (official OTLP/HTTP exporter) against a real server decoding the protobuf."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from llm_agent.config import ConfigError, Settings
from llm_agent.export import Pipeline


class Collector:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], ExportTraceServiceRequest]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                msg = ExportTraceServiceRequest()
                msg.ParseFromString(body)
                outer.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, msg))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def collector() -> Iterator[Collector]:
    c = Collector()
    yield c
    c.httpd.shutdown()
    c.httpd.server_close()


def _value(any_value):
    return getattr(any_value, any_value.WhichOneof("value"))


def test_spans_arrive_as_otlp_protobuf_with_attributes(collector, make_span, llm_attrs, monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=secret1")
    pipeline = Pipeline(Settings.resolve(schedule_delay_s=0.05, instrument=[]), ["otlp"])
    spans = [
        make_span(trace_id=0xABC, span_id=0x10 + i, attributes=llm_attrs(session="s1", user="alice")) for i in range(3)
    ]
    for s in spans:
        pipeline.processors[0].on_end(s)
    assert pipeline.flush(10.0)
    stats = pipeline.stats()["backends"]["otlp"]
    pipeline.shutdown(5.0)
    assert stats["exported"] == 3 and not any(stats["dropped"].values())
    ((path, headers, msg),) = collector.requests
    assert path == "/v1/traces" and headers["x-api-key"] == "secret1"
    assert headers["content-type"] == "application/x-protobuf"
    (rs,) = msg.resource_spans
    assert {a.key: _value(a.value) for a in rs.resource.attributes}["service.name"] == "svc-test"
    (ss,) = rs.scope_spans
    assert ss.scope.name == "llm_agent"
    got = sorted(ss.spans, key=lambda s: s.span_id)
    assert [s.span_id.hex() for s in got] == [format(0x10 + i, "016x") for i in range(3)]
    assert all(s.trace_id.hex() == format(0xABC, "032x") and s.name == "chat gpt-4o" for s in got)
    assert {a.key: _value(a.value) for a in got[0].attributes} == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.span.kind": "LLM",
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 5,
        "session.id": "s1",
        "user.id": "alice",
    }


def test_missing_exporter_package_names_the_pip_command(monkeypatch):
    # A None entry in sys.modules makes the import fail exactly as if the package were absent.
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    with pytest.raises(ConfigError) as info:
        Pipeline(Settings(), ["otlp"])
    assert "pip install 'llm-agent[otlp]'" in str(info.value)
    assert "LLM_AGENT_BACKENDS" in str(info.value)
