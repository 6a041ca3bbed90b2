"""USD cost in the ClickHouse store: a price lookup generated per query, which the span rows join.

genai-prices' logic (model matching, dated prices, cache and reasoning units) cannot run inside
ClickHouse SQL, so the store first asks ClickHouse which (provider, response model, request model,
operation, day) combinations the query's spans have, prices each in Python with the very code the
SQLite sink uses (``backends._sqlite_cost.RowPricer``: genai-prices' table as installed, and the
overrides), and splices the answer into the query as a literal ``Map(UInt64, Array(Array(Float64)))``:
key ``cityHash64`` of the combination, value the price's linear pieces ``[threshold, input, output,
cache_read, cache_write, reasoning, request]`` (highest threshold first).  The span rows compute
their cost from it with the sink's arithmetic, in the same order, so both stores agree to the
nano-dollar.  The lookup is made from the installed table at query time, so it is always in sync
with it: nothing is stored.  Only numbers are spliced (hashes and prices), never text.

Not priced here: models whose price changes within a day (off-peak prices), which the sink prices
per minute; their calls count as unpriced on ClickHouse (docs/cost.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from llm_agent._cost import Overrides, Pricer
from llm_agent._cost._prices import NS_PER_DAY

#: The lookup key of a span row (``spans_sql``'s columns).
KEY_SQL: Final = (
    "cityHash64(ifNull(provider, ''), ifNull(response_model, ''), ifNull(request_model, ''), "
    f"ifNull(operation, ''), intDiv(start_ns, {NS_PER_DAY}))"
)
#: A lookup that prices nothing.
EMPTY_MAP: Final = "CAST(map(), 'Map(UInt64, Array(Array(Float64)))')"


def _number(x: float) -> str:
    text = repr(float(x))
    assert all(c in "0123456789.e-+" for c in text), text  # finite numbers only
    return text


def price_map(query: Callable[[str, dict[str, Any]], list[dict[str, Any]]], spans: str, params: dict[str, Any],
              overrides: Overrides | None) -> str:  # fmt: skip
    """The lookup literal for the spans of ``spans`` (a ``spans_sql`` text using ``params``)."""
    from llm_agent.backends._sqlite_cost import _SLOW, RowPricer

    pricer = Pricer(overrides)
    if not pricer.enabled:
        return EMPTY_MAP
    rows = query(
        f"SELECT DISTINCT toString({KEY_SQL}) AS k, provider, response_model, request_model, operation, "
        f"intDiv(start_ns, {NS_PER_DAY}) AS day FROM ({spans}) WHERE input_tokens IS NOT NULL",
        params,
    )
    entries = []
    for r in rows:
        key = (r["provider"], r["response_model"], r["request_model"], r["operation"], int(r["day"]))
        found = RowPricer._resolve(pricer, key, int(r["day"]) * NS_PER_DAY)
        if found is None or found is _SLOW:
            continue
        prices, _version, regions = found
        regions = regions if regions is not None else ((-1, prices),)
        pieces = ",".join("[" + ",".join(_number(v) for v in (t, *c)) + "]" for t, c in regions)
        entries.append(f"toUInt64({int(r['k'])}), [{pieces}]")
    return "map(" + ", ".join(entries) + ")" if entries else EMPTY_MAP


def cost_columns(prices: str) -> str:
    """The span row's ``cost_nusd`` and ``cache_saved_nusd`` (SQL select items) from the lookup."""
    limit = "1e15"  # MAX_CALL_NUSD, as a Float64 like the value it bounds
    return f"""arrayFirst(x -> ifNull(input_tokens, 0) > x[1], {prices}[{KEY_SQL}]) AS price_row,
  if(length(price_row) = 0 OR input_tokens IS NULL OR (output_tokens IS NULL AND ifNull(operation, '') <> 'embeddings'),
     NULL, price_row[7] + input_tokens * price_row[2] + ifNull(output_tokens, 0) * price_row[3]
           + ifNull(reasoning_tokens, 0) * price_row[6]) AS uncached_usd,
  uncached_usd + ifNull(cache_read_tokens, 0) * price_row[4] + ifNull(cache_creation_tokens, 0) * price_row[5]
    AS call_usd,
  if(call_usd IS NULL, NULL, toInt64(least(greatest(round(call_usd * 1e9), -{limit}), {limit}))) AS cost_nusd,
  if(call_usd IS NULL, NULL, toInt64(least(greatest(round((uncached_usd - call_usd) * 1e9), -{limit}), {limit})))
    AS cache_saved_nusd"""
