"""Mistral request -> span start attributes, response -> span end attributes.

Mistral's chat API has the chat-completions shape (``choices[].message``, ``tool_calls``,
``usage.prompt_tokens``), so the readers are the core's shared ones (``instrumentation/_chat.py``).
Mistral's own: its parameter names (``random_seed``, embeddings' ``inputs``/``output_dimension``),
message content that may be a list of chunks — text, and the reasoning models' ``thinking`` chunks
— tool-call arguments that may come as an object, and ``UsageInfo``, which reads 0 for a count the
response did not carry (such a count is unknown here, not zero).  ``prompt_tokens`` includes the
cached ones (``prompt_tokens_details.cached_tokens``), as the GenAI spec wants input tokens to.
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent import semconv
from llm_agent.config import MAX_ID_LENGTH, Settings
from llm_agent.instrumentation._chat import (
    choices_attributes,
    embedding_dimensions,
    joined_text,
    request_content,
    set_usage,
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
from llm_agent.instrumentation.mistralai._sdk import reported

_NUMBER_PARAMS: Final = OPENAI_NUMBER_PARAMS
_INT_PARAMS: Final = (
    ("max_tokens", semconv.GEN_AI_REQUEST_MAX_TOKENS),
    ("top_k", semconv.GEN_AI_REQUEST_TOP_K),
    ("random_seed", semconv.GEN_AI_REQUEST_SEED),
)
#: Every keyword argument ``request_attributes`` reads with content capture off: a call's span
#: keeps only these until it is built (tests/mistralai/test_mistral_request_keys.py checks the list).
REQUEST_KEYS: Final = frozenset(
    {
        "model",
        *(key for key, _ in _NUMBER_PARAMS),
        "max_tokens",
        "top_k",
        "random_seed",
        "stop",
        "n",
        "response_format",
        "output_dimension",
        "encoding_format",
    }
)


def request_attributes(operation: str, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Request parameters (keyword-only in the SDK); content only with capture_content."""
    get = kwargs.get
    attrs = request_params(operation, get, _NUMBER_PARAMS, _INT_PARAMS)
    read_chat_params(get, attrs)
    kind = output_type(get("response_format"))
    if kind is not None:
        attrs[semconv.GEN_AI_OUTPUT_TYPE] = kind
    if operation == semconv.OP_EMBEDDINGS:
        dims = get("output_dimension")
        if type(dims) is int:
            attrs[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dims
        encoding = get("encoding_format")
        if type(encoding) is str and encoding:
            attrs[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] = [encoding]
    if settings.capture_content:
        request_content(operation, kwargs, attrs, settings.content_max_chars, "inputs")
    return attrs


def input_messages(messages: list[Any] | tuple[Any, ...]) -> list[dict[str, Any]]:
    """The request's messages (dicts or the SDK's message models) in the conventions' schema.
    Mistral's system messages are part of the chat history (role ``system``), so there is no
    separate ``gen_ai.system_instructions``."""
    return chat_input_messages(messages)


def output_messages(outputs: list[dict[str, Any]], limit: int) -> str:
    """The serialised ``gen_ai.output.messages`` (the one call site, response and stream alike)."""
    return content_json(outputs, limit)


def message_content(message: Any) -> tuple[str | None, str | None]:
    """(text, reasoning) of a message or delta: a string, or a list of text/thinking chunks."""
    content = _g(message, "content")
    if type(content) is str:
        return content, None
    if not isinstance(content, list):
        return None, None
    texts: list[str] = []
    thoughts: list[str] = []
    for chunk in content:
        kind = _g(chunk, "type")
        if kind == "text" and type(_g(chunk, "text")) is str:
            texts.append(_g(chunk, "text"))
        elif kind == "thinking":
            thoughts.append(joined_text(_g(chunk, "thinking")))
    return "".join(texts) or None, "".join(thoughts) or None


def usage_counts(usage: Any) -> tuple[int | None, int | None, int | None, int | None] | None:
    """(input, output, cache read, reasoning) of a ``UsageInfo``; a count the response did not
    carry is None, never the model's default 0.  None when no count is known at all."""
    if usage is None:
        return None
    input_tokens = _tok(_g(usage, "prompt_tokens")) if reported(usage, "prompt_tokens") else None
    output_tokens = _tok(_g(usage, "completion_tokens")) if reported(usage, "completion_tokens") else None
    cached = _tok(_g(_g(usage, "prompt_tokens_details"), "cached_tokens"))
    return input_tokens, output_tokens, cached, None


def chat_attributes(obj: Any, capture: bool, limit: int) -> dict[str, Any]:
    """A ``ChatCompletionResponse``."""
    attrs: dict[str, Any] = {}
    outputs = choices_attributes(obj, capture, message_content, attrs)
    if outputs is not None:
        attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = output_messages(outputs, limit)
    set_usage(usage_counts(_g(obj, "usage")), attrs)
    return attrs


def embeddings_attributes(obj: Any, capture: bool, limit: int) -> dict[str, Any]:
    """An ``EmbeddingResponse``: only input tokens exist."""
    attrs: dict[str, Any] = {}
    for name, attribute in (("id", semconv.GEN_AI_RESPONSE_ID), ("model", semconv.GEN_AI_RESPONSE_MODEL)):
        value = _g(obj, name)
        if type(value) is str:
            attrs[attribute] = value
    embedding_dimensions(obj, attrs)
    counts = usage_counts(_g(obj, "usage"))
    if counts is None or counts[0] is None:
        attrs[semconv.USAGE_MISSING] = True
    else:
        attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = counts[0]
    return attrs


def request_ids(kwargs: dict[str, Any]) -> tuple[str | None, str | None]:
    """(session, user) from the request's ``metadata`` (used only with ``session_from_request``)."""
    metadata = kwargs.get("metadata")
    if not isinstance(metadata, dict):
        return None, None
    found = []
    for key in ("session_id", "user_id"):
        value = metadata.get(key)
        found.append(value if type(value) is str and 0 < len(value) <= MAX_ID_LENGTH else None)
    return found[0], found[1]


__all__ = [
    "REQUEST_KEYS",
    "chat_attributes",
    "embeddings_attributes",
    "input_messages",
    "message_content",
    "output_messages",
    "request_attributes",
    "request_ids",
    "usage_counts",
]
