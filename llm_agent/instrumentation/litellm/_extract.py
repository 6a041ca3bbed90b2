"""LiteLLM request -> span start attributes, ``ModelResponse``/``EmbeddingResponse`` -> end attributes.

LiteLLM takes and returns the OpenAI Chat Completions shape for every provider, and normalises
usage onto it: ``prompt_tokens`` (cached and cache-write tokens included, as the GenAI conventions
count input), ``prompt_tokens_details.cached_tokens``, ``cache_creation_input_tokens`` (Anthropic's),
``completion_tokens_details.reasoning_tokens``.  Usage LiteLLM does not carry stays absent, never 0.

Captured content (only with ``capture_content``) is written in the GenAI conventions' message
schema (``input_messages``, ``output_messages``, ``system_instructions``), not the SDK's shape.
"""

from __future__ import annotations

import json
from typing import Any, Final

from llm_agent import semconv
from llm_agent.config import MAX_ID_LENGTH, Settings
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation._values import (
    OPENAI_NUMBER_PARAMS,
    output_type,
    read_chat_params,
    read_params,
)
from llm_agent.instrumentation._values import field as _g
from llm_agent.instrumentation._values import token_count as _tok

_NUMBER_PARAMS: Final = OPENAI_NUMBER_PARAMS
_MAX_TOKENS_KEYS: Final = ("max_tokens", "max_completion_tokens")
_INT_PARAMS: Final = (("top_k", semconv.GEN_AI_REQUEST_TOP_K), ("seed", semconv.GEN_AI_REQUEST_SEED))
#: Every keyword argument ``request_attributes`` reads with content capture off: a call's span keeps
#: only these until it is built (tests/litellm/test_litellm_request_keys.py checks the list).
REQUEST_KEYS: Final = frozenset(
    {
        *(key for key, _ in _NUMBER_PARAMS),
        *_MAX_TOKENS_KEYS,
        "top_k",
        "seed",
        "stop",
        "n",
        "stream",
        "encoding_format",
        "dimensions",
        "response_format",
    }
)
#: Message roles whose text is a system instruction (kept out of the input messages).
_SYSTEM_ROLES: Final = frozenset({"system", "developer"})
_IN: Final = semconv.GEN_AI_USAGE_INPUT_TOKENS
_OUT: Final = semconv.GEN_AI_USAGE_OUTPUT_TOKENS


def request_attributes(operation: str, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Request parameters (the route's model and provider are the provider module's); content
    only with capture_content."""
    attrs: dict[str, Any] = {semconv.GEN_AI_OPERATION_NAME: operation}
    get = kwargs.get
    read_params(get, attrs, _NUMBER_PARAMS, _INT_PARAMS)
    read_chat_params(get, attrs, _MAX_TOKENS_KEYS)
    if get("stream") is True:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    if operation == semconv.OP_EMBEDDINGS:
        fmt = get("encoding_format")
        if type(fmt) is str and fmt:
            attrs[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] = [fmt]
        dims = get("dimensions")
        if type(dims) is int:
            attrs[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dims
    # OpenAI's ``response_format`` (a dict, or a pydantic class), which LiteLLM passes on.
    kind = output_type(get("response_format"))
    if kind is not None:
        attrs[semconv.GEN_AI_OUTPUT_TYPE] = kind
    if settings.capture_content:
        _content(operation, kwargs, attrs, settings.content_max_chars)
    return attrs


def _content(operation: str, kwargs: dict[str, Any], attrs: dict[str, Any], limit: int) -> None:
    if operation == semconv.OP_EMBEDDINGS:
        value = kwargs.get("input")
        if isinstance(value, (str, list, tuple)):
            attrs[semconv.GEN_AI_EMBEDDINGS_INPUT] = content_json(value, limit)
        return
    messages = kwargs.get("messages")
    if isinstance(messages, (list, tuple)):
        system = system_instructions(messages)
        if system:
            attrs[semconv.GEN_AI_SYSTEM_INSTRUCTIONS] = content_json(system, limit)
        attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_json(input_messages(messages), limit)
    tools = kwargs.get("tools")
    if isinstance(tools, (list, tuple)) and tools:
        attrs[semconv.GEN_AI_TOOL_DEFINITIONS] = content_json(list(tools), limit)


# --- the GenAI message schema ------------------------------------------------------------------------
def _text(content: str) -> dict[str, Any]:
    return {"type": "text", "content": content}


def _arguments(value: Any) -> Any:
    """Tool-call arguments: the object a valid JSON string holds, else the value as given."""
    if type(value) is str:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _tool_call(call: Any) -> dict[str, Any]:
    fn = _g(call, "function")
    return {
        "type": "tool_call",
        "id": _g(call, "id"),
        "name": _g(fn, "name"),
        "arguments": _arguments(_g(fn, "arguments")),
    }


def _media(part: Any, kind: str) -> dict[str, Any]:
    """An image/audio/file part as a reference or a size, never its bytes."""
    modality = {"image_url": "image", "input_audio": "audio"}.get(kind, "file")
    inner = _g(part, kind)
    url = _g(inner, "url") if kind == "image_url" else None
    if kind == "image_url" and url is None and type(inner) is str:
        url = inner
    if type(url) is str and not url.startswith("data:"):
        return {"type": "uri", "modality": modality, "uri": url}
    file_id = _g(inner, "file_id")
    if type(file_id) is str:
        return {"type": "file", "modality": modality, "file_id": file_id}
    data = url if type(url) is str else _g(inner, "data") or _g(inner, "file_data")
    out: dict[str, Any] = {"type": "blob", "modality": modality}
    if type(data) is str:
        out["size"] = len(data)  # characters of the (base64) payload as sent
    return out


def _parts(content: Any) -> list[dict[str, Any]]:
    if type(content) is str:
        return [_text(content)] if content else []
    parts: list[dict[str, Any]] = []
    if isinstance(content, (list, tuple)):
        for part in content:
            kind = _g(part, "type")
            if kind == "text" and type(_g(part, "text")) is str:
                parts.append(_text(_g(part, "text")))
            elif kind in ("image_url", "input_audio", "file"):
                parts.append(_media(part, kind))
            elif type(kind) is str:
                parts.append({"type": kind})
    return parts


def system_instructions(messages: Any) -> list[dict[str, Any]]:
    """The text of the system/developer messages, as a list of text parts."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if _g(message, "role") in _SYSTEM_ROLES:
            out.extend(part for part in _parts(_g(message, "content")) if part["type"] == "text")
    return out


def input_messages(messages: Any) -> list[dict[str, Any]]:
    """The chat history (system messages aside) as ``{"role", "parts"}`` messages."""
    out: list[dict[str, Any]] = []
    for message in messages:
        role = _g(message, "role")
        if role in _SYSTEM_ROLES:
            continue
        if role == "tool":
            response = {
                "type": "tool_call_response",
                "id": _g(message, "tool_call_id"),
                "response": _g(message, "content"),
            }
            out.append({"role": "tool", "parts": [response]})
            continue
        parts = _parts(_g(message, "content"))
        calls = _g(message, "tool_calls")
        if isinstance(calls, (list, tuple)):
            parts.extend(_tool_call(call) for call in calls)
        out.append({"role": role if type(role) is str else "user", "parts": parts})
    return out


def output_messages(choices: Any) -> list[dict[str, Any]]:
    """A response's choices as ``{"role", "parts", "finish_reason"}`` messages."""
    out: list[dict[str, Any]] = []
    for choice in choices:
        message = _g(choice, "message")
        parts: list[dict[str, Any]] = []
        reasoning = _g(message, "reasoning_content")
        if type(reasoning) is str and reasoning:
            parts.append({"type": "reasoning", "content": reasoning})
        parts.extend(_parts(_g(message, "content")))
        calls = _g(message, "tool_calls")
        if isinstance(calls, list):
            parts.extend(_tool_call(call) for call in calls)
        out.append(
            {"role": _g(message, "role") or "assistant", "parts": parts, "finish_reason": _g(choice, "finish_reason")}
        )
    return out


# --- responses -----------------------------------------------------------------------------------------
def usage_attributes(usage: Any, attrs: dict[str, Any]) -> None:
    """LiteLLM's normalised ``Usage``; absent counts stay absent (``usage.missing`` if all are)."""
    input_tokens = _tok(_g(usage, "prompt_tokens"))
    output_tokens = _tok(_g(usage, "completion_tokens"))
    if input_tokens is None and output_tokens is None:
        attrs[semconv.USAGE_MISSING] = True
        return
    if input_tokens is not None:
        attrs[_IN] = input_tokens
    if output_tokens is not None:
        attrs[_OUT] = output_tokens
    details = _g(usage, "prompt_tokens_details")
    cached = _tok(_g(details, "cached_tokens"))
    if cached is None:
        cached = _tok(_g(usage, "cache_read_input_tokens"))
    if cached is not None:
        attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cached
    # Anthropic's cache writes: a field of the response's usage, in the details of a stream's.
    created = _tok(_g(usage, "cache_creation_input_tokens"))
    if created is None:
        created = _tok(_g(details, "cache_write_tokens"))
    if created is not None:
        attrs[semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = created
    reasoning = _tok(_g(_g(usage, "completion_tokens_details"), "reasoning_tokens"))
    if reasoning is not None:
        attrs[semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = reasoning


def chat_attributes(obj: Any, capture: bool, limit: int) -> dict[str, Any]:
    """A ``ModelResponse`` (chat completion in OpenAI's shape, whatever the provider)."""
    attrs: dict[str, Any] = {}
    value = _g(obj, "id")
    if type(value) is str:
        attrs[semconv.GEN_AI_RESPONSE_ID] = value
    value = _g(obj, "model")
    if type(value) is str and value:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = value
    choices = _g(obj, "choices")
    if isinstance(choices, list):
        reasons = [r for r in (_g(c, "finish_reason") for c in choices) if type(r) is str]
        if reasons:
            attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
        names = [
            name
            for choice in choices
            for call in (_g(_g(choice, "message"), "tool_calls") or ())
            if type(name := _g(_g(call, "function"), "name")) is str
        ]
        if names:
            attrs[semconv.TOOL_CALL_NAMES] = names
        if capture:
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json(output_messages(choices), limit)
    usage_attributes(_g(obj, "usage"), attrs)
    return attrs


def embeddings_attributes(obj: Any, capture: bool, limit: int) -> dict[str, Any]:
    """An ``EmbeddingResponse``: input tokens only (embeddings have no output tokens)."""
    attrs: dict[str, Any] = {}
    value = _g(obj, "model")
    if type(value) is str and value:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = value
    data = _g(obj, "data")
    if isinstance(data, list) and data:
        vector = _g(data[0], "embedding")
        if isinstance(vector, list):
            attrs[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(vector)
    tokens = _tok(_g(_g(obj, "usage"), "prompt_tokens"))
    if tokens is None:
        attrs[semconv.USAGE_MISSING] = True
    else:
        attrs[_IN] = tokens
    return attrs


def request_ids(kwargs: dict[str, Any]) -> tuple[str | None, str | None]:
    """(session, user) the request names: ``metadata`` keys and ``user`` (with ``session_from_request``)."""
    session_id = user_id = None
    metadata = kwargs.get("metadata")
    if isinstance(metadata, dict):
        value = metadata.get("session_id")
        if type(value) is str and 0 < len(value) <= MAX_ID_LENGTH:
            session_id = value
        value = metadata.get("user_id")
        if type(value) is str and 0 < len(value) <= MAX_ID_LENGTH:
            user_id = value
    value = kwargs.get("user")
    if user_id is None and type(value) is str and 0 < len(value) <= MAX_ID_LENGTH:
        user_id = value
    return session_id, user_id


__all__ = [
    "REQUEST_KEYS",
    "chat_attributes",
    "embeddings_attributes",
    "input_messages",
    "output_messages",
    "request_attributes",
    "request_ids",
    "system_instructions",
    "usage_attributes",
]
