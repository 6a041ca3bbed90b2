"""Readers of SDK results shared by every provider: a field of a model *or* a JSON dict, a token
count, a number; the request parameters every provider reads alike; and the bound every token
count of a finished span is held to.

Results come as SDK models from a plain call and as JSON dicts from raw responses, so every
response reader goes through ``field``; the checks are exact-type because a ``bool`` or a ``NaN``
is not a count.  The *range* of a count is checked once, where every provider's end attributes
meet (``bound_usage``, called as the span is built), so a count a reader summed or parsed itself
(a header, cache tokens added to input) is held to the same rule as one it read."""

from __future__ import annotations

from collections.abc import Callable
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


#: ``(argument, attribute)`` pairs of a provider's parameter table.
ParamTable = tuple[tuple[str, str], ...]


#: The sampling parameters of OpenAI's API, which OpenAI-compatible SDKs (Groq, Mistral, LiteLLM)
#: name alike.
OPENAI_NUMBER_PARAMS: Final[ParamTable] = (
    ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", semconv.GEN_AI_REQUEST_TOP_P),
    ("frequency_penalty", semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", semconv.GEN_AI_REQUEST_PRESENCE_PENALTY),
)


def request_params(
    operation: str, get: Callable[[str], Any], numbers: ParamTable = (), ints: ParamTable = ()
) -> dict[str, Any]:
    """The request attributes every provider reads alike: ``gen_ai.operation.name``, the request
    model (a non-empty ``model`` string), each ``numbers`` argument that is a number and each
    ``ints`` argument that is an int (``get``: the arguments' ``get``)."""
    attrs: dict[str, Any] = {semconv.GEN_AI_OPERATION_NAME: operation}
    model = get("model")
    if type(model) is str and model:
        attrs[semconv.GEN_AI_REQUEST_MODEL] = model
    read_params(get, attrs, numbers, ints)
    return attrs


def read_params(get: Callable[[str], Any], attrs: dict[str, Any], numbers: ParamTable, ints: ParamTable = ()) -> None:
    """Into ``attrs``: each ``numbers`` argument that is a number, each ``ints`` one that is an int."""
    for key, name in numbers:
        value = get(key)
        if is_number(value):
            attrs[name] = value
    for key, name in ints:
        value = get(key)
        if type(value) is int:
            attrs[name] = value


def read_chat_params(get: Callable[[str], Any], attrs: dict[str, Any], max_tokens_keys: tuple[str, ...] = ()) -> None:
    """Into ``attrs``, the chat-completions parameters OpenAI-compatible SDKs name alike: the
    first of ``max_tokens_keys`` that is an int, ``stop`` (a string or a list of strings) and
    ``n`` when not 1."""
    for key in max_tokens_keys:
        value = get(key)
        if type(value) is int:
            attrs[semconv.GEN_AI_REQUEST_MAX_TOKENS] = value
            break
    stop = string_list(get("stop"), lone=True)
    if stop is not None:
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = stop
    n = get("n")
    if type(n) is int and n != 1:
        attrs[semconv.GEN_AI_REQUEST_CHOICE_COUNT] = n


def string_list(value: Any, lone: bool = False) -> list[str] | None:
    """A non-empty list or tuple of strings as a list (``lone``: one non-empty string as a list of
    one too), else None: how stop sequences and encoding formats are read."""
    if lone and type(value) is str:
        return [value] if value else None
    if isinstance(value, (list, tuple)) and value and all(type(s) is str for s in value):
        return list(value)
    return None


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


__all__ = [
    "INT64_MAX",
    "MAX_TOKEN_COUNT",
    "USAGE_ATTRIBUTES",
    "bound_usage",
    "field",
    "output_type",
    "is_count",
    "is_number",
    "token_count",
]
