"""``console`` backend: one JSON object per span per line (``SpanRecord.to_dict()``).

Writes to stderr by default (stdout belongs to the app); ``LLM_AGENT_CONSOLE_STREAM=stdout``
switches.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Final, TextIO

from llm_agent.backends._types import ExportResult, SpanRecord
from llm_agent.config import ConfigError, Settings

DEFAULT_CONSOLE_STREAM: Final = "stderr"
CONSOLE_STREAM_ENV: Final = "LLM_AGENT_CONSOLE_STREAM"


class ConsoleBackend:
    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        # Resolved at each write when not given, so pytest's capsys and redirected streams work.
        self._stream = stream

    @classmethod
    def from_settings(cls, settings: Settings) -> ConsoleBackend:
        which = os.environ.get(CONSOLE_STREAM_ENV, DEFAULT_CONSOLE_STREAM).strip().lower()
        if which not in ("stderr", "stdout"):
            raise ConfigError(f"env {CONSOLE_STREAM_ENV}: expected 'stderr' or 'stdout', got {which!r}")
        return cls(None) if which == "stderr" else _StdoutConsole()

    def _target(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def export(self, records: Sequence[SpanRecord]) -> ExportResult:
        text = "".join(json.dumps(r.to_dict(), default=str, ensure_ascii=False) + "\n" for r in records)
        stream = self._target()
        stream.write(text)
        stream.flush()
        return ExportResult.SUCCESS

    def flush(self, timeout_s: float) -> bool:
        return True

    def shutdown(self, timeout_s: float) -> None:
        return None


class _StdoutConsole(ConsoleBackend):
    def _target(self) -> TextIO:
        return sys.stdout
