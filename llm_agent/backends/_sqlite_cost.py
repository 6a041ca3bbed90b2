"""Pricing the sink's rows: each converted ``spans`` row gets its USD cost columns before it is written.

Runs on the sink's export worker (never the app's thread), inside the backend's lock, before the
batch's transaction.  ``genai-prices`` is imported on the first batch, not at ``init()``; without
it (or on Python 3.10) every cost is ``NULL`` and the calls count as unpriced.  Costs are stored in
integer nano-USD, so the rollups add them exactly, like the token sums.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from llm_agent import _errors
from llm_agent._cost import Overrides, Pricer
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


class RowPricer:
    """Adds the cost columns to rows; the ``Pricer`` (and the genai-prices import) made on first use."""

    def __init__(self, overrides: Overrides | None = None) -> None:
        self.overrides = overrides
        self._pricer: Pricer | None = None

    def extend(self, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        pricer = self._pricer
        if pricer is None:
            pricer = self._pricer = Pricer(self.overrides)
        if pricer.enabled:
            try:
                return [r + _NO_COST if r[_IN] is None else r + cost_values(pricer, r) for r in rows]
            except Exception as exc:  # a pricing bug must not cost the batch: its spans go in unpriced
                _errors.report("sqlite sink: pricing", exc)
        return [r + _NO_COST for r in rows]
