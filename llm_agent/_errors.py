"""The error funnel: every failure inside instrumentation code ends here.

Instrumentation must never break the host app, so its own errors are caught at the call site and
reported here: counted, logged at a limited rate, and — under pytest — collected so that an autouse
fixture (``llm_agent.testing.fail_on_internal_errors``) fails the test that caused them.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Final

logger = logging.getLogger("llm_agent")

#: At most one log line per call site in this many seconds; the rest are only counted.
DEFAULT_ERROR_LOG_INTERVAL_S: Final = 60.0

_lock = threading.Lock()
_count = 0
_last_logged: dict[str, float] = {}
#: Errors collected for the test suite; only filled while pytest is imported.
collected: list[tuple[str, BaseException | None]] = []


def report(where: str, exc: BaseException | None = None, message: str | None = None) -> None:
    """Record an internal error at ``where``.  Never raises."""
    global _count
    try:
        now = time.monotonic()
        with _lock:
            _count += 1
            last = _last_logged.get(where)
            should_log = last is None or now - last >= DEFAULT_ERROR_LOG_INTERVAL_S
            if should_log:
                _last_logged[where] = now
            if "pytest" in sys.modules:
                collected.append((where, exc))
        if should_log:
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


def internal_error_count() -> int:
    """How many internal errors have been reported since the process started."""
    return _count


def reset_for_tests() -> None:
    """Forget collected errors and log rate state (the count stays monotonic)."""
    with _lock:
        collected.clear()
        _last_logged.clear()
