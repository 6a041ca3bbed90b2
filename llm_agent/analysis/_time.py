"""Time windows, relative durations and time-series buckets, shared by every store and the CLI.

Everything is UTC nanoseconds internally.  Inputs accepted wherever a point in time is expected:

* a ``datetime`` (naive ones are taken as UTC, so the same input means the same instant on every
  machine; aware ones are converted),
* an ISO 8601 string (``2026-01-31``, ``2026-01-31T09:00``, ``2026-01-31T09:00:00+02:00``,
  ``...Z``); an offset is honoured, no offset means UTC,
* a relative duration before *now* (``15m``, ``1h``, ``7d``, ``90s``, ``2w``, ``1h30m``) or ``now``,
* a number: seconds since the epoch.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Final, Union

#: ``sessions()`` / ``models()`` / ``users()`` look this far back when ``since`` is not given.
DEFAULT_WINDOW_S: Final = 24 * 3600.0
#: ``bucket="auto"`` picks, among these sizes, the one giving closest to this many buckets.
AUTO_BUCKET_TARGET: Final = 60
#: Candidate bucket sizes for ``bucket="auto"``, in seconds: 1m, 5m, 15m, 1h, 6h, 1d.
AUTO_BUCKET_SIZES_S: Final = (60, 300, 900, 3600, 21600, 86400)
#: A time series longer than this is refused (a 1m bucket over a year would be 525,600 points).
MAX_BUCKETS: Final = 10_000

TimeLike = Union[datetime, str, int, float]

#: Every time (ns) and count the stores compare is a 64-bit integer column: a value past these
#: would overflow the driver's binding, so it is refused as a usage error instead.
MAX_INT64: Final = 2**63 - 1
MIN_INT64: Final = -(2**63)
#: The longest duration, in whole seconds, whose nanoseconds fit (about 292 years): whole, so
#: that ``seconds * 1e9`` cannot round up past ``MAX_INT64``.
MAX_DURATION_S: Final = MAX_INT64 // 1_000_000_000

_UNITS_S: Final = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_DURATION_FULL = re.compile(r"\s*(?:(?:\d+(?:\.\d*)?|\.\d+)\s*(?:ms|s|m|h|d|w)\s*)+", re.IGNORECASE)
_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


def parse_duration(value: str | float | int) -> float:
    """Seconds from ``30``, ``30s``, ``500ms``, ``2m``, ``1h30m``, ``7d``, ``2w`` (a bare number is seconds).

    Raises ``ValueError`` naming the accepted forms.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and _NUMBER.fullmatch(value):
        seconds = float(value)
    elif isinstance(value, str) and _DURATION_FULL.fullmatch(value):
        seconds = sum(float(n) * _UNITS_S[u.lower()] for n, u in _DURATION_PART.findall(value))
    else:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30, 30s, 500ms, 5m, 1h30m, 7d, 2w)")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"not a duration: {value!r} (must be a finite number >= 0)")
    if seconds > MAX_DURATION_S:
        raise ValueError(f"duration out of range: {value!r} (at most {MAX_DURATION_S} seconds, about 292 years)")
    return seconds


def check_seconds(value: float, what: str) -> float:
    """``value`` if it is a finite number of seconds whose nanoseconds fit 64 bits, else ``ValueError``."""
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    if not -MAX_DURATION_S <= value <= MAX_DURATION_S:
        raise ValueError(
            f"{what} out of range: {value!r} (at most {MAX_DURATION_S} seconds either way, about 292 years)"
        )
    return value


def check_count(value: int | float, what: str) -> int | float:
    """``value`` if it is a finite number a 64-bit column can be compared with, else ``ValueError``."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    if not MIN_INT64 <= value <= MAX_INT64:
        raise ValueError(f"{what} out of range: {value!r} (must be between -2**63 and 2**63 - 1)")
    return value


def is_relative(value: str) -> bool:
    """True for ``15m``-style strings (a duration with a unit)."""
    return bool(_DURATION_FULL.fullmatch(value))


def now_ns() -> int:
    return time.time_ns()


def to_ns(value: TimeLike, now: int | None = None) -> int:
    """UTC nanoseconds since the epoch for any accepted point-in-time input (see the module doc).

    ``ValueError`` for a time whose nanoseconds do not fit 64 bits (before 1677-09-21 or after
    2262-04-11 UTC): the stores hold no such time, and the drivers cannot bind one.
    """
    ns = _to_ns(value, now)
    if not MIN_INT64 <= ns <= MAX_INT64:
        raise ValueError(f"time out of range: {value!r} (use a time between 1677-09-22 and 2262-04-11 UTC)")
    return ns


def _seconds_to_ns(value: int | float, original: object) -> int:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"not a point in time: {original!r} (must be a finite number of seconds)")
    ns = value * 1e9
    # A finite float this large overflows to infinity when scaled: out of range, not a crash.
    if isinstance(ns, float) and not math.isfinite(ns):
        raise ValueError(f"time out of range: {original!r} (use a time between 1677-09-22 and 2262-04-11 UTC)")
    return round(ns)


def _to_ns(value: TimeLike, now: int | None) -> int:
    if isinstance(value, bool):
        raise ValueError(f"not a point in time: {value!r}")
    if isinstance(value, datetime):
        return datetime_to_ns(value)
    if isinstance(value, (int, float)):
        return _seconds_to_ns(value, value)
    if not isinstance(value, str):
        raise ValueError(f"not a point in time: {value!r}")
    text = value.strip()
    if text.lower() == "now":
        return now_ns() if now is None else now
    if is_relative(text):
        base = now_ns() if now is None else now
        return base - round(parse_duration(text) * 1e9)
    if _NUMBER.fullmatch(text):
        return _seconds_to_ns(float(text), value)
    return datetime_to_ns(parse_iso(text))


def parse_iso(text: str) -> datetime:
    """An aware datetime from ISO 8601 (``Z`` accepted on every Python; no offset means UTC)."""
    raw = text.strip()
    candidate = raw[:-1] + "+00:00" if raw[-1:] in ("Z", "z") else raw
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        raise ValueError(
            f"not a time: {text!r} (use ISO 8601 like 2026-01-31T09:00:00+02:00, or relative like 15m, 1h, 7d)"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def datetime_to_ns(value: datetime) -> int:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    delta = aware - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def ns_to_datetime(ns: int) -> datetime:
    """Aware UTC datetime (microsecond precision, what ``datetime`` holds)."""
    seconds, rem = divmod(int(ns), 1_000_000_000)
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(microsecond=rem // 1000)


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class Window:
    """A resolved time window ``[since_ns, until_ns]`` (both ends included) in UTC nanoseconds."""

    since_ns: int
    until_ns: int

    @property
    def since(self) -> datetime:
        return ns_to_datetime(self.since_ns)

    @property
    def until(self) -> datetime:
        return ns_to_datetime(self.until_ns)

    @property
    def seconds(self) -> float:
        return (self.until_ns - self.since_ns) / 1e9


def resolve_window(
    since: TimeLike | None = None,
    until: TimeLike | None = None,
    now: int | None = None,
    default_s: float = DEFAULT_WINDOW_S,
) -> Window:
    """``until`` defaults to now, ``since`` to ``default_s`` before ``until``; relative inputs count from now."""
    current = now_ns() if now is None else now
    until_ns = current if until is None else to_ns(until, current)
    since_ns = until_ns - int(default_s * 1e9) if since is None else to_ns(since, current)
    if since_ns > until_ns:
        raise ValueError(
            f"empty time window: since ({ns_to_datetime(since_ns).isoformat()}) is after "
            f"until ({ns_to_datetime(until_ns).isoformat()})"
        )
    return Window(since_ns, until_ns)


def bucket_seconds(bucket: str | int | float, window: Window) -> int:
    """The bucket size in whole seconds: ``"auto"`` (about 60 buckets), ``"5m"``, ``"1h"``, ``300``..."""
    if isinstance(bucket, str) and bucket.strip().lower() == "auto":
        span = max(window.seconds, 1.0)
        # The candidate whose bucket count is closest to the target on a log scale; ties go
        # to the larger bucket (fewer, fuller points).
        best = min(
            AUTO_BUCKET_SIZES_S,
            key=lambda size: (abs(math.log((span / size) / AUTO_BUCKET_TARGET)), -size),
        )
        return best
    seconds = parse_duration(bucket)
    if seconds < 1 or seconds != int(seconds):
        raise ValueError(f"bucket must be a whole number of seconds >= 1, got {bucket!r}")
    count = window.seconds / seconds
    if count > MAX_BUCKETS:
        raise ValueError(
            f"bucket {bucket!r} gives {int(count)} buckets over this window (at most {MAX_BUCKETS}); "
            "use a larger bucket or 'auto'"
        )
    return int(seconds)


def bucket_starts(window: Window, bucket_s: int) -> list[int]:
    """Bucket start times (ns), aligned to multiples of the bucket size since the epoch (UTC)."""
    step = bucket_s * 1_000_000_000
    first = window.since_ns - window.since_ns % step
    return list(range(first, window.until_ns + 1, step))
