"""Time inputs, windows, buckets and the exact percentile method."""

from __future__ import annotations

import random
import statistics
from datetime import datetime, timedelta, timezone

import pytest

from llm_agent.analysis import _stats, _time

NOW = _time.datetime_to_ns(datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc))
H = 3600 * 10**9


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30", 30.0), ("30s", 30.0), ("500ms", 0.5), ("2m", 120.0), ("1h30m", 5400.0), ("7d", 604800.0),
     ("2w", 1209600.0), ("1.5h", 5400.0), (" 5 s ", 5.0), (12, 12.0), (0.25, 0.25)],
)  # fmt: skip
def test_parse_duration(text, seconds) -> None:
    assert _time.parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "soon", "-5s", "5x", "1h-", "nan", True, float("inf")])
def test_parse_duration_rejects(bad) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        _time.parse_duration(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01T12:00:00Z", NOW),
        ("2026-03-01T14:00:00+02:00", NOW),
        ("2026-03-01T07:00:00-05:00", NOW),
        ("2026-03-01T12:00:00", NOW),  # no offset: UTC
        ("2026-03-01", NOW - 12 * H),
        (datetime(2026, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=1))), NOW),
        (datetime(2026, 3, 1, 12, 0), NOW),  # naive datetime: UTC
        ("1h", NOW - H),
        ("15m", NOW - H // 4),
        ("now", NOW),
        (NOW / 1e9, NOW),
        ("1772366400", NOW),
    ],
)
def test_to_ns(value, expected) -> None:
    assert _time.to_ns(value, NOW) == expected


def test_datetimes_round_trip_as_utc() -> None:
    dt = _time.ns_to_datetime(NOW + 123_456_789)
    assert dt == datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
    assert _time.datetime_to_ns(dt) == NOW + 123_456_000


def test_resolve_window_defaults_to_the_last_24_hours() -> None:
    w = _time.resolve_window(now=NOW)
    assert (w.since_ns, w.until_ns) == (NOW - 24 * H, NOW)
    w = _time.resolve_window(since="7d", now=NOW)
    assert (w.since_ns, w.until_ns) == (NOW - 7 * 24 * H, NOW)
    w = _time.resolve_window(until="2026-03-01T10:00:00Z", now=NOW)
    assert (w.since_ns, w.until_ns) == (NOW - 26 * H, NOW - 2 * H)
    with pytest.raises(ValueError, match="empty time window"):
        _time.resolve_window(since="1h", until="2h", now=NOW)


@pytest.mark.parametrize(
    ("hours", "bucket_s"), [(1, 60), (5, 300), (24, 900), (72, 3600), (24 * 7, 21600), (24 * 30, 86400)]
)
def test_auto_bucket_gives_about_60_buckets(hours, bucket_s) -> None:
    window = _time.Window(NOW - hours * H, NOW)
    assert _time.bucket_seconds("auto", window) == bucket_s


def test_explicit_buckets_and_alignment() -> None:
    window = _time.Window(NOW - H - 17 * 10**9, NOW)
    assert _time.bucket_seconds("5m", window) == 300
    starts = _time.bucket_starts(window, 300)
    assert starts[0] == NOW - H - 300 * 10**9  # aligned down to a multiple of 5 min (UTC)
    assert starts[-1] == NOW  # the window's end is included
    with pytest.raises(ValueError, match="at most 10000"):
        _time.bucket_seconds("1s", _time.Window(NOW - 30 * 24 * H, NOW))
    with pytest.raises(ValueError, match="whole number of seconds"):
        _time.bucket_seconds("500ms", window)


def test_percentiles_match_linear_interpolation() -> None:
    rng = random.Random(3)
    for n in (2, 3, 7, 10, 101, 1000):
        values = sorted(rng.lognormvariate(0, 1) for _ in range(n))
        reference = statistics.quantiles(values, n=100, method="inclusive")
        for q in (1, 50, 90, 95, 99):
            assert _stats.percentile(values, q) == pytest.approx(reference[q - 1], rel=1e-12)
        assert _stats.percentile(values, 0) == values[0]
        assert _stats.percentile(values, 100) == values[-1]


def test_percentile_edge_cases() -> None:
    assert _stats.percentile([], 50) is None
    assert _stats.percentile([4.0], 99) == 4.0
    assert _stats.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    summary = _stats.summarize([3.0, 1.0, 2.0])
    assert (summary.avg, summary.p50, summary.max, summary.count) == (2.0, 2.0, 3.0, 3)
    assert _stats.summarize([]).p50 is None
    with pytest.raises(ValueError):
        _stats.percentile([1.0], 101)


@pytest.mark.parametrize("value", [1e308, "1e308", -1e300, "9e18"])
def test_huge_finite_seconds_are_out_of_range_not_a_crash(value) -> None:
    # 1e308 seconds is finite but overflows to infinity in nanoseconds (found by the filter fuzz test).
    with pytest.raises(ValueError, match="time out of range"):
        _time.to_ns(value, NOW)
