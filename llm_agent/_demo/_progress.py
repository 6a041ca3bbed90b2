"""A one-line progress bar on stderr (redrawn on a terminal, a few plain lines otherwise)."""

from __future__ import annotations

import sys
import threading
import time
from typing import Final, TextIO

BAR_WIDTH: Final = 30
#: Redraw at most this often on a terminal.
REDRAW_INTERVAL_S: Final = 0.1


class Progress:
    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(1, total)
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.done = 0
        self.failed = 0
        self._lock = threading.Lock()
        self._last_draw = 0.0
        self._last_quarter = -1

    def advance(self, ok: bool = True) -> None:
        with self._lock:
            self.done += 1
            self.failed += 0 if ok else 1
            now = time.monotonic()
            if self.tty:
                if now - self._last_draw >= REDRAW_INTERVAL_S or self.done >= self.total:
                    self._last_draw = now
                    self.stream.write("\r" + self._line())
                    self.stream.flush()
            else:
                quarter = 4 * self.done // self.total
                if quarter != self._last_quarter:
                    self._last_quarter = quarter
                    self.stream.write(self._line() + "\n")
                    self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\r" + self._line() + "\n")
            self.stream.flush()

    def _line(self) -> str:
        filled = BAR_WIDTH * min(self.done, self.total) // self.total
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        failed = f", {self.failed} failed" if self.failed else ""
        return f"  [{bar}] {self.done}/{self.total} {self.label}{failed}"
