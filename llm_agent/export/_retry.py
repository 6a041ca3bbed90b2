"""Retry policy: which failures are worth repeating, and how long to wait before the next try."""

from __future__ import annotations

import datetime
import email.utils
import math
import random
import time
from typing import Final

#: First backoff; doubles per attempt up to ``DEFAULT_MAX_BACKOFF_S``, then jittered.
DEFAULT_INITIAL_BACKOFF_S: Final = 0.5
DEFAULT_MAX_BACKOFF_S: Final = 16.0
#: Each wait is scaled by a random factor in [1 - JITTER, 1 + JITTER] so that many processes whose
#: backend failed at the same moment do not retry in lockstep.
DEFAULT_JITTER: Final = 0.5
#: HTTP statuses a retry can fix (timeouts, rate limits, overloaded or restarting gateways).
RETRYABLE_STATUS: Final = frozenset({408, 429, 502, 503, 504})


def backoff_s(
    attempt: int,
    initial_s: float = DEFAULT_INITIAL_BACKOFF_S,
    max_s: float = DEFAULT_MAX_BACKOFF_S,
    jitter: float = DEFAULT_JITTER,
) -> float:
    """Wait before retry number ``attempt`` (0 = the first retry)."""
    base = min(max_s, initial_s * (2.0 ** min(attempt, 32)))
    return base * random.uniform(1.0 - jitter, 1.0 + jitter)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` in either form (delay-seconds or an HTTP-date) -> seconds to wait, or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000" dates parse naive; HTTP dates are always UTC
        when = when.replace(tzinfo=datetime.timezone.utc)
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)
