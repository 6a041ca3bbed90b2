"""Cost and prompt-cache health in results: nano-USD sums -> USD, hit ratios, the cache-bust rule.

Shared by every store (the stores sum integer nano-USD like tokens; docs/cost.md).  The cache-bust
rule runs on a session's traces in start order (``mark_cache_busts``); its thresholds are the
constants below, documented in docs/cost.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

#: Stored costs are integer nano-USD.
NANO_USD: Final = 1_000_000_000
#: Cache-bust rule: an earlier turn on the same model(s) read at least this many tokens from the
#: prompt cache (the providers cache prompts of 1024 tokens and more) ...
CACHE_BUST_MIN_HIT_TOKENS: Final = 1024
#: ... and this turn read at most this fraction of what the previous such turn read ("near zero") ...
CACHE_BUST_MAX_READ_FRACTION: Final = 0.05
#: ... while its prompt did not shrink (input tokens at least the previous turn's).


def usd(nusd: Any, priced: Any) -> float | None:
    """USD from a nano-USD sum, ``None`` when no call in it was priced."""
    if not priced or nusd is None:
        return None
    return int(nusd) / NANO_USD if isinstance(nusd, int) else float(nusd) / NANO_USD


def hit_ratio(cache_read: Any, input_tokens: Any) -> float | None:
    """Cache-read input / all input (our input counts include cached tokens), ``None`` without input."""
    if not input_tokens:
        return None
    return int(cache_read or 0) / int(input_tokens)


def column(r: Any, key: str, default: Any = None) -> Any:
    """``r[key]``, or ``default`` for a store whose rows do not have that column."""
    try:
        return r[key]
    except (KeyError, IndexError):
        return default


def cache_busts(turns: Sequence[tuple[tuple[str, ...], int, int]]) -> list[int | None]:
    """Per turn ``(models, input_tokens, cache_read_tokens)`` in start order: the input tokens
    billed uncached because of a cache bust, or ``None`` when the turn is not one.

    A bust: an earlier turn on the same models had at least ``CACHE_BUST_MIN_HIT_TOKENS`` cache
    reads, this turn read at most ``CACHE_BUST_MAX_READ_FRACTION`` of the previous same-model
    turn's reads, and its prompt is at least as long as that turn's.  The tokens billed uncached
    are the previous turn's prompt (what the cache held) minus what this turn still read.
    """
    out: list[int | None] = []
    last: dict[tuple[str, ...], tuple[int, int]] = {}  # models -> previous turn's (input, cache read)
    had_hits: set[tuple[str, ...]] = set()
    for models, tin, cache_read in turns:
        bust = None
        if tin > 0 and models:
            prev = last.get(models)
            if (
                prev is not None
                and models in had_hits
                and cache_read <= CACHE_BUST_MAX_READ_FRACTION * prev[1]
                and tin >= prev[0]
            ):
                bust = max(0, prev[0] - cache_read)
            last[models] = (tin, cache_read)
            if cache_read >= CACHE_BUST_MIN_HIT_TOKENS:
                had_hits.add(models)
        out.append(bust)
    return out
