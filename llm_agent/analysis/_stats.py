"""Exact percentiles over a window's values (no sketches, no histogram buckets).

Method: linear interpolation between closest ranks, the default of ``numpy.percentile`` and
``statistics.quantiles(..., method="inclusive")``: for sorted values ``x[0..n-1]`` the ``q``-th
percentile is at rank ``h = (n - 1) * q / 100``, i.e. ``x[floor(h)] + (h - floor(h)) *
(x[floor(h) + 1] - x[floor(h)])``.  p50 of an even count is the mean of the two middle values; the
result always lies between the smallest and the largest value; one value is every percentile of
itself.  ClickHouse's ``quantileExactInclusive`` computes the same, so both stores agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from llm_agent.analysis._types import Percentiles


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) of already sorted values; ``None`` when there are none."""
    n = len(sorted_values)
    if n == 0:
        return None
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile must be within 0..100, got {q!r}")
    h = (n - 1) * q / 100.0
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)
    frac = h - lo
    a, b = sorted_values[lo], sorted_values[hi]
    return float(a + (b - a) * frac) if frac else float(a)


def summarize(values: Sequence[float], presorted: bool = False) -> Percentiles:
    """avg / p50 / p90 / p99 / max / count of ``values`` (all ``None`` when empty)."""
    data = values if presorted else sorted(values)
    if not data:
        return Percentiles(avg=None, p50=None, p90=None, p99=None, max=None, count=0)
    return Percentiles(
        avg=math.fsum(data) / len(data),
        p50=percentile(data, 50),
        p90=percentile(data, 90),
        p99=percentile(data, 99),
        max=float(data[-1]),
        count=len(data),
    )
