"""Anthropic request -> span start attributes, response/stream -> span end attributes.

Token definition (docs/anthropic.md): Anthropic's ``usage.input_tokens`` counts only the input
tokens *after* the last cache breakpoint, while OpenAI's ``prompt_tokens`` includes cached ones and
the OpenTelemetry GenAI spec says ``gen_ai.usage.input_tokens`` SHOULD include cached tokens.  So
``gen_ai.usage.input_tokens`` here is ``input_tokens + cache_read_input_tokens +
cache_creation_input_tokens`` and the two cache counts are also reported on their own: model
analysis sums mean "all input tokens" for every provider.
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent import semconv
from llm_agent.config import Settings
from llm_agent.instrumentation import _anthropic_format as _content
from llm_agent.instrumentation._content import content_attribute, output_message, text
from llm_agent.instrumentation._values import field as _g
from llm_agent.instrumentation._values import output_type, request_params, string_list
from llm_agent.instrumentation._values import token_count as _tok

_NUMBER_PARAMS: Final = (
    ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", semconv.GEN_AI_REQUEST_TOP_P),
)
#: Every keyword argument ``request_attributes`` reads with content capture off: a call's span
#: keeps only these until it is built (not the messages, system prompt or tools);
#: tests/anthropic/test_anthropic_request_keys.py checks the list against what the function reads.
REQUEST_KEYS: Final = frozenset(
    {
        "model",
        *(key for key, _ in _NUMBER_PARAMS),
        "top_k",
        "max_tokens",
        "max_tokens_to_sample",
        "stop_sequences",
        "stream",
        "output_config",
        "output_format",
    }
)
_IN: Final = semconv.GEN_AI_USAGE_INPUT_TOKENS
_OUT: Final = semconv.GEN_AI_USAGE_OUTPUT_TOKENS
_CACHE_READ: Final = semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS
_CACHE_CREATION: Final = semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS
_REASONING: Final = semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS


def request_attributes(operation: str, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Request parameters (keyword-only in the SDK); content only with capture_content."""
    get = kwargs.get
    attrs = request_params(operation, get, _NUMBER_PARAMS)
    top_k = get("top_k")
    if type(top_k) is int:
        attrs[semconv.GEN_AI_REQUEST_TOP_K] = top_k
    max_tokens = get("max_tokens", get("max_tokens_to_sample"))
    if type(max_tokens) is int:
        attrs[semconv.GEN_AI_REQUEST_MAX_TOKENS] = max_tokens
    stop = string_list(get("stop_sequences"))
    if stop is not None:
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = stop
    if get("stream") is True:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    # Structured output: ``output_config.format`` (GA), the beta ``output_format`` (a dict, or the
    # pydantic model ``messages.parse()`` takes).
    config = get("output_config")
    kind = output_type(_g(config, "format") if isinstance(config, dict) else None) or output_type(get("output_format"))
    if kind is not None:
        attrs[semconv.GEN_AI_OUTPUT_TYPE] = kind
    if settings.capture_content:
        limit = settings.content_max_chars
        messages = get("messages")
        if isinstance(messages, (list, tuple)):
            attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_attribute(_content.input_messages(messages), limit)
        prompt = get("prompt")
        if type(prompt) is str:  # the legacy Text Completions API
            attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_attribute([{"role": "user", "parts": [text(prompt)]}], limit)
        system = get("system")
        if isinstance(system, (str, list, tuple)) and system:
            parts = _content.system_instructions(system)
            attrs[semconv.GEN_AI_SYSTEM_INSTRUCTIONS] = content_attribute(parts, limit)
        tools = get("tools")
        if isinstance(tools, (list, tuple)) and tools:
            attrs[semconv.GEN_AI_TOOL_DEFINITIONS] = content_attribute(_content.tool_definitions(tools), limit)
    return attrs


def usage_attributes(
    input_tokens: int | None,
    output_tokens: int | None,
    cache_read: int | None,
    cache_creation: int | None,
    thinking: int | None,
    attrs: dict[str, Any],
) -> None:
    """Set the token attributes; absent counts stay absent (``llm_agent.usage.missing`` if all are)."""
    if input_tokens is None and output_tokens is None:
        attrs[semconv.USAGE_MISSING] = True
        return
    if input_tokens is not None:
        attrs[_IN] = input_tokens + (cache_read or 0) + (cache_creation or 0)
    if output_tokens is not None:
        attrs[_OUT] = output_tokens
    if cache_read is not None:
        attrs[_CACHE_READ] = cache_read
    if cache_creation is not None:
        attrs[_CACHE_CREATION] = cache_creation
    if thinking is not None:
        attrs[_REASONING] = thinking


def _usage(usage: Any, attrs: dict[str, Any]) -> None:
    if usage is None:
        attrs[semconv.USAGE_MISSING] = True
        return
    usage_attributes(
        _tok(_g(usage, "input_tokens")),
        _tok(_g(usage, "output_tokens")),
        _tok(_g(usage, "cache_read_input_tokens")),
        _tok(_g(usage, "cache_creation_input_tokens")),
        _tok(_g(_g(usage, "output_tokens_details"), "thinking_tokens")),
        attrs,
    )


def message_attributes(obj: Any, capture: bool, limit: int) -> dict[str, Any]:
    """A ``Message``/``BetaMessage`` (model or JSON dict), or a legacy ``Completion``."""
    attrs: dict[str, Any] = {}
    value = _g(obj, "id")
    if type(value) is str:
        attrs[semconv.GEN_AI_RESPONSE_ID] = value
    value = _g(obj, "model")
    if type(value) is str:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = value
    reason = _g(obj, "stop_reason")
    if type(reason) is str:
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [reason]
    content = _g(obj, "content")
    if isinstance(content, list):
        names = [n for n in (_g(b, "name") for b in content if _g(b, "type") == "tool_use") if type(n) is str]
        if names:
            attrs[semconv.TOOL_CALL_NAMES] = names
        if capture:
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_attribute([_content.output_message(content, reason)], limit)
    elif capture and type(_g(obj, "completion")) is str:
        message = output_message("assistant", [text(_g(obj, "completion"))], reason)
        attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_attribute([message], limit)
    if _g(obj, "type") == "completion":
        attrs[semconv.USAGE_MISSING] = True  # the legacy Text Completions API reports no usage
    else:
        _usage(_g(obj, "usage"), attrs)
    return attrs


__all__ = ["message_attributes", "request_attributes", "usage_attributes"]
