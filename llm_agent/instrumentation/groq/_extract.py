"""Groq request -> span start attributes, response -> span end attributes.

Groq's API is OpenAI's chat-completions shape, so the readers are the core's shared ones
(``instrumentation/_chat.py``); what is Groq's own is here: its request parameters, its
``message.reasoning`` field (the reasoning models' thought, a string), and a stream's usage in
the last chunk's ``x_groq.usage``.  ``prompt_tokens`` includes cached tokens, as the GenAI spec
wants ``gen_ai.usage.input_tokens`` to.
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent import semconv
from llm_agent.config import MAX_ID_LENGTH, Settings
from llm_agent.instrumentation._chat import (
    choices_attributes,
    embedding_dimensions,
    request_content,
    set_usage,
    usage_counts,
)
from llm_agent.instrumentation._chat import input_messages as chat_input_messages
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation._values import (
    OPENAI_NUMBER_PARAMS,
    output_type,
    read_chat_params,
    request_params,
)
from llm_agent.instrumentation._values import field as _g
from llm_agent.instrumentation._values import token_count as _tok

_NUMBER_PARAMS: Final = OPENAI_NUMBER_PARAMS
_MAX_TOKENS_KEYS: Final = ("max_completion_tokens", "max_tokens")
_INT_PARAMS: Final = (("seed", semconv.GEN_AI_REQUEST_SEED),)
#: Every keyword argument ``request_attributes`` reads with content capture off: a call's span
#: keeps only these until it is built (tests/groq/test_groq_request_keys.py checks the list).
REQUEST_KEYS: Final = frozenset(
    {
        "model",
        *(key for key, _ in _NUMBER_PARAMS),
        *_MAX_TOKENS_KEYS,
        "seed",
        "stop",
        "n",
        "stream",
        "response_format",
        "encoding_format",
    }
)


def request_attributes(operation: str, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Request parameters (keyword-only in the SDK); content only with capture_content."""
    get = kwargs.get
    attrs = request_params(operation, get, _NUMBER_PARAMS, _INT_PARAMS)
    read_chat_params(get, attrs, _MAX_TOKENS_KEYS)
    if get("stream") is True:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    kind = output_type(get("response_format"))
    if kind is not None:
        attrs[semconv.GEN_AI_OUTPUT_TYPE] = kind
    if operation == semconv.OP_EMBEDDINGS:
        encoding = get("encoding_format")
        if type(encoding) is str and encoding:
            attrs[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] = [encoding]
    if settings.capture_content:
        request_content(operation, kwargs, attrs, settings.content_max_chars, "input")
    return attrs


def input_messages(messages: list[Any] | tuple[Any, ...]) -> list[dict[str, Any]]:
    """The request's messages in the conventions' schema.  Groq's system messages are part of the
    chat history (role ``system``), so there is no separate ``gen_ai.system_instructions``."""
    return chat_input_messages(messages)


def output_messages(outputs: list[dict[str, Any]], limit: int) -> str:
    """The serialised ``gen_ai.output.messages`` (the one call site, response and stream alike)."""
    return content_json(outputs, limit)


def message_content(message: Any) -> tuple[str | None, str | None]:
    """(text, reasoning) of a message or delta: Groq's reasoning is a string field of its own."""
    text = _g(message, "content")
    reasoning = _g(message, "reasoning")
    return (text if type(text) is str else None), (reasoning if type(reasoning) is str else None)


def chat_attributes(obj: Any, capture: bool, limit: int) -> dict[str, Any]:
    """A ``ChatCompletion`` (an SDK model or a raw response's JSON dict)."""
    attrs: dict[str, Any] = {}
    outputs = choices_attributes(obj, capture, message_content, attrs)
    if outputs is not None:
        attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = output_messages(outputs, limit)
    usage = _g(obj, "usage")
    set_usage(usage_counts(usage) if usage is not None else None, attrs)
    return attrs


def embeddings_attributes(obj: Any, capture: bool, limit: int) -> dict[str, Any]:
    """A ``CreateEmbeddingResponse``: only input tokens exist."""
    attrs: dict[str, Any] = {}
    value = _g(obj, "model")
    if type(value) is str:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = value
    embedding_dimensions(obj, attrs)
    tokens = _tok(_g(_g(obj, "usage"), "prompt_tokens"))
    if tokens is None:
        attrs[semconv.USAGE_MISSING] = True
    else:
        attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = tokens
    return attrs


def request_user(kwargs: dict[str, Any]) -> str | None:
    """The request's ``user`` (used only with ``session_from_request``)."""
    value = kwargs.get("user")
    return value if type(value) is str and 0 < len(value) <= MAX_ID_LENGTH else None


__all__ = [
    "REQUEST_KEYS",
    "chat_attributes",
    "embeddings_attributes",
    "input_messages",
    "message_content",
    "output_messages",
    "request_attributes",
    "request_user",
]
