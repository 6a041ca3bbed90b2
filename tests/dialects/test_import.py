"""``llm-agent import``: OTLP JSON lines and OTLP protobuf files (plain or gzip) into the sink,
idempotently, skipping (and naming) malformed lines."""

from __future__ import annotations

import contextlib
import gzip
import io
import sqlite3
import struct
from pathlib import Path
from typing import Any

import pytest
from dialect_support import FIXTURES, import_files
from rollup_check import assert_rollups_match

import llm_agent.analysis
from llm_agent import cli
from llm_agent._collect import _decode, _import

ALL = ("vercel.jsonl", "logfire.jsonl", "mixed.jsonl")
W = {"since": "2026-03-01T00:00:00Z", "until": "2026-03-02T00:00:00Z", "limit": None}


def _requests() -> list[Any]:
    return [_decode.parse_json(line) for n in ALL for line in (FIXTURES / n).read_bytes().splitlines()]


def _state(sink: str) -> tuple[Any, ...]:
    with contextlib.closing(sqlite3.connect(sink)) as conn:
        spans = conn.execute("SELECT * FROM spans ORDER BY trace_id, span_id").fetchall()
        traces = conn.execute("SELECT * FROM traces ORDER BY trace_id").fetchall()
    with llm_agent.analysis.open(sink) as store:
        return spans, traces, store.sessions(**W), store.models(since=W["since"], until=W["until"])


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ...]:
    sink = str(tmp_path_factory.mktemp("ref") / "sink.sqlite")
    import_files(sink, *(FIXTURES / n for n in ALL))
    return _state(sink)


def _write(path: Path, data: bytes, gz: bool) -> Path:
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("fmt", ["json-lines", "json-pretty", "proto-delimited", "proto-bare"])
def test_every_format_imports_the_same_spans_and_twice_changes_nothing(
    tmp_path: Path, reference: tuple[Any, ...], fmt: str, gz: bool
) -> None:
    requests = _requests()
    if fmt == "json-lines":
        files = [_write(tmp_path / "t.jsonl", b"".join((FIXTURES / n).read_bytes() for n in ALL), gz)]
    elif fmt == "json-pretty":  # one request per file, indented over many lines
        from google.protobuf import json_format

        files = []
        for i, r in enumerate(requests):
            text = json_format.MessageToJson(r, indent=2)  # base64 IDs: protobuf's own JSON...
            data = _decode.json.loads(text)
            _hex(data)  # ...rewritten to OTLP JSON's hex IDs
            files.append(_write(tmp_path / f"r{i}.json", _decode.json.dumps(data, indent=2).encode(), gz))
    elif fmt == "proto-delimited":
        data = b"".join(struct.pack(">I", len(b)) + b for b in (r.SerializeToString() for r in requests))
        files = [_write(tmp_path / "t.pb", data, gz)]
    else:
        merged = _decode._pb().ExportTraceServiceRequest()
        for r in requests:
            merged.MergeFrom(r)
        files = [_write(tmp_path / "t.binpb", merged.SerializeToString(), gz)]
    sink = str(tmp_path / "sink.sqlite")
    first = import_files(sink, *files)
    assert (first.spans, first.rejected, first.skipped) == (23, 0, [])
    assert _state(sink) == reference
    again = import_files(sink, *files)
    assert again.spans == 23
    assert _state(sink) == reference
    assert_rollups_match(sink)


def _hex(obj: Any) -> None:
    import base64

    if isinstance(obj, list):
        for o in obj:
            _hex(o)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str):
                obj[k] = base64.b64decode(v).hex()
            elif k != "attributes":
                _hex(v)


def test_a_malformed_line_is_named_skipped_and_the_rest_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], reference: tuple[Any, ...]
) -> None:
    lines = b"".join((FIXTURES / n).read_bytes() for n in ALL).splitlines()
    bad = [*lines[:3], b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}', b"{not json",
           *lines[3:]]  # fmt: skip
    path = tmp_path / "bad.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n".join(bad) + b"\n"))
    sink = str(tmp_path / "sink.sqlite")
    code = cli.main(["import", "--db", sink, str(path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.splitlines() == [
        f"{path}:4: line skipped: traceId 'zz' is not hex",
        f"{path}:5: line skipped: not JSON: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)",
    ]
    assert out == f"imported 23 spans from 1 file(s) into {sink}, 2 skipped\n"
    assert _state(sink) == reference


def test_a_reimported_span_keeps_its_first_copy_and_rollups_stay_exact(tmp_path: Path) -> None:
    line = (FIXTURES / "logfire.jsonl").read_bytes().splitlines()[0]
    changed = line.replace(b'"intValue":"80"', b'"intValue":"999"')
    assert changed != line
    sink = str(tmp_path / "sink.sqlite")
    import_files(sink, _write(tmp_path / "a.jsonl", line, False))
    import_files(sink, _write(tmp_path / "b.jsonl", changed, False))
    with llm_agent.analysis.open(sink) as store:
        (s,) = store.sessions(**W)
    assert (s.input_tokens, s.llm_calls) == (180, 2)
    assert_rollups_match(sink)


def test_cli_import_of_a_missing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["import", "--db", str(tmp_path / "s.sqlite"), str(tmp_path / "nope.jsonl")])
    assert (code, capsys.readouterr().err) == (1, f"llm-agent: no such file: {str(tmp_path / 'nope.jsonl')!r}\n")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_for_large_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_import, "PROGRESS_MIN_BYTES", 1)
    path = tmp_path / "t.jsonl"
    path.write_bytes((FIXTURES / "vercel.jsonl").read_bytes())
    for stream, shows in ((_Terminal(), True), (io.StringIO(), False)):
        result = _import.ImportResult()
        ingest = _import.Ingest(str(tmp_path / "sink.sqlite"))
        try:
            _import.import_file(str(path), ingest, result, stream)
        finally:
            ingest.close()
        text = stream.getvalue()
        assert (text.endswith("t.jsonl [#########################] 100%\n"), text == "") == (shows, not shows)


def test_a_malformed_first_line_does_not_hide_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"{not json\n" + (FIXTURES / "vercel.jsonl").read_bytes())
    result = import_files(str(tmp_path / "sink.sqlite"), path)
    assert (result.spans, len(result.skipped)) == (8, 1)
