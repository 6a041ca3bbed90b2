"""The USD cost of one model call, from ``genai-prices`` (the optional extra ``llm-agent[cost]``) or overrides.

Never on the app's thread: the SQLite sink prices rows on its export worker, the analysis (the
ClickHouse store, ``llm-agent reprice``) when it reads.  ``genai_prices`` is imported on first use.

Speed: ``genai_prices.calc_price`` costs tens of microseconds (model matching, unit decomposition,
``Decimal`` arithmetic), too much at the sink's 60k spans/s.  Its price for a model is linear in
the token counts (within each tier of a tiered price), so the price object of each (provider,
model, day) is turned once into per-token coefficients by asking genai-prices itself for the price
of tokens of each class (``_probe``): the same data and the same semantics (cache reads and writes
inside the input, reasoning inside the output, a class without a price of its own priced as its
parent), then plain float arithmetic per call.  A tiered price (every token billed at the tier the
prompt's size reaches) becomes one set of coefficients per tier.  tests/cost checks them against
``calc_price``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Final

from llm_agent import semconv
from llm_agent._cost._overrides import Coefficients, Overrides

#: How to turn cost on, said once by the CLI and the page when it is off.
ENABLE_HINT: Final = (
    "USD cost is off: install the optional extra `pip install 'llm-agent[cost]'` (genai-prices; Python 3.11 or "
    "later), then `llm-agent reprice` to price what is already recorded"
)
#: ``price_version`` of a cost that came from the user's overrides.
OVERRIDE_VERSION: Final = "override"
#: Our ``gen_ai.provider.name`` values -> genai-prices provider ids.  Local servers are absent on
#: purpose: a model they serve is unpriced unless the user declares its price (``llama3.2`` is free
#: on Ollama, not at a hosted provider's rate).
PROVIDER_IDS: Final[Mapping[str, str]] = dict(
    (
        (semconv.PROVIDER_OPENAI, "openai"),
        (semconv.PROVIDER_ANTHROPIC, "anthropic"),
        (semconv.PROVIDER_AWS_BEDROCK, "aws"),
        (semconv.PROVIDER_GCP_GEMINI, "google"),
        (semconv.PROVIDER_GCP_VERTEX_AI, "google"),
        ("gcp.gen_ai", "google"),
        ("azure.ai.openai", "azure"),
        ("azure.ai.inference", "azure"),
        ("mistral_ai", "mistral"),
        ("groq", "groq"),
        ("cohere", "cohere"),
        ("deepseek", "deepseek"),
        ("x_ai", "x-ai"),
        ("perplexity", "perplexity"),
        ("openrouter", "openrouter"),
        ("together", "together"),
        ("fireworks", "fireworks"),
        ("cerebras", "cerebras"),
    )
)
#: Providers that are servers on the user's machine: never priced from the table.
LOCAL_PROVIDERS: Final = frozenset({"ollama", "vllm", "lmstudio", "llama.cpp"})
_NS_PER_DAY: Final = 86_400_000_000_000
NS_PER_DAY: Final = _NS_PER_DAY
_NS_PER_MINUTE: Final = 60_000_000_000
_PROBE: Final = 1_000_000
#: Resolved prices kept per pricer; past this the cache starts again (a bound, not a tuning knob).
MAX_CACHED_PRICES: Final = 65_536

_import_lock = threading.Lock()
_genai_prices: Any = None
_import_failed = False


def genai_prices_module() -> Any:
    """The ``genai_prices`` module, or ``None`` when the extra is missing or the Python too old."""
    global _genai_prices, _import_failed
    if _genai_prices is not None or _import_failed:
        return _genai_prices
    with _import_lock:
        if _genai_prices is None and not _import_failed:
            if sys.version_info < (3, 11):
                _import_failed = True
            else:
                try:
                    import genai_prices
                    from genai_prices import data_snapshot  # noqa: F401 - the table, loaded here once
                except ImportError:
                    _import_failed = True
                else:
                    _genai_prices = genai_prices
    return _genai_prices


def table_version() -> str | None:
    """``"genai-prices 0.2.5"`` (what a cost priced from the table records), or ``None`` without it."""
    module = genai_prices_module()
    return None if module is None else f"genai-prices {module.__version__}"


class _ModelEntry:
    """One (provider, model) of the table: its genai-prices model and its prices per time slot."""

    __slots__ = ("by_slot", "info", "provider", "slot_ns")

    def __init__(self, provider: Any, info: Any) -> None:
        self.provider = provider
        self.info = info
        self.by_slot: dict[int, Regions] = {}
        # Off-peak prices (DeepSeek) change within a day: resolve per minute for such a model.
        conditional = info.prices if isinstance(info.prices, list) else []
        timed = any(type(c.constraint).__name__ == "TimeOfDateConstraint" for c in conditional)
        self.slot_ns = _NS_PER_MINUTE if timed else _NS_PER_DAY


Priced = tuple[float | None, float | None, str | None]
_UNPRICED: Final[Priced] = (None, None, None)


class Pricer:
    """Prices calls; one per writer thread or reader (its caches are not locked)."""

    def __init__(self, overrides: Overrides | None = None, use_table: bool = True) -> None:
        self.overrides = overrides
        self._module = genai_prices_module() if use_table else None
        self._version = None if self._module is None else f"genai-prices {self._module.__version__}"
        self._models: dict[tuple[str | None, str], _ModelEntry | None] = {}
        self._resolved = 0

    @property
    def enabled(self) -> bool:
        """Whether anything can be priced (the table is installed, or there are overrides)."""
        return self._module is not None or bool(self.overrides and self.overrides.models)

    @property
    def version(self) -> str | None:
        return self._version

    def price(
        self,
        provider: str | None,
        response_model: str | None,
        request_model: str | None,
        operation: str | None,
        start_ns: int,
        tin: int | None,
        tout: int | None,
        cache_read: int | None,
        cache_write: int | None,
        reasoning: int | None,
    ) -> Priced:
        """(cost, cache savings, price version) in USD; ``(None, None, None)`` when unknown.

        Unknown: no model, no input count, no output count outside embeddings (which have none),
        or a model that neither the overrides nor the table know.
        """
        if tin is None or (tout is None and operation != semconv.OP_EMBEDDINGS):
            return _UNPRICED
        tout = tout or 0
        cr, cw, rs = cache_read or 0, cache_write or 0, reasoning or 0
        for model in (response_model, request_model):
            if not model:
                continue
            found = self.resolve_model(provider, model, start_ns)
            if found is None:
                continue
            regions, version = found
            prices = pick(regions, tin)
            cost = prices.cost(tin, tout, cr, cw, rs)
            return cost, prices.uncached(tin, tout, rs) - cost, version
        return _UNPRICED

    def resolve_model(self, provider: str | None, model: str, start_ns: int) -> tuple[Any, str | None] | None:
        """(``Regions``, price version) of one model at that time; ``None`` when neither the
        overrides nor the table know the model."""
        if self.overrides is not None:
            fixed = self.overrides.find(provider, model)
            if fixed is not None:
                return ((-1, fixed),), OVERRIDE_VERSION
        entry = self._entry(provider, model)
        if entry is None:
            return None
        return self._prices(entry, start_ns), self._version

    def varies_within_a_day(self, provider: str | None, model: str) -> bool:
        """Whether the table's price of this model changes during a day (off-peak prices)."""
        if self.overrides is not None and self.overrides.find(provider, model) is not None:
            return False
        entry = self._entry(provider, model)
        return entry is not None and entry.slot_ns != _NS_PER_DAY

    def _entry(self, provider: str | None, model: str) -> _ModelEntry | None:
        key = (provider, model)
        try:
            return self._models[key]
        except KeyError:
            pass
        entry = None
        module = self._module
        if module is not None and provider not in LOCAL_PROVIDERS:
            provider_id = PROVIDER_IDS.get(provider or "", provider)
            try:
                found = module.data_snapshot.get_snapshot().find_provider_model(model, None, provider_id, None)
            except LookupError:
                found = None
            if found is not None:
                entry = _ModelEntry(*found)
        if len(self._models) >= MAX_CACHED_PRICES:
            self._models.clear()
        self._models[key] = entry
        return entry

    def _prices(self, entry: _ModelEntry, start_ns: int) -> Regions:
        slot = start_ns // entry.slot_ns
        try:
            return entry.by_slot[slot]
        except KeyError:
            pass
        when = datetime.fromtimestamp(slot * entry.slot_ns / 1e9, tz=timezone.utc)
        model_price = entry.info.get_prices(when)
        resolved = _probe(self._module, model_price)
        if self._resolved >= MAX_CACHED_PRICES:
            for e in self._models.values():
                if e is not None:
                    e.by_slot.clear()
            self._resolved = 0
        self._resolved += 1
        entry.by_slot[slot] = resolved
        return resolved


#: A model's prices as linear pieces: ``((threshold, Coefficients), ...)``, highest threshold first,
#: the last one ``-1``.  A call uses the first piece whose threshold its input tokens exceed: tiered
#: prices (genai-prices' ``TieredPrices``) bill every token at the tier the prompt's size reaches.
Regions = tuple[tuple[int, Coefficients], ...]


def pick(regions: Regions, tin: int) -> Coefficients:
    for threshold, prices in regions:
        if tin > threshold:
            return prices
    return regions[-1][1]


def _probe(module: Any, model_price: Any) -> Regions:
    """The price as per-token coefficients, one set per tier region, from genai-prices itself."""
    starts = sorted(
        {t.start for v in vars(model_price).values() if type(v).__name__ == "TieredPrices" for t in v.tiers}
    )

    def total(**kw: int) -> float:
        return float(model_price.calc_price(module.Usage(**kw))["total_price"])

    n = _PROBE
    request = total()  # a per-request fee, if the model has one
    out: list[tuple[int, Coefficients]] = []
    for threshold in [-1, *starts]:
        # Probe inside the region: inputs just above its threshold (a million for the base region
        # of an untiered price, so the coefficients are the table's per-million prices exactly).
        m = n if not starts else (threshold + 1 if threshold >= 0 else 1)
        tin = total(input_tokens=m)
        tout = total(input_tokens=m, output_tokens=n)
        out.append((threshold, Coefficients(
            input=(tin - request) / m,
            output=(tout - tin) / n,
            cache_read=(total(input_tokens=m, cache_read_tokens=m) - tin) / m,
            cache_write=(total(input_tokens=m, cache_write_tokens=m) - tin) / m,
            reasoning=(total(input_tokens=m, output_tokens=n, output_reasoning_tokens=n) - tout) / n,
            request=request,
        )))  # fmt: skip
    return tuple(reversed(out))
