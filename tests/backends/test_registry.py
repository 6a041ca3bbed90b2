"""Choosing backends: names, entry points, objects, SpanExporters; console and memory."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from llm_agent.backends import ExportResult, MemoryBackend, available_backends, register_backend
from llm_agent.backends.console import ConsoleBackend
from llm_agent.config import ConfigError, Settings
from llm_agent.export import Pipeline, to_record


def _run(pipeline: Pipeline, spans) -> None:
    for s in spans:
        for p in pipeline.processors:
            p.on_end(s)
    assert pipeline.flush(10.0)


def test_unknown_name_lists_accepted_values():
    with pytest.raises(ConfigError) as info:
        Pipeline(Settings(), ["sqlite3"])
    assert str(info.value) == (
        "option 'backends' (env LLM_AGENT_BACKENDS): unknown backend 'sqlite3'; accepted: "
        f"{', '.join(available_backends())}, or a Backend/SpanExporter object"
    )
    assert {"console", "http", "memory", "otlp", "sqlite"} <= set(available_backends())


def test_objects_that_are_not_backends_are_rejected():
    with pytest.raises(ConfigError, match=r"neither a backend name .* \(missing flush, shutdown\)"):
        Pipeline(Settings(), [type("Half", (), {"export": lambda self, r: None})()])
    with pytest.raises(ConfigError, match="'memory' is listed twice"):
        Pipeline(Settings(), ["memory", "memory"])


def test_entry_point_plugin_is_loaded_by_name(tmp_path, monkeypatch, make_span):
    (tmp_path / "acme_sink.py").write_text(
        textwrap.dedent(
            """
            from llm_agent.backends import ExportResult
            class AcmeBackend:
                def __init__(self, settings):
                    self.service = settings.service_name
                    self.got = []
                def export(self, records):
                    self.got.extend(records)
                    return ExportResult.SUCCESS
                def flush(self, timeout_s):
                    return True
                def shutdown(self, timeout_s):
                    pass
            """
        )
    )
    dist = tmp_path / "acme_sink-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-sink\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[llm_agent.backends]\nacme = acme_sink:AcmeBackend\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "acme" in available_backends()
    pipeline = Pipeline(Settings(service_name="svc-x"), ["acme"])
    _run(pipeline, [make_span(), make_span()])
    backend = pipeline.backends["acme"]
    pipeline.shutdown(2.0)
    assert backend.service == "svc-x" and [r.name for r in backend.got] == ["chat gpt-4o", "chat gpt-4o"]
    sys.modules.pop("acme_sink", None)


def test_register_backend_and_span_exporter_objects(make_span, monkeypatch):
    import llm_agent.backends

    monkeypatch.setattr(llm_agent.backends, "_registry", {})  # leave no registration behind
    memory = MemoryBackend()
    register_backend("mine", lambda settings: memory)
    exporter = InMemorySpanExporter()
    pipeline = Pipeline(Settings(), ["mine", exporter])
    span = make_span()
    _run(pipeline, [span])
    pipeline.shutdown(2.0)
    assert pipeline.memory is memory and memory.records == [to_record(span)]
    assert exporter.get_finished_spans() == (span,)  # the SDK span itself, not a copy
    assert set(pipeline.stats()["backends"]) == {"mine", "InMemorySpanExporter"}


def test_console_writes_one_json_line_per_span(capsys, make_span, llm_attrs, monkeypatch):
    span = make_span(attributes=llm_attrs(session="s"))
    assert ConsoleBackend().export([to_record(span)]) is ExportResult.SUCCESS
    (line,) = capsys.readouterr().err.splitlines()
    assert json.loads(line) == json.loads(json.dumps(to_record(span).to_dict()))
    monkeypatch.setenv("LLM_AGENT_CONSOLE_STREAM", "stdout")
    ConsoleBackend.from_settings(Settings()).export([to_record(span)])
    assert len(capsys.readouterr().out.splitlines()) == 1
    monkeypatch.setenv("LLM_AGENT_CONSOLE_STREAM", "printer")
    with pytest.raises(ConfigError, match="LLM_AGENT_CONSOLE_STREAM"):
        Pipeline(Settings(), ["console"])


def test_memory_backend_records_and_clear(make_span):
    memory = MemoryBackend()
    records = [to_record(make_span()) for _ in range(3)]
    memory.export(records[:2])
    memory.export(records[2:])
    snapshot = memory.records
    assert snapshot == records
    memory.clear()
    assert memory.records == [] and snapshot == records
