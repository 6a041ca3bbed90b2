"""Readers of SDK results shared by every provider: a field of a model *or* a JSON dict, a token
count, a number.  Results come as SDK models from a plain call and as JSON dicts from raw
responses, so every response reader goes through ``field``; the checks are exact-type because a
``bool`` or a ``NaN`` is not a count."""

from __future__ import annotations

from typing import Any


def field(obj: Any, name: str) -> Any:
    """``obj.name`` or ``obj[name]`` (SDK model or raw JSON dict); None when absent."""
    if obj is None:
        return None
    if type(obj) is dict:
        return obj.get(name)
    return getattr(obj, name, None)


def token_count(value: Any) -> int | None:
    """``value`` if it is a token count (a non-negative int, not a bool), else None (unknown)."""
    return value if type(value) is int and value >= 0 else None


def is_number(value: Any) -> bool:
    """An int or float that is not NaN (a request parameter worth recording)."""
    return (type(value) is int or type(value) is float) and value == value


__all__ = ["field", "is_number", "token_count"]
