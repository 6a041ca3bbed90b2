"""Adapters between the batching processor (which queues SDK spans) and the three kinds of backend.

* ``RecordTarget``: a ``Backend`` receiving ``SpanRecord`` batches (plug-ins, http, console, memory).
* ``RowTarget``: the sqlite sink's fast path, which takes the converter's field tuples directly.
* ``ExporterTarget``: any OpenTelemetry ``SpanExporter`` (and the otlp backend): it gets the SDK
  spans untouched, so nothing is converted twice.

Conversion runs in ``prepare`` on the worker thread; a span that cannot be converted is reported
to ``llm_agent._errors`` and left out (counted as ``export_failed``), never the whole batch.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from llm_agent import _errors
from llm_agent.backends._types import Backend, ExportResult, RetryAfter
from llm_agent.export._convert import Converter


def _convert_all(convert: Callable[[ReadableSpan], Any], spans: list[ReadableSpan]) -> tuple[list[Any], int]:
    """Convert a batch; a span that fails is reported and left out (the int counts those)."""
    try:
        return [convert(s) for s in spans], 0
    except Exception:
        # Only after a batch failed (cold): find the spans that fail, report each, keep the rest.
        out: list[Any] = []
        for s in spans:
            with _errors.guard("export.convert"):
                out.append(convert(s))
        return out, len(spans) - len(out)


class RecordTarget:
    def __init__(self, name: str, backend: Backend, converter: Converter | None = None) -> None:
        self.name = name
        self.backend = backend
        self._converter = converter if converter is not None else Converter()

    def prepare(self, spans: list[ReadableSpan]) -> tuple[list[Any], int]:
        return _convert_all(self._converter.convert, spans)

    def export(self, items: list[Any]) -> ExportResult | RetryAfter:
        return self.backend.export(items)

    def flush(self, timeout_s: float) -> bool:
        return bool(self.backend.flush(timeout_s))

    def shutdown(self, timeout_s: float) -> None:
        self.backend.shutdown(timeout_s)


class RowTarget(RecordTarget):
    """For backends that take rows made on the worker thread (the sqlite sink): the backend's
    ``row_converter()`` turns SDK spans into rows in ``prepare`` and ``export_rows`` writes them.
    The batching processor runs the two on different threads (see ``coalesce``)."""

    coalesce = True

    def __init__(self, name: str, backend: Any) -> None:
        converter = backend.row_converter()  # a ``Converter`` that also makes rows
        super().__init__(name, backend, converter)
        self._row = converter.row

    def prepare(self, spans: list[ReadableSpan]) -> tuple[list[Any], int]:
        return _convert_all(self._row, spans)

    def export(self, items: list[Any]) -> ExportResult | RetryAfter:
        return self.backend.export_rows(items)  # type: ignore[no-any-return]


class ExporterTarget:
    """Any OTel ``SpanExporter``: its own retry policy applies; FAILURE counts as export_failed."""

    def __init__(self, name: str, exporter: SpanExporter) -> None:
        self.name = name
        self.exporter = exporter

    def prepare(self, spans: list[ReadableSpan]) -> tuple[list[Any], int]:
        return spans, 0

    def export(self, items: list[Any]) -> ExportResult | RetryAfter:
        result = self.exporter.export(items)
        return ExportResult.SUCCESS if result is SpanExportResult.SUCCESS else ExportResult.FAILURE

    def flush(self, timeout_s: float) -> bool:
        return bool(self.exporter.force_flush(int(timeout_s * 1000)))

    def shutdown(self, timeout_s: float) -> None:
        shutdown = self.exporter.shutdown
        try:
            takes_timeout = "timeout_millis" in inspect.signature(shutdown).parameters
        except (TypeError, ValueError):
            takes_timeout = False
        if takes_timeout:
            shutdown(timeout_millis=int(timeout_s * 1000))  # type: ignore[call-arg]
        else:
            shutdown()


def make_target(name: str, backend: Any) -> Any:
    if isinstance(backend, SpanExporter):
        return ExporterTarget(name, backend)
    if callable(getattr(backend, "export_rows", None)) and callable(getattr(backend, "row_converter", None)):
        return RowTarget(name, backend)
    return RecordTarget(name, backend)
