"""Cohere v2 request -> span start attributes, responses -> span end attributes (docs/cohere.md).

Token definition: ``usage.tokens`` is what the model processed (the prompt template included) and
``usage.billed_units`` what Cohere charges; ``gen_ai.usage.*`` takes ``tokens`` (the conventions'
"tokens used"), falling back to the billed counts when a response has only those, and the billed
units are recorded on their own (``cohere.usage.billed.*``).  ``usage.cached_tokens`` is part of
``tokens.input_tokens`` (a recorded response has 2928 cached of 2935) and becomes
``gen_ai.usage.cache_read.input_tokens``.  The SDK types every count as a float, so a whole float
is read as the count it is; anything else stays unknown.

Rerank reports no tokens at all, only billed search units: its span (kind ``RERANKER``) carries
the search units and no ``gen_ai.usage.*`` — neither a count nor ``llm_agent.usage.missing``.
"""

from __future__ import annotations

import json
from typing import Any, Final

from llm_agent import semconv
from llm_agent.config import Settings
from llm_agent.instrumentation import _content as c
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation._values import field as _g
from llm_agent.instrumentation._values import output_type, request_params, string_list, token_count

#: ``gen_ai.operation.name`` of a rerank call (the GenAI conventions define none).
OP_RERANK: Final = semconv.OP_RERANK
RERANK_DOCUMENTS: Final = semconv.RERANK_DOCUMENTS
RERANK_TOP_N: Final = semconv.RERANK_TOP_N
BILLED_INPUT_TOKENS: Final = semconv.COHERE_BILLED_INPUT_TOKENS
BILLED_OUTPUT_TOKENS: Final = semconv.COHERE_BILLED_OUTPUT_TOKENS
BILLED_SEARCH_UNITS: Final = semconv.COHERE_BILLED_SEARCH_UNITS

_NUMBER_PARAMS: Final = (
    ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
    ("p", semconv.GEN_AI_REQUEST_TOP_P),
    ("frequency_penalty", semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", semconv.GEN_AI_REQUEST_PRESENCE_PENALTY),
)
_INT_PARAMS: Final = (
    ("k", semconv.GEN_AI_REQUEST_TOP_K),
    ("max_tokens", semconv.GEN_AI_REQUEST_MAX_TOKENS),
    ("seed", semconv.GEN_AI_REQUEST_SEED),
    ("output_dimension", semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT),
    ("top_n", RERANK_TOP_N),
)
#: Every keyword argument ``request_attributes`` reads with content capture off: a call's span
#: keeps only these until it is built (not the messages, texts or documents);
#: tests/cohere/test_cohere_extract.py checks the list against what the function reads.
REQUEST_KEYS: Final = frozenset(
    {
        "model",
        *(key for key, _ in _NUMBER_PARAMS),
        *(key for key, _ in _INT_PARAMS),
        "stop_sequences",
        "embedding_types",
        "response_format",
    }
)


def count(value: Any) -> int | None:
    """A Cohere count (typed ``float`` by the SDK, ``int`` in raw JSON) as a token count, or None."""
    if type(value) is float and value.is_integer():
        value = int(value)
    return token_count(value)


def request_attributes(operation: str, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Request parameters (keyword-only in the SDK); content only with capture_content."""
    get = kwargs.get
    attrs = request_params(operation, get, _NUMBER_PARAMS, _INT_PARAMS)
    stop = string_list(get("stop_sequences"))
    if stop is not None:
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = stop
    formats = string_list(get("embedding_types"))
    if formats is not None:
        attrs[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] = formats
    kind = output_type(get("response_format"))  # chat: {"type": "json_object" | "text", ...}
    if kind is not None:
        attrs[semconv.GEN_AI_OUTPUT_TYPE] = kind
    if settings.capture_content:
        _request_content(operation, kwargs, settings.content_max_chars, attrs)
    return attrs


def rerank_start(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The document count of a rerank call, read at the call (the list itself is not kept)."""
    documents = kwargs.get("documents")
    return {RERANK_DOCUMENTS: len(documents)} if isinstance(documents, (list, tuple)) else {}


def _request_content(operation: str, kwargs: dict[str, Any], limit: int, attrs: dict[str, Any]) -> None:
    if operation == semconv.OP_CHAT:
        messages = kwargs.get("messages")
        if isinstance(messages, (list, tuple)):
            attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_json(input_messages(messages), limit)
        tools = kwargs.get("tools")
        if isinstance(tools, (list, tuple)) and tools:
            attrs[semconv.GEN_AI_TOOL_DEFINITIONS] = content_json(tools, limit)
    elif operation == semconv.OP_EMBEDDINGS:
        texts = kwargs.get("texts")
        if isinstance(texts, (list, tuple)):
            attrs[semconv.GEN_AI_EMBEDDINGS_INPUT] = content_json(texts, limit)


# --- content in the GenAI conventions' message schema --------------------------------------------


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "content": text}


def _arguments(raw: Any) -> Any:
    """Tool-call arguments: the object their JSON string holds, or the string when it is not JSON."""
    if type(raw) is str:
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _tool_call(call: Any) -> dict[str, Any]:
    function = _g(call, "function")
    return {
        "type": "tool_call",
        "id": _g(call, "id"),
        "name": _g(function, "name"),
        "arguments": _arguments(_g(function, "arguments")),
    }


def _content_parts(content: Any) -> list[dict[str, Any]]:
    """A message's ``content``: a string, or a list of text / image_url / thinking / document items."""
    if type(content) is str:
        return [_text(content)]
    parts: list[dict[str, Any]] = []
    if not isinstance(content, (list, tuple)):
        return parts
    for item in content:
        kind = _g(item, "type")
        if kind == "text" and type(_g(item, "text")) is str:
            parts.append(_text(_g(item, "text")))
        elif kind == "thinking" and type(_g(item, "thinking")) is str:
            parts.append({"type": "reasoning", "content": _g(item, "thinking")})
        elif kind == "image_url":
            url = _g(_g(item, "image_url"), "url")
            parts.append(_media(url))
        elif kind == "document":
            parts.append({"type": "document", "document": _g(item, "document")})
    return parts


def _media(url: Any) -> dict[str, Any]:
    """An image: its URL, or for inline ``data:`` URLs only their MIME type and size (never the bytes)."""
    return c.uri(url, "image")


def input_messages(messages: Any) -> list[dict[str, Any]]:
    """The request's chat history (system messages included: Cohere has them in the history)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        role = _g(message, "role")
        if role == "tool":
            response = _g(message, "content")
            if isinstance(response, (list, tuple)):
                response = _content_parts(response)
            parts = [{"type": "tool_call_response", "id": _g(message, "tool_call_id"), "response": response}]
        else:
            parts = _assistant_parts(message) if role == "assistant" else _content_parts(_g(message, "content"))
        out.append({"role": role, "parts": parts})
    return out


def _assistant_parts(message: Any) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    plan = _g(message, "tool_plan")
    if type(plan) is str and plan:
        parts.append({"type": "reasoning", "content": plan})
    parts.extend(_content_parts(_g(message, "content")))
    calls = _g(message, "tool_calls")
    if isinstance(calls, (list, tuple)):
        parts.extend(_tool_call(call) for call in calls)
    return parts


def output_messages(message: Any, finish_reason: Any) -> list[dict[str, Any]]:
    """A response's assistant message in the conventions' schema."""
    return [c.output_message("assistant", _assistant_parts(message), finish_reason)]


# --- responses ------------------------------------------------------------------------------------


def usage_attributes(
    tokens_in: int | None,
    tokens_out: int | None,
    billed_in: int | None,
    billed_out: int | None,
    cached: int | None,
    attrs: dict[str, Any],
) -> None:
    """The token attributes; counts not reported stay absent (``llm_agent.usage.missing`` if all are)."""
    input_tokens = tokens_in if tokens_in is not None else billed_in
    output_tokens = tokens_out if tokens_out is not None else billed_out
    if input_tokens is None and output_tokens is None:
        attrs[semconv.USAGE_MISSING] = True
    if input_tokens is not None:
        attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = input_tokens
    if output_tokens is not None:
        attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] = output_tokens
    if cached is not None:
        attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cached
    if billed_in is not None:
        attrs[BILLED_INPUT_TOKENS] = billed_in
    if billed_out is not None:
        attrs[BILLED_OUTPUT_TOKENS] = billed_out


def read_usage(usage: Any, attrs: dict[str, Any]) -> None:
    """A ``Usage`` (chat) or ``ApiMeta`` (embed): both have ``tokens``, ``billed_units``, ``cached_tokens``."""
    tokens = _g(usage, "tokens")
    billed = _g(usage, "billed_units")
    usage_attributes(
        count(_g(tokens, "input_tokens")),
        count(_g(tokens, "output_tokens")),
        count(_g(billed, "input_tokens")),
        count(_g(billed, "output_tokens")),
        count(_g(usage, "cached_tokens")),
        attrs,
    )


def tool_call_names(calls: Any) -> list[str]:
    if not isinstance(calls, (list, tuple)):
        return []
    return [name for name in (_g(_g(call, "function"), "name") for call in calls) if type(name) is str]


def chat_attributes(body: Any, capture: bool, limit: int) -> dict[str, Any]:
    """A ``V2ChatResponse`` (model or JSON dict).  It names no model: the request's is all there is."""
    attrs: dict[str, Any] = {}
    value = _g(body, "id")
    if type(value) is str:
        attrs[semconv.GEN_AI_RESPONSE_ID] = value
    reason = _g(body, "finish_reason")
    if type(reason) is str:
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [reason]
    message = _g(body, "message")
    names = tool_call_names(_g(message, "tool_calls"))
    if names:
        attrs[semconv.TOOL_CALL_NAMES] = names
    if capture and message is not None:
        attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json(output_messages(message, reason), limit)
    read_usage(_g(body, "usage"), attrs)
    return attrs


def embed_attributes(body: Any, capture: bool, limit: int) -> dict[str, Any]:
    """An ``EmbedByTypeResponse``: its usage is in ``meta``."""
    attrs: dict[str, Any] = {}
    value = _g(body, "id")
    if type(value) is str:
        attrs[semconv.GEN_AI_RESPONSE_ID] = value
    read_usage(_g(body, "meta"), attrs)
    return attrs


def rerank_attributes(body: Any, capture: bool, limit: int) -> dict[str, Any]:
    """A ``V2RerankResponse``: billed search units only (no tokens: not an LLM or embedding call)."""
    attrs: dict[str, Any] = {}
    value = _g(body, "id")
    if type(value) is str:
        attrs[semconv.GEN_AI_RESPONSE_ID] = value
    units = count(_g(_g(_g(body, "meta"), "billed_units"), "search_units"))
    if units is not None:
        attrs[BILLED_SEARCH_UNITS] = units
    return attrs


__all__ = [
    "OP_RERANK",
    "REQUEST_KEYS",
    "chat_attributes",
    "count",
    "embed_attributes",
    "input_messages",
    "output_messages",
    "read_usage",
    "request_attributes",
    "rerank_attributes",
    "rerank_start",
    "tool_call_names",
    "usage_attributes",
]
