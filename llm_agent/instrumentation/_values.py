"""Readers of SDK results shared by every provider: a field of a model *or* a JSON dict, a token
count, a number.  Results come as SDK models from a plain call and as JSON dicts from raw
responses, so every response reader goes through ``field``; the checks are exact-type because a
``bool`` or a ``NaN`` is not a count."""

from __future__ import annotations

from typing import Any, Final

from llm_agent import semconv


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


#: An output format's ``type`` (OpenAI ``response_format`` / ``text.format``, Anthropic
#: ``output_config.format``...) or MIME type (Gemini ``response_mime_type``) -> gen_ai.output.type.
_OUTPUT_TYPES: Final = {
    "json_object": semconv.OUTPUT_TYPE_JSON,
    "json_schema": semconv.OUTPUT_TYPE_JSON,
    "json": semconv.OUTPUT_TYPE_JSON,
    "application/json": semconv.OUTPUT_TYPE_JSON,
    "text": semconv.OUTPUT_TYPE_TEXT,
    "text/plain": semconv.OUTPUT_TYPE_TEXT,
    "image": semconv.OUTPUT_TYPE_IMAGE,
    "audio": semconv.OUTPUT_TYPE_SPEECH,
    "speech": semconv.OUTPUT_TYPE_SPEECH,
}


def output_type(fmt: Any) -> str | None:
    """``gen_ai.output.type`` of the output format a request names, None when it names none we know.

    ``fmt`` is what the request gave: a dict or SDK object with a ``type`` (``{"type":
    "json_schema", ...}``), the type or MIME string itself, or a class (a pydantic model passed to
    ``parse()``: structured output, so JSON).  Every provider's request reader calls this, so the
    values stay the conventions' (``text``, ``json``, ``image``, ``speech``).
    """
    if fmt is None:
        return None
    if isinstance(fmt, type):
        return semconv.OUTPUT_TYPE_JSON
    kind = fmt if type(fmt) is str else field(fmt, "type")
    return _OUTPUT_TYPES.get(kind.lower()) if type(kind) is str else None


__all__ = ["field", "is_number", "output_type", "token_count"]
