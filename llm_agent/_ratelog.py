"""At most one log line per key per interval; the rest counted.

Warnings that can repeat for every batch or every failing call (an internal error at one call site,
a backend that keeps raising, a full queue, a full disk) would flood the app's log and cost the
export threads time.  The error funnel, the export pipeline and the sqlite sink each limited theirs
with their own timestamps and lock; this is the one implementation they share.  Each user keeps its
own ``RateLimitedLog`` where the limit's lifetime differs (per process, per processor, per sink).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

#: Every live limiter, so that a forked child can replace their locks (see ``_after_fork_in_child``).
_instances: weakref.WeakSet[RateLimitedLog] = weakref.WeakSet()


class RateLimitedLog:
    """Writes a warning for ``key`` only if none was written for it in the last ``interval_s``.

    The first line for a key is always written.  ``clock`` (monotonic seconds) is injectable so
    that tests can step time instead of sleeping.
    """

    def __init__(
        self,
        logger: logging.Logger,
        interval_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.interval_s = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._held_back: dict[str, int] = {}
        _instances.add(self)

    def claim(self, key: str) -> bool:
        """True when a line for ``key`` may be written now (the caller writes it); else count one."""
        now = self._clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval_s:
                self._held_back[key] = self._held_back.get(key, 0) + 1
                return False
            self._last[key] = now
            self._held_back.pop(key, None)
            return True

    def warning(self, key: str, msg: str, *args: Any, **kwargs: Any) -> bool:
        """``logger.warning(msg, *args, **kwargs)`` if ``claim(key)``; True when it was written."""
        if not self.claim(key):
            return False
        self.logger.warning(msg, *args, **kwargs)
        return True

    def held_back(self, key: str) -> int:
        """Lines for ``key`` not written since the last one that was."""
        with self._lock:
            return self._held_back.get(key, 0)

    def reset(self) -> None:
        """Forget every key: the next line for each is written."""
        with self._lock:
            self._last.clear()
            self._held_back.clear()


def _after_fork_in_child() -> None:
    # Another thread of the parent may have held a limiter's lock at the moment of the fork; that
    # thread does not exist in the child, so the lock would never be released.  The timestamps
    # stay: the child inherits the parent's log, and its limits.
    for limiter in list(_instances):
        limiter._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
