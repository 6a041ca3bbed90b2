"""``memory`` backend: keeps every record in a list (tests, notebooks, ``llm_agent.testing``)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from llm_agent.backends._types import ExportResult, SpanRecord
from llm_agent.config import Settings


class MemoryBackend:
    """Thread-safe in-memory store of exported records, in export order."""

    name = "memory"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[SpanRecord] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> MemoryBackend:
        return cls()

    @property
    def records(self) -> list[SpanRecord]:
        """A snapshot copy (safe to iterate while export continues)."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def export(self, records: Sequence[SpanRecord]) -> ExportResult:
        with self._lock:
            self._records.extend(records)
        return ExportResult.SUCCESS

    def flush(self, timeout_s: float) -> bool:
        return True

    def shutdown(self, timeout_s: float) -> None:
        return None
