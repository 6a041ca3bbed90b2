"""Readers of SDK results shared by every provider: a field of a model *or* a JSON dict, a token
count, a number; and the bound every token count of a finished span is held to.

Results come as SDK models from a plain call and as JSON dicts from raw responses, so every
response reader goes through ``field``; the checks are exact-type because a ``bool`` or a ``NaN``
is not a count.  The *range* of a count is checked once, where every provider's end attributes
meet (``bound_usage``, called as the span is built), so a count a reader summed or parsed itself
(a header, cache tokens added to input) is held to the same rule as one it read."""

from __future__ import annotations

from typing import Any, Final

from llm_agent import semconv

#: The largest token count a span keeps (tokens).  A trillion is four orders of magnitude above any
#: model's context window, so a larger value is a provider's bug, not usage; and nine million such
#: calls still sum within SQLite's 64-bit integers, so the sink's rollups stay exact.
MAX_TOKEN_COUNT: Final = 10**12
#: SQLite's largest integer: rollup sums saturate here rather than fail the batch.
INT64_MAX: Final = 2**63 - 1
#: Every usage attribute a span may carry (each bounded by ``bound_usage``).
USAGE_ATTRIBUTES: Final = (
    semconv.GEN_AI_USAGE_INPUT_TOKENS,
    semconv.GEN_AI_USAGE_OUTPUT_TOKENS,
    semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
)


def field(obj: Any, name: str) -> Any:
    """``obj.name`` or ``obj[name]`` (SDK model or raw JSON dict); None when absent."""
    if obj is None:
        return None
    if type(obj) is dict:
        return obj.get(name)
    return getattr(obj, name, None)


def token_count(value: Any) -> int | None:
    """``value`` if it is a token count (a non-negative int, not a bool), else None (unknown).

    Its upper bound is ``bound_usage``'s, which flags what it drops; a count past it passes here so
    that it can be flagged there."""
    return value if type(value) is int and value >= 0 else None


def is_count(value: Any) -> bool:
    """A token count within bounds: an int (not a bool) in ``0..MAX_TOKEN_COUNT``."""
    return type(value) is int and 0 <= value <= MAX_TOKEN_COUNT


def bound_usage(attrs: dict[str, Any]) -> dict[str, Any]:
    """Drop (in place) every usage attribute that is not a count within bounds, and flag it.

    The dropped names go to ``llm_agent.usage.invalid``; when neither input nor output tokens are
    left, usage is unknown (``llm_agent.usage.missing``), never 0.  Returns ``attrs``."""
    invalid = None
    for key in USAGE_ATTRIBUTES:
        value = attrs.get(key)
        if value is not None and not (type(value) is int and 0 <= value <= MAX_TOKEN_COUNT):
            del attrs[key]
            invalid = [key] if invalid is None else [*invalid, key]
    if invalid is not None:
        attrs[semconv.USAGE_INVALID] = invalid
        if semconv.GEN_AI_USAGE_INPUT_TOKENS not in attrs and semconv.GEN_AI_USAGE_OUTPUT_TOKENS not in attrs:
            attrs[semconv.USAGE_MISSING] = True
    return attrs


def is_number(value: Any) -> bool:
    """An int or float that is not NaN (a request parameter worth recording)."""
    return (type(value) is int or type(value) is float) and value == value


__all__ = [
    "INT64_MAX",
    "MAX_TOKEN_COUNT",
    "USAGE_ATTRIBUTES",
    "bound_usage",
    "field",
    "is_count",
    "is_number",
    "token_count",
]
