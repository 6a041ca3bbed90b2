"""Our own aggregation of the GenAI metrics, handed to the OpenTelemetry SDK at collection time.

One record through the SDK's histogram costs about 100k instructions (attribute hashing, a view
lookup, two locks, the exemplar reservoir), more than the rest of the span's metrics work put
together (issue 25).  Here a record is a dict lookup, a ``bisect`` and a few additions into
pre-bucketed series keyed by the attribute set; the SDK sees the result only when one of its
readers collects (``_metric_hook``), as the data points its own instruments would have produced:
same names, units, descriptions, attributes, bucket boundaries, values, the reader's preferred
temporality (cumulative or delta) and its cardinality limit.

``FastMeter`` has the two ``Meter`` methods ``_metric_sets`` uses, so the very same recorder code
writes either to the SDK's instruments or to these: the attribute sets cannot differ.

Threading: records come from the metrics worker only, under ``MetricStore.lock`` taken once per
batch (``MetricsTarget.export``); collections come from the SDK reader's thread and take the same
lock once.  The hot path therefore has no lock of its own.
"""

from __future__ import annotations

import math
import os
import threading
import time
import weakref
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from typing import Any, Final

#: Attribute dicts remembered by identity per instrument between two collections (a bound on memory).
_BY_DICT_SIZE: Final = 4096
#: The SDK's own per-stream limit when a reader sets none (``_DEFAULT_CARDINALITY_LIMIT``).
DEFAULT_CARDINALITY_LIMIT: Final = 2000

HISTOGRAM: Final = "histogram"
COUNTER: Final = "counter"
CUMULATIVE: Final = "cumulative"
DELTA: Final = "delta"


class _Hist:
    """One attribute set's histogram since the last drain (or, per reader, since its start)."""

    __slots__ = ("attributes", "counts", "high", "low", "start_ns", "total")

    def __init__(self, attributes: Mapping[str, Any], buckets: int, start_ns: int) -> None:
        self.attributes = attributes
        self.counts = [0] * buckets
        self.total: float = 0
        self.low = math.inf
        self.high = -math.inf
        self.start_ns = start_ns

    def merge(self, other: _Hist) -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        self.total += other.total
        self.low = min(self.low, other.low)
        self.high = max(self.high, other.high)


class _Sum:
    __slots__ = ("attributes", "start_ns", "value")

    def __init__(self, attributes: Mapping[str, Any], start_ns: int) -> None:
        self.attributes = attributes
        self.value: float = 0
        self.start_ns = start_ns

    def merge(self, other: _Sum) -> None:
        self.value += other.value


class FastInstrument:
    """A histogram or a monotonic counter with the SDK instrument's ``record``/``add`` signature.

    Call only with ``MetricStore.lock`` held.  The series key is the attribute dict's items in
    order: ``_metric_sets`` builds every label dict in one fixed key order, so equal attribute
    sets give equal keys (the SDK sorts; we need not).
    """

    __slots__ = ("_by_dict", "_pending", "_store", "boundaries", "description", "kind", "name", "unit")

    def __init__(
        self, store: MetricStore, kind: str, name: str, unit: str, description: str, boundaries: Sequence[float]
    ) -> None:
        self._store = store
        self.kind = kind
        self.name = name
        self.unit = unit
        self.description = description
        self.boundaries = tuple(boundaries)
        #: attribute key -> series, measured since the last drain (dict order = first seen).
        self._pending: dict[tuple[Any, ...], Any] = {}
        #: id(attribute dict) -> (that dict, its series) since the last drain: the dict is kept, so
        #: its id cannot be reused meanwhile.  Callers never change a dict they recorded with.
        self._by_dict: dict[int, tuple[Any, Any]] = {}

    def record(self, amount: float, attributes: Mapping[str, Any] | None = None) -> None:
        # The SDK ignores (with a warning) what a histogram or counter cannot hold; so do we.
        if not (amount >= 0 and amount != math.inf):  # also false for NaN
            return
        # The label dicts are shared objects (``_metric_sets.LabelCache``): by identity first.
        seen = self._by_dict.get(id(attributes))
        if seen is not None and seen[0] is attributes:
            series = seen[1]
        else:
            attrs = attributes or {}
            key = tuple(attrs.items())
            series = self._pending.get(key)
            if series is None:
                series = self._new(key, attrs)
            if len(self._by_dict) < _BY_DICT_SIZE:
                self._by_dict[id(attributes)] = (attributes, series)
        if self.kind is HISTOGRAM:
            series.counts[bisect_left(self.boundaries, amount)] += 1
            series.total += amount
            if amount < series.low:
                series.low = amount
            if amount > series.high:
                series.high = amount
        else:
            series.value += amount

    add = record

    def _new(self, key: tuple[Any, ...], attrs: Mapping[str, Any]) -> Any:
        now = time.time_ns()
        attrs = dict(attrs)  # the caller may reuse its dict
        series = _Hist(attrs, len(self.boundaries) + 1, now) if self.kind is HISTOGRAM else _Sum(attrs, now)
        if not self._pending:
            self._store.touched(self)
        self._pending[key] = series
        return series

    def drain(self) -> dict[tuple[Any, ...], Any]:
        pending, self._pending = self._pending, {}
        self._by_dict = {}
        return pending


class FastMeter:
    """The ``create_histogram``/``create_counter`` of an OpenTelemetry ``Meter``, for our store."""

    def __init__(self, store: MetricStore) -> None:
        self._store = store

    def create_histogram(
        self,
        name: str,
        unit: str = "",
        description: str = "",
        *,
        explicit_bucket_boundaries_advisory: Sequence[float] | None = None,
    ) -> FastInstrument:
        bounds = explicit_bucket_boundaries_advisory
        if bounds is None:  # every histogram of ours gives the conventions' boundaries
            raise ValueError(f"{name}: a histogram of the fast path needs explicit bucket boundaries")
        return self._store.instrument(HISTOGRAM, name, unit, description, bounds)

    def create_counter(self, name: str, unit: str = "", description: str = "") -> FastInstrument:
        return self._store.instrument(COUNTER, name, unit, description, ())


class ReaderState:
    """What one SDK reader has been given: per instrument, the series it reports.

    Cumulative: every series ever seen, with its running totals.  Delta: the series measured
    since the reader's previous collection, emptied by each collection (so the cardinality limit
    applies per collection cycle, as the SDK's ``reset_on_collect``).
    """

    def __init__(self, temporality: Mapping[str, str], limits: Mapping[str, int], overflow: Mapping[str, Any]) -> None:
        self.temporality = dict(temporality)
        self.limits = dict(limits)
        #: The attribute set of the one point that absorbs the attribute sets beyond the limit
        #: (the SDK's own, read by ``_metric_hook``), and its key.
        self.overflow = dict(overflow)
        self._overflow_key = tuple(self.overflow.items())
        self.series: dict[FastInstrument, dict[tuple[Any, ...], Any]] = {}
        #: The start of the previous collection (ns), None before the first.
        self.previous_ns: int | None = None

    def absorb(self, instrument: FastInstrument, pending: Mapping[tuple[Any, ...], Any]) -> None:
        mine = self.series.setdefault(instrument, {})
        limit = self.limits[instrument.kind]
        delta = self.temporality[instrument.kind] == DELTA
        for key, new in pending.items():
            series = mine.get(key)
            overflowed = False
            if series is None:
                overflowed = len(mine) >= limit
                if overflowed:
                    key = self._overflow_key
                    series = mine.get(key)
                if series is None:
                    # The SDK starts a delta stream's new series at the previous collection.
                    start = self.previous_ns if delta and self.previous_ns is not None else new.start_ns
                    series = _copy(new, start, self.overflow if overflowed else new.attributes)
                    mine[key] = series
                    continue
            series.merge(new)


def _copy(series: Any, start_ns: int, attributes: Mapping[str, Any]) -> Any:
    if isinstance(series, _Hist):
        out: Any = _Hist(dict(attributes), len(series.counts), start_ns)
    else:
        out = _Sum(dict(attributes), start_ns)
    out.merge(series)
    return out


class MetricStore:
    """Our instruments, and one ``ReaderState`` per SDK reader that collects them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        _STORES.add(self)
        self._instruments: dict[str, FastInstrument] = {}
        #: Instruments in the order of their first measurement (the SDK's order of metrics).
        self._order: list[FastInstrument] = []
        self._touched: set[FastInstrument] = set()
        self._readers: dict[int, tuple[Any, ReaderState]] = {}

    def instrument(
        self, kind: str, name: str, unit: str, description: str, boundaries: Sequence[float]
    ) -> FastInstrument:
        existing = self._instruments.get(name)
        if existing is not None:
            return existing
        inst = FastInstrument(self, kind, name, unit, description, boundaries)
        self._instruments[name] = inst
        return inst

    def touched(self, instrument: FastInstrument) -> None:
        if instrument not in self._touched:
            self._touched.add(instrument)
            self._order.append(instrument)

    def add_reader(
        self, reader: Any, temporality: Mapping[str, str], limits: Mapping[str, int], overflow: Mapping[str, Any]
    ) -> None:
        """Start serving ``reader``: it is given what is measured from now on (as an SDK reader
        added to a provider sees only later measurements).  Takes the lock."""
        with self.lock:
            self._drain()
            self._readers.setdefault(id(reader), (reader, ReaderState(temporality, limits, overflow)))

    def keep_readers(self, readers: Sequence[Any]) -> None:
        """Forget the readers the SDK provider no longer has."""
        ids = {id(r) for r in readers}
        with self.lock:
            for rid in [rid for rid in self._readers if rid not in ids]:
                del self._readers[rid]

    def serves(self, reader: Any) -> bool:
        entry = self._readers.get(id(reader))
        return entry is not None and entry[0] is reader

    def _drain(self) -> None:
        """Hand what was measured since the last drain to every reader.  Lock held."""
        states = [state for _, state in self._readers.values()]
        for inst in self._order:
            pending = inst.drain()
            if pending:
                for state in states:
                    state.absorb(inst, pending)

    def collect(self, reader: Any, now_ns: int | None = None) -> list[tuple[FastInstrument, str, list[dict]]]:
        """The points ``reader`` is due, per instrument (in the SDK's order), as plain dicts that
        ``_metric_hook`` turns into the SDK's point classes."""
        with self.lock:
            self._drain()
            entry = self._readers.get(id(reader))
            if entry is None or entry[0] is not reader:
                return []
            state = entry[1]
            now = time.time_ns() if now_ns is None else now_ns
            out = []
            for inst in self._order:
                mine = state.series.get(inst)
                if not mine:
                    continue
                temporality = state.temporality[inst.kind]
                points = [_point(inst, s, now) for s in mine.values()]
                if temporality == DELTA:
                    state.series[inst] = {}
                out.append((inst, temporality, points))
            state.previous_ns = now
            return out


#: Every store, for the fork hook below.
_STORES: weakref.WeakSet[MetricStore] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    """A fork while another thread held a store's lock would leave it held forever in the child
    (whose worker and the app's reader would then wait on it): give each store a fresh lock.  The
    series are the parent's, as the SDK's own aggregations are after a fork."""
    for store in list(_STORES):
        store.lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _point(inst: FastInstrument, series: Any, now_ns: int) -> dict[str, Any]:
    point = {"attributes": series.attributes, "start_time_unix_nano": series.start_ns, "time_unix_nano": now_ns}
    if inst.kind is HISTOGRAM:
        point.update(
            count=sum(series.counts),
            sum=series.total,
            bucket_counts=tuple(series.counts),
            explicit_bounds=inst.boundaries,
            min=series.low,
            max=series.high,
        )
    else:
        point["value"] = series.value
    return point


__all__ = ["COUNTER", "CUMULATIVE", "DELTA", "HISTOGRAM", "FastInstrument", "FastMeter", "MetricStore", "ReaderState"]
