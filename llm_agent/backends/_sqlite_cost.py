"""Pricing the sink's rows: each converted ``spans`` row gets its USD cost columns before it is written.

Runs on the sink's export worker (never the app's thread), inside the backend's lock, before the
batch's transaction.  ``genai-prices`` is imported on the first batch, not at ``init()``; without
it (or on Python 3.10) every cost is ``NULL`` and the calls count as unpriced.  Costs are stored in
integer nano-USD, so the rollups add them exactly, like the token sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from llm_agent import _errors, semconv
from llm_agent._cost import Overrides, Pricer
from llm_agent._cost._prices import NS_PER_DAY
from llm_agent.backends._sqlite_rows import COST_COLUMNS, SPAN_COLUMNS

#: Nano-USD per USD: the unit of the stored costs.
NANO_USD: Final = 1_000_000_000
#: A single call's stored cost is clamped to this many nano-USD ($1M): the rollups' sums of at most
#: 9,000 such calls stay inside int64.
MAX_CALL_NUSD: Final = 10**15
_NO_COST: Final = (None, None, None)
_I = {name: i for i, name in enumerate(SPAN_COLUMNS)}
_PROVIDER, _RESPONSE, _REQUEST, _OPERATION, _START = (
    _I["provider"], _I["response_model"], _I["request_model"], _I["operation"], _I["start_ns"],
)  # fmt: skip
_IN, _OUT, _CACHE, _WRITE, _REASONING = (
    _I["input_tokens"], _I["output_tokens"], _I["cache_read_tokens"], _I["cache_creation_tokens"],
    _I["reasoning_tokens"],
)  # fmt: skip
assert len(COST_COLUMNS) == len(_NO_COST)


def to_nusd(usd: float) -> int:
    n = round(usd * NANO_USD)
    return MAX_CALL_NUSD if n > MAX_CALL_NUSD else -MAX_CALL_NUSD if n < -MAX_CALL_NUSD else n


def cost_values(pricer: Pricer, r: Sequence[Any]) -> tuple[Any, ...]:
    """The ``COST_COLUMNS`` values of one converted row."""
    if r[_IN] is None:
        return _NO_COST
    cost, saved, version = pricer.price(
        r[_PROVIDER], r[_RESPONSE], r[_REQUEST], r[_OPERATION], r[_START],
        r[_IN], r[_OUT], r[_CACHE], r[_WRITE], r[_REASONING],
    )  # fmt: skip
    if cost is None:
        return _NO_COST
    return to_nusd(cost), None if saved is None else to_nusd(saved), version


#: ``RowPricer``'s per-key answer for a call it must price the general way (off-peak prices).
_SLOW: Final = object()
_MISS: Final = object()
#: Resolved (provider, models, operation, day) keys kept per sink; past this the cache starts again.
_MAX_KEYS: Final = 65_536
_EMBEDDINGS: Final = semconv.OP_EMBEDDINGS
_NS_PER_DAY: Final = NS_PER_DAY
_NANO: Final = float(NANO_USD)


class RowPricer:
    """Adds the cost columns to rows; the ``Pricer`` (and the genai-prices import) made on first use.

    At 60k spans/s a microsecond per span is 6% of the sink's time, so the common case is one
    dict lookup per row: (provider, response model, request model, operation, day) -> the
    per-token coefficients (per tier region) and version that ``Pricer.price`` would use, and the dot product inline
    (``cost_values`` gives the same numbers; tests/cost compare both).
    """

    def __init__(self, overrides: Overrides | None = None) -> None:
        self.overrides = overrides
        self._pricer: Pricer | None = None
        self._keys: dict[tuple[Any, ...], Any] = {}

    def extend(self, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        pricer = self._pricer
        if pricer is None:
            pricer = self._pricer = Pricer(self.overrides)
        if pricer.enabled:
            try:
                return self._priced(pricer, rows)
            except Exception as exc:  # a pricing bug must not cost the batch: its spans go in unpriced
                _errors.report("sqlite sink: pricing", exc)
        return [r + _NO_COST for r in rows]

    def _priced(self, pricer: Pricer, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        keys = self._keys
        if len(keys) > _MAX_KEYS:
            keys.clear()
        out = []
        append = out.append
        for r in rows:
            tin = r[_IN]
            if tin is None:
                append(r + _NO_COST)
                continue
            key = (r[_PROVIDER], r[_RESPONSE], r[_REQUEST], r[_OPERATION], r[_START] // _NS_PER_DAY)
            found = keys.get(key, _MISS)
            if found is _MISS:
                found = keys[key] = self._resolve(pricer, key, r[_START])
            if found is None:
                append(r + _NO_COST)
            elif found is _SLOW:
                append(r + cost_values(pricer, r))
            else:
                tout = r[_OUT]
                if tout is None and key[3] != _EMBEDDINGS:
                    append(r + _NO_COST)
                    continue
                prices, version, regions = found
                if regions is not None:  # tiered: the first region whose threshold the input exceeds
                    prices = next(c for t, c in regions if tin > t)
                ci, co, ccr, ccw, crs, creq = prices
                uncached = creq + tin * ci + (tout or 0) * co + (r[_REASONING] or 0) * crs
                cr, cw = r[_CACHE], r[_WRITE]
                if cr or cw:
                    cost = uncached + (cr or 0) * ccr + (cw or 0) * ccw
                    saved = round((uncached - cost) * _NANO)
                else:  # nothing cached: nothing saved (the common case, one multiplication less)
                    cost, saved = uncached, 0
                n = round(cost * _NANO)
                if n > MAX_CALL_NUSD or not -MAX_CALL_NUSD <= saved <= MAX_CALL_NUSD:
                    n, saved = to_nusd(cost), to_nusd(uncached - cost)
                append((*r, n, saved, version))
        return out

    @staticmethod
    def _resolve(pricer: Pricer, key: tuple[Any, ...], start_ns: int) -> Any:
        provider, response, request = key[0], key[1], key[2]
        for model in (response, request):
            if not model:
                continue
            if pricer.varies_within_a_day(provider, model):
                return _SLOW
            found = pricer.resolve_model(provider, model, start_ns)
            if found is None:
                continue
            regions, version = found
            pieces = tuple((t, (c.input, c.output, c.cache_read, c.cache_write, c.reasoning, c.request))
                           for t, c in regions)  # fmt: skip
            # (prices, version, None) for one price, (None, version, pieces) for tiered prices.
            return (pieces[0][1], version, None) if len(pieces) == 1 else (None, version, pieces)
        return None
