"""``llm-agent import FILE...``: OTLP trace files into the sink.

Formats, recognised by content (gzip by its magic bytes, whatever the name):

* OTLP JSON, the Collector's file exporter's: one ``ExportTraceServiceRequest`` per line (a file
  holding one pretty-printed request is read whole);
* OTLP protobuf: the file exporter's ``format: proto`` (each message after its 4-byte big-endian
  length), or one bare serialised ``ExportTraceServiceRequest``.

Idempotent: the sink keys spans by (trace_id, span_id) and keeps the first copy, and a trace that
already has spans is recomputed from all its stored spans, so importing a file twice stores and
counts each span once.  A line that does not decode is reported with its number and skipped; the
rest is imported.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Final

from llm_agent._collect import _decode
from llm_agent._collect._ingest import Ingest

#: Files at least this large show a progress bar (on a terminal only).
PROGRESS_MIN_BYTES: Final = 4 * 1024 * 1024
_GZIP_MAGIC: Final = b"\x1f\x8b"
#: Longest wait, in seconds, for room in the queue before an import gives up on a request.
_OFFER_WAIT_S: Final = 300.0


@dataclass
class ImportResult:
    files: int = 0
    spans: int = 0
    rejected: int = 0
    #: ``"FILE:LINE: why"`` for each line (or message) skipped.
    skipped: list[str] = field(default_factory=list)


class _Progress:
    def __init__(self, name: str, size: int, stream: Any) -> None:
        self._on = size >= PROGRESS_MIN_BYTES and bool(getattr(stream, "isatty", lambda: False)())
        self._name, self._size, self._stream, self._shown = name, max(1, size), stream, -1

    def update(self, position: int) -> None:
        if not self._on:
            return
        percent = min(100, position * 100 // self._size)
        if percent != self._shown:
            self._shown = percent
            bar = "#" * (percent // 4)
            print(f"\r\x1b[2K{self._name} [{bar:<25}] {percent:3d}%", end="", file=self._stream, flush=True)

    def done(self) -> None:
        if self._on:
            print(file=self._stream, flush=True)


def _requests(raw: IO[bytes], text_like: bool) -> Iterator[tuple[int, Any]]:
    """(line or message number, request or DecodeError) for each request of the stream."""
    if text_like:
        first = True
        buffered: list[bytes] = []
        for number, line in enumerate(raw, start=1):
            if not line.strip():
                continue
            if first and line.strip() == b"{":
                # One pretty-printed request spread over lines: read it whole.
                buffered.append(line)
                buffered.extend(raw)
                break
            first = False
            try:
                yield number, _decode.parse_json(line)
            except _decode.DecodeError as exc:
                yield number, exc
        if buffered:
            try:
                yield 1, _decode.parse_json(b"".join(buffered))
            except _decode.DecodeError as exc:
                yield 1, exc
        return
    data = raw.read()
    messages = _length_prefixed(data)
    if messages is None:
        try:
            yield 1, _decode.parse_protobuf(data)
        except _decode.DecodeError as exc:
            yield 1, exc
        return
    for number, message in enumerate(messages, start=1):
        try:
            yield number, _decode.parse_protobuf(message)
        except _decode.DecodeError as exc:
            yield number, exc


def _length_prefixed(data: bytes) -> list[bytes] | None:
    """The messages of a length-prefixed stream, or ``None`` when ``data`` is not one."""
    out, pos = [], 0
    while pos < len(data):
        if pos + 4 > len(data):
            return None
        (n,) = struct.unpack_from(">I", data, pos)
        if n == 0 or pos + 4 + n > len(data):
            return None
        out.append(data[pos + 4 : pos + 4 + n])
        pos += 4 + n
    return out or None


def _open(path: str) -> tuple[IO[bytes], IO[bytes], bool]:
    """(stream to read, underlying file for the progress position, looks like JSON)."""
    f = open(path, "rb")
    head = f.read(2)
    f.seek(0)
    stream: IO[bytes] = gzip.GzipFile(fileobj=f) if head == _GZIP_MAGIC else f
    peek = stream.read(64)
    stream = io.BufferedReader(_Prepend(peek, stream)) if peek else stream  # type: ignore[arg-type]
    return stream, f, peek.lstrip()[:1] in (b"{", b"[")


class _Prepend(io.RawIOBase):
    """A stream with some already-read bytes put back in front."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n], self._head = self._head[:n], self._head[n:]
            return n
        chunk = self._rest.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def import_file(path: str, ingest: Ingest, result: ImportResult, stream: Any = None) -> None:
    stream = stream or sys.stderr
    raw, underlying, text_like = _open(path)
    progress = _Progress(os.path.basename(path), os.path.getsize(path), stream)
    try:
        for number, request in _requests(raw, text_like):
            progress.update(underlying.tell())
            if isinstance(request, _decode.DecodeError):
                where = "line" if text_like else "message"
                result.skipped.append(f"{path}:{number}: {where} skipped: {str(request)[:200]}")
                continue
            spans, rejected = _decode.spans_from_request(request)
            result.rejected += rejected
            ingest.reject(rejected)
            step = max(1, ingest.queue_spans // 2)
            for i in range(0, len(spans), step):
                chunk = spans[i : i + step]
                if not ingest.offer(chunk, wait_s=_OFFER_WAIT_S):
                    raise RuntimeError("the sink does not keep up (queue full for minutes)")
                result.spans += len(chunk)
    finally:
        progress.done()
        raw.close()
        underlying.close()
    result.files += 1


def run(paths: list[str], sink_path: str | None, stream: Any = None) -> tuple[ImportResult, str]:
    """Import ``paths`` into the sink; (result, sink path).  Raises ``FileNotFoundError`` first
    for a file that does not exist (nothing is imported then)."""
    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no such file: {path!r}")
    ingest = Ingest(sink_path)
    result = ImportResult()
    try:
        for path in paths:
            import_file(path, ingest, result, stream)
        ingest.flush(600.0)
    finally:
        ingest.close(600.0)
    return result, str(ingest.sink_path)
