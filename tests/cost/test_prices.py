"""Per-call USD cost against genai-prices called directly: the sink's arithmetic must be its semantics.

Our token columns follow docs/data-model.md for every provider: ``input_tokens`` includes the cache
reads and writes (Anthropic's and Bedrock's counts are summed by their provider packages), and
``output_tokens`` includes reasoning.  genai-prices' ``Usage`` counts the same way (its cache and
reasoning units are parts of the input and output units), so each case below hands both the same
numbers, and, for the providers that report cache tokens apart, checks that the price really is
uncached input + cache reads + cache writes at their own rates.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from llm_agent._cost import Pricer
from llm_agent._cost._prices import PROVIDER_IDS

genai_prices = pytest.importorskip("genai_prices")

WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
WHEN_NS = int(WHEN.timestamp()) * 1_000_000_000
#: Float arithmetic on per-token coefficients vs genai-prices' Decimals: equal to a billionth of a dollar.
TOLERANCE_USD = 1e-12


def _reference(model: str, provider: str, when: datetime = WHEN, **usage: int) -> Decimal:
    return genai_prices.calc_price(
        genai_prices.Usage(**usage), model, provider_id=PROVIDER_IDS[provider], genai_request_timestamp=when
    ).total_price


def _ours(provider: str, model: str, op: str = "chat", start_ns: int = WHEN_NS, **counts: int | None) -> tuple:
    return Pricer().price(
        provider, model, None, op, start_ns, counts.get("tin"), counts.get("tout"), counts.get("cache_read"),
        counts.get("cache_write"), counts.get("reasoning"),
    )  # fmt: skip


def test_openai_chat_with_cached_and_reasoning_tokens() -> None:
    cost, saved, version = _ours("openai", "o3-mini", tin=12_000, tout=3_000, cache_read=8_192, reasoning=2_048)
    expected = _reference(
        "o3-mini", "openai", input_tokens=12_000, output_tokens=3_000, cache_read_tokens=8_192,
        output_reasoning_tokens=2_048,
    )  # fmt: skip
    assert cost == pytest.approx(float(expected), abs=TOLERANCE_USD)
    # Reasoning is billed as output: the same cost as without the reasoning breakdown.
    assert float(expected) == pytest.approx(
        float(_reference("o3-mini", "openai", input_tokens=12_000, output_tokens=3_000, cache_read_tokens=8_192)),
        abs=TOLERANCE_USD,
    )
    uncached = _reference("o3-mini", "openai", input_tokens=12_000, output_tokens=3_000)
    assert saved == pytest.approx(float(uncached - expected), abs=TOLERANCE_USD) and saved > 0
    assert version == f"genai-prices {genai_prices.__version__}"


def test_anthropic_cache_read_and_write() -> None:
    # Anthropic reported input_tokens=50, cache_read=2000, cache_creation=1000: our input is their sum.
    cost, saved, _ = _ours("anthropic", "claude-3-5-sonnet-20241022", tin=3_050, tout=400, cache_read=2_000,
                           cache_write=1_000)  # fmt: skip
    expected = _reference(
        "claude-3-5-sonnet-20241022", "anthropic", input_tokens=3_050, output_tokens=400, cache_read_tokens=2_000,
        cache_write_tokens=1_000,
    )  # fmt: skip
    assert cost == pytest.approx(float(expected), abs=TOLERANCE_USD)
    price = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=1), "claude-3-5-sonnet-20241022", provider_id="anthropic"
    ).model_price
    by_hand = (50 * price.input_mtok + 2_000 * price.cache_read_mtok + 1_000 * price.cache_write_mtok
               + 400 * price.output_mtok) / 1_000_000  # fmt: skip
    assert cost == pytest.approx(float(by_hand), abs=TOLERANCE_USD)
    assert saved == pytest.approx(float(_reference("claude-3-5-sonnet-20241022", "anthropic", input_tokens=3_050,
                                                   output_tokens=400) - expected), abs=TOLERANCE_USD)  # fmt: skip


def test_embedding_without_output_tokens() -> None:
    cost, saved, _ = _ours("openai", "text-embedding-3-small", op="embeddings", tin=7_000)
    assert cost == pytest.approx(float(_reference("text-embedding-3-small", "openai", input_tokens=7_000)), abs=1e-15)
    assert saved == 0.0


def test_gemini_call_with_cached_content() -> None:
    cost, _, _ = _ours("gcp.gemini", "gemini-2.0-flash", tin=20_000, tout=800, cache_read=16_000)
    expected = _reference("gemini-2.0-flash", "gcp.gemini", input_tokens=20_000, output_tokens=800,
                          cache_read_tokens=16_000)  # fmt: skip
    assert cost == pytest.approx(float(expected), abs=TOLERANCE_USD)


def test_tiered_prices_go_through_genai_prices() -> None:
    # Past 200k prompt tokens every token is billed at the higher tier: not linear, so priced per call.
    for tin in (100_000, 250_000):
        cost, _, _ = _ours("anthropic", "claude-sonnet-4-5", tin=tin, tout=1_000, cache_read=50_000)
        expected = _reference("claude-sonnet-4-5", "anthropic", input_tokens=tin, output_tokens=1_000,
                              cache_read_tokens=50_000)  # fmt: skip
        assert cost == pytest.approx(float(expected), abs=TOLERANCE_USD)


def test_the_calls_date_decides_the_price() -> None:
    """A model whose price changed on a date (found in the installed table): each side priced as
    genai-prices prices it on that day."""
    from genai_prices import data_snapshot
    from genai_prices.types import StartDateConstraint

    for provider_id, ours in (("google", "gcp.gemini"), ("openai", "openai"), ("anthropic", "anthropic")):
        provider = next(p for p in data_snapshot.get_snapshot().providers if p.id == provider_id)
        for model in provider.models:
            if not isinstance(model.prices, list):
                continue
            for c in model.prices:
                if not isinstance(c.constraint, StartDateConstraint):
                    continue
                change = datetime(c.constraint.start_date.year, c.constraint.start_date.month,
                                  c.constraint.start_date.day, 12, tzinfo=timezone.utc)  # fmt: skip
                before = datetime.fromtimestamp(change.timestamp() - 86_400, tz=timezone.utc)
                costs = []
                for when in (before, change):
                    expected = _reference(model.id, ours, when, input_tokens=1_000_000, output_tokens=100_000)
                    cost, _, _ = _ours(ours, model.id, start_ns=int(when.timestamp()) * 10**9, tin=1_000_000,
                                       tout=100_000)  # fmt: skip
                    assert cost == pytest.approx(float(expected), abs=TOLERANCE_USD), (model.id, when)
                    costs.append(cost)
                if costs[0] != costs[1]:
                    return  # found a real price change and both days matched
    pytest.skip("the installed price table has no dated price change for these providers")


def test_unknown_model_and_unknown_usage_are_unpriced() -> None:
    assert _ours("openai", "no-such-model-xyz", tin=10, tout=5) == (None, None, None)
    assert _ours("openai", "gpt-4o", tin=None, tout=5) == (None, None, None)
    assert _ours("openai", "gpt-4o", tin=10, tout=None) == (None, None, None)  # chat without output: unknown
    # A model on the user's own server is never priced at a hosted provider's rate.
    assert _ours("ollama", "gpt-4o", tin=10, tout=5) == (None, None, None)


def test_response_model_first_request_model_as_fallback() -> None:
    pricer = Pricer()
    dated = pricer.price("openai", "gpt-4o-mini-2024-07-18", "my-alias", "chat", WHEN_NS, 1000, 100, 0, 0, 0)
    fallback = pricer.price("openai", "unknown-snapshot-xyz", "gpt-4o-mini", "chat", WHEN_NS, 1000, 100, 0, 0, 0)
    expected = float(_reference("gpt-4o-mini", "openai", input_tokens=1000, output_tokens=100))
    assert dated[0] == pytest.approx(expected, abs=TOLERANCE_USD)
    assert fallback[0] == pytest.approx(expected, abs=TOLERANCE_USD)


def test_the_sinks_fast_path_prices_exactly_as_the_pricer() -> None:
    """``RowPricer`` (one dict lookup and the dot product per row) against ``Pricer.price`` per row."""
    from llm_agent.backends._sqlite_cost import RowPricer, cost_values
    from llm_agent.backends._sqlite_rows import SPAN_COLUMNS

    index = {name: i for i, name in enumerate(SPAN_COLUMNS)}
    cases = [  # provider, model, op, input, output, cache read, cache write, reasoning
        ("anthropic", "claude-3-5-sonnet-20241022", "chat", 3_050, 400, 2_000, 1_000, None),
        ("openai", "o3-mini", "chat", 12_000, 3_000, 8_192, None, 2_048),
        ("anthropic", "claude-sonnet-4-5", "chat", 250_000, 1_000, 50_000, None, None),
        ("anthropic", "claude-sonnet-4-5", "chat", 150_000, 1_000, 0, None, None),
        ("openai", "text-embedding-3-small", "embeddings", 7_000, None, None, None, None),
        ("openai", "gpt-4o", "chat", 10, None, None, None, None),  # no output count: unknown
        ("openai", "no-such-model-xyz", "chat", 10, 5, None, None, None),
        ("deepseek", "deepseek-chat", "chat", 1_000, 100, 500, None, None),  # off-peak prices: the general path
    ]
    rows = []
    for provider, model, op, tin, tout, cr, cw, rs in cases:
        row: list[object] = [None] * len(SPAN_COLUMNS)
        values = {"provider": provider, "response_model": model, "request_model": model, "operation": op,
                  "start_ns": WHEN_NS, "input_tokens": tin, "output_tokens": tout, "cache_read_tokens": cr,
                  "cache_creation_tokens": cw, "reasoning_tokens": rs}  # fmt: skip
        for name, value in values.items():
            row[index[name]] = value
        rows.append(tuple(row))
    pricer = RowPricer()
    fast = pricer.extend(rows)
    assert pricer._pricer is not None
    assert fast == [r + cost_values(pricer._pricer, r) for r in rows]
    assert [f[-3] is None for f in fast] == [False, False, False, False, False, True, True, False]
