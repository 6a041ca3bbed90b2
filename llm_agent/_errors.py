"""The error funnel: every failure inside instrumentation code ends here.

Instrumentation must never break the host app, so its own errors are caught at the call site and
reported here: counted, logged at a limited rate, and — under pytest — collected, so that the test
suite's autouse fixture (``_fail_on_internal_errors`` in tests/conftest.py, which calls
``llm_agent.testing.check_internal_errors``) fails the test that caused them.

Hot paths (per call, per chunk, per span) catch with an explicit ``try``/``except Exception`` and
call ``report``; cold paths (set-up, shutdown, once-per-batch fallbacks) may use ``guard(where)``.
"""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType
from typing import Final

from llm_agent._ratelog import RateLimitedLog
from llm_agent._secrets import get_logger

logger = get_logger("llm_agent")

#: At most one log line per call site in this many seconds; the rest are only counted.
DEFAULT_ERROR_LOG_INTERVAL_S: Final = 60.0

_lock = threading.Lock()
_count = 0
_log = RateLimitedLog(logger, DEFAULT_ERROR_LOG_INTERVAL_S)
#: Errors collected for the test suite; only filled while pytest is imported.
collected: list[tuple[str, BaseException | None]] = []


def report(where: str, exc: BaseException | None = None, message: str | None = None) -> None:
    """Record an internal error at ``where``.  Never raises."""
    global _count
    try:
        with _lock:
            _count += 1
            if "pytest" in sys.modules:
                collected.append((where, exc))
        if _log.claim(where):
            logger.warning(
                "llm_agent internal error in %s: %s (the app is unaffected; further errors here are "
                "counted, not logged, for %.0f s)",
                where,
                message or repr(exc),
                DEFAULT_ERROR_LOG_INTERVAL_S,
                exc_info=exc if exc is not None and logger.isEnabledFor(logging.DEBUG) else None,
            )
    except Exception:  # pragma: no cover - the funnel itself must never fail the app
        pass


class guard:  # lower-case like contextlib.suppress: it reads as a statement, ``with guard(where):``
    """Report any ``Exception`` raised in the block to ``report(where, exc)`` and swallow it.

    For cold paths only: entering and leaving cost two method calls more than an inline ``try``.
    ``BaseException``s that are not ``Exception``s (``KeyboardInterrupt``, ``SystemExit``,
    ``GeneratorExit``) are the app's or the interpreter's and propagate unchanged.
    """

    __slots__ = ("where",)

    def __init__(self, where: str) -> None:
        self.where = where

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if not isinstance(exc, Exception):
            return False
        report(self.where, exc)
        return True


def internal_error_count() -> int:
    """How many internal errors have been reported since the process started."""
    return _count


def reset_for_tests() -> None:
    """Forget collected errors and log rate state (the count stays monotonic)."""
    with _lock:
        collected.clear()
    _log.reset()
