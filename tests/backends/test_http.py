"""The ``http`` backend through the real pipeline against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import email.utils
import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from llm_agent.backends import ExportResult, RetryAfter
from llm_agent.backends.http import HttpBackend, parse_headers
from llm_agent.config import ConfigError, Settings
from llm_agent.export import Pipeline, to_record


class Server:
    """Answers each POST with the next scripted (status, headers, body, delay_s)."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str], bytes, float]] = []
        self.requests: list[tuple[dict[str, str], dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if headers.get("content-encoding") == "gzip":
                    raw = gzip.decompress(raw)
                outer.requests.append((headers, json.loads(raw)))
                status, extra, body, delay = outer.script.pop(0) if outer.script else (200, {}, b"", 0.0)
                time.sleep(delay)
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1/spans"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


def _records(make_span, llm_attrs, n: int = 3):
    return [to_record(make_span(attributes=llm_attrs(session="s1", user="alice"))) for _ in range(n)]


def test_200_posts_documented_json_gzip_with_headers_from_env(server, make_span, llm_attrs, monkeypatch):
    monkeypatch.setenv("LLM_AGENT_HTTP_ENDPOINT", server.url)
    monkeypatch.setenv("LLM_AGENT_HTTP_HEADERS", "Authorization=Bearer%20tok,X-Team=ml")
    backend = HttpBackend.from_settings(Settings())
    records = _records(make_span, llm_attrs)
    assert backend.export(records) is ExportResult.SUCCESS
    (headers, body), = server.requests
    assert headers["authorization"] == "Bearer tok" and headers["x-team"] == "ml"
    assert headers["content-encoding"] == "gzip" and headers["content-type"] == "application/json"
    assert set(body) == {"schema", "sent_at_ns", "spans"} and body["schema"] == "llm_agent.spans/v1"
    assert body["spans"] == [json.loads(json.dumps(r.to_dict())) for r in records]


def test_retry_after_both_forms_and_503_then_success_through_pipeline(server, make_span, llm_attrs):
    later = email.utils.formatdate(time.time() + 1, usegmt=True)
    server.script = [
        (429, {"Retry-After": "0"}, b"", 0.0),
        (429, {"Retry-After": later}, b"", 0.0),
        (503, {}, b"", 0.0),
        (200, {}, b"", 0.0),
    ]
    backend = HttpBackend(server.url, gzip_body=False)
    settings = Settings.resolve(schedule_delay_s=0.05, retry_max_time_s=20.0, instrument=[])
    pipeline = Pipeline(settings, [backend])
    spans = [make_span(attributes=llm_attrs()) for _ in range(5)]
    for s in spans:
        pipeline.processors[0].on_end(s)
    assert pipeline.flush(30.0)
    stats = pipeline.stats()["backends"]["http"]
    pipeline.shutdown(5.0)
    assert stats == {"exported": 5, "retried": 3, "queued": 0, "in_flight": 0,
                     "dropped": {"queue_full": 0, "export_failed": 0, "shutdown": 0, "too_large": 0,
                                 "invalid": 0}}  # fmt: skip
    assert len(server.requests) == 4
    assert all(len(body["spans"]) == 5 for _, body in server.requests)


def test_status_mapping(server, make_span, llm_attrs, caplog):
    backend = HttpBackend(server.url)
    records = _records(make_span, llm_attrs, 1)
    server.script = [
        (429, {"Retry-After": "7"}, b"", 0.0),
        (400, {}, b'{"error": "bad field spans[0]"}', 0.0),
        (400, {}, b'{"error": "second"}', 0.0),
        (413, {}, b"", 0.0),
        (502, {}, b"", 0.0),
        (408, {}, b"", 0.0),
    ]
    assert backend.export(records) == RetryAfter(7.0)
    assert backend.export(records) is ExportResult.FAILURE
    assert backend.export(records) is ExportResult.FAILURE
    assert backend.export(records) is ExportResult.TOO_LARGE
    assert backend.export(records) is ExportResult.RETRYABLE
    assert backend.export(records) is ExportResult.RETRYABLE
    logged = [r.getMessage() for r in caplog.records if "rejected" in r.getMessage()]
    assert len(logged) == 1 and "HTTP 400" in logged[0] and "bad field spans[0]" in logged[0]


def test_400_is_not_retried_and_counted_export_failed(server, make_span, llm_attrs):
    server.script = [(400, {}, b"nope", 0.0)]
    settings = Settings.resolve(schedule_delay_s=0.05, instrument=[])
    pipeline = Pipeline(settings, [HttpBackend(server.url)])
    for _ in range(3):
        pipeline.processors[0].on_end(make_span(attributes=llm_attrs()))
    assert pipeline.flush(10.0)
    stats = pipeline.stats()["backends"]["http"]
    pipeline.shutdown(2.0)
    assert (stats["exported"], stats["retried"], stats["dropped"]["export_failed"]) == (0, 0, 3)
    assert len(server.requests) == 1


def test_slow_response_times_out_as_retryable(server, make_span, llm_attrs):
    server.script = [(200, {}, b"", 1.0)]
    backend = HttpBackend(server.url, timeout_s=0.2)
    assert backend.export(_records(make_span, llm_attrs, 1)) is ExportResult.RETRYABLE


def test_refused_connection_is_retryable_then_dropped_within_retry_bound(make_span, llm_attrs):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    backend = HttpBackend(f"http://127.0.0.1:{port}/x")
    assert backend.export(_records(make_span, llm_attrs, 1)) is ExportResult.RETRYABLE
    settings = Settings.resolve(schedule_delay_s=0.05, retry_max_time_s=1.0, instrument=[])
    pipeline = Pipeline(settings, [backend])
    for _ in range(4):
        pipeline.processors[0].on_end(make_span(attributes=llm_attrs()))
    assert pipeline.flush(10.0)
    stats = pipeline.stats()["backends"]["http"]
    pipeline.shutdown(2.0)
    assert stats["dropped"]["export_failed"] == 4 and stats["exported"] == 0 and stats["retried"] >= 1


def test_missing_endpoint_and_bad_headers_fail_at_init(monkeypatch):
    monkeypatch.delenv("LLM_AGENT_HTTP_ENDPOINT", raising=False)
    with pytest.raises(ConfigError, match="set LLM_AGENT_HTTP_ENDPOINT"):
        Pipeline(Settings(), ["http"])
    with pytest.raises(ConfigError, match="LLM_AGENT_HTTP_HEADERS"):
        parse_headers("novalue")
    with pytest.raises(ConfigError, match="expected an http"):
        HttpBackend("ftp://example/x")
