"""DashScope request -> span start attributes, response -> span end attributes (docs/dashscope.md).

Both APIs of the SDK are read here: the classic module API (``Generation.call``...), whose results
are ``DashScopeAPIResponse`` dicts (``output``/``usage``/``request_id``), and the 2.x client
(``dashscope.Client``), whose results are pydantic models (``choices``/``embeddings``/``results``).
``field`` reads either.

Token definition: DashScope's ``input_tokens`` already include the cached ones
(``prompt_tokens_details.cached_tokens`` is a part of them, as with OpenAI), and
``output_tokens_details.reasoning_tokens`` a part of ``output_tokens``, so they are recorded as
given.  Both APIs fill absent counts with 0 (the classic ``GenerationUsage`` defaults, the 2.x
``Usage`` model's defaults): a count is taken only where the server sent one, else usage is
unknown (``llm_agent.usage.missing``), never 0.
"""

from __future__ import annotations

import json
from typing import Any, Final

from llm_agent import semconv
from llm_agent.config import Settings
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation._values import request_params, string_list
from llm_agent.instrumentation._values import token_count as _tok

#: ``gen_ai.provider.name``: the value the ARMS agent's DashScope instrumentation sets (the
#: conventions define none).
PROVIDER: Final = "dashscope"
#: The rerank operation and what its span records (the conventions define neither).
OP_RERANK: Final = "rerank"
RERANK_DOCUMENT_COUNT: Final = "llm_agent.rerank.documents"  # the names Cohere's spans use too
RERANK_TOP_N: Final = "llm_agent.rerank.top_n"

_NUMBER_PARAMS: Final = (
    ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", semconv.GEN_AI_REQUEST_TOP_P),
    ("presence_penalty", semconv.GEN_AI_REQUEST_PRESENCE_PENALTY),
)
_INT_PARAMS: Final = (
    ("top_k", semconv.GEN_AI_REQUEST_TOP_K),
    ("max_tokens", semconv.GEN_AI_REQUEST_MAX_TOKENS),
    ("seed", semconv.GEN_AI_REQUEST_SEED),
    ("n", semconv.GEN_AI_REQUEST_CHOICE_COUNT),
    ("dimension", semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT),
    ("top_n", RERANK_TOP_N),
)
#: Every keyword argument ``request_attributes`` reads with content capture off: a call's span
#: keeps only these until it is built (not the messages, prompt, input or documents);
#: tests/dashscope/test_dashscope_request_keys.py checks the list against what the function reads.
REQUEST_KEYS: Final = frozenset(
    {"model", "stop", "stream", *(key for key, _ in _NUMBER_PARAMS), *(key for key, _ in _INT_PARAMS)}
)
#: The classic API's status of a successful response.
HTTP_OK: Final = 200


def read_field(obj: Any, name: str) -> Any:
    """``obj[name]`` of a classic response (a dict) or ``obj.name`` of a 2.x model; None when absent.

    The 2.x models allow extra fields, and pydantic's ``__getattr__`` for an *absent* one costs
    ~10 µs (it raises inside): the field values are read from the model's ``__dict__`` and
    extras instead, as the stream reader does this per chunk on the app's thread.
    """
    if isinstance(obj, dict):
        return obj.get(name)
    values = getattr(obj, "__dict__", None)
    if values is None:
        return getattr(obj, name, None)
    if name in values:
        return values[name]
    extra = getattr(obj, "__pydantic_extra__", None)
    if isinstance(extra, dict):
        return extra.get(name)
    return getattr(obj, name, None)


_g = read_field


def request_attributes(operation: str, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Request parameters (the classic and the 2.x API name them alike); content only with capture."""
    get = kwargs.get
    attrs = request_params(operation, get, _NUMBER_PARAMS, _INT_PARAMS)
    stop = get("stop")
    stops = [stop] if type(stop) is str else string_list(stop)  # a string as given, even empty
    if stops is not None:
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = stops
    if get("stream") is True:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    if settings.capture_content:
        _request_content(operation, kwargs, attrs, settings.content_max_chars)
    return attrs


def _request_content(operation: str, kwargs: dict[str, Any], attrs: dict[str, Any], limit: int) -> None:
    if operation == semconv.OP_EMBEDDINGS:
        value = kwargs.get("input")
        if isinstance(value, (str, list, tuple)):
            attrs[semconv.GEN_AI_EMBEDDINGS_INPUT] = content_json(value, limit)
        return
    messages = input_messages(kwargs)
    if messages:
        attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_json(messages, limit)
    tools = kwargs.get("tools")
    if isinstance(tools, (list, tuple)) and tools:
        attrs[semconv.GEN_AI_TOOL_DEFINITIONS] = content_json(tools, limit)


# --- captured content, in the GenAI conventions' message schema ------------------------------------
def input_messages(kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    """``messages`` (a list, or the 2.x client's bare string), a classic ``prompt`` (appended as the
    SDK does), or a rerank ``query``.  System messages stay in the list: DashScope takes them as
    part of the chat history, so they are no separate ``gen_ai.system_instructions``."""
    out: list[dict[str, Any]] = []
    messages = kwargs.get("messages")
    if type(messages) is str:
        out.append({"role": "user", "parts": [_text(messages)]})
    elif isinstance(messages, (list, tuple)):
        out.extend(_message(m) for m in messages)
    for key in ("prompt", "query"):
        value = kwargs.get(key)
        if type(value) is str and value:
            out.append({"role": "user", "parts": [_text(value)]})
    return out


def output_messages(choices: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
    """(message, finish reason) per choice -> assistant messages."""
    out = []
    for message, reason in choices:
        item = _message(message, "assistant")
        item["finish_reason"] = reason
        out.append(item)
    return out


def _text(content: str) -> dict[str, Any]:
    return {"type": "text", "content": content}


def _message(message: Any, default_role: str = "user") -> dict[str, Any]:
    role = _g(message, "role")
    content = _g(message, "content")
    parts: list[dict[str, Any]] = []
    reasoning = _g(message, "reasoning_content")
    if type(reasoning) is str and reasoning:
        parts.append({"type": "reasoning", "content": reasoning})
    if role == "tool":
        parts.append({"type": "tool_call_response", "id": _g(message, "tool_call_id"), "response": content})
    else:
        parts.extend(_parts(content))
    for call in _g(message, "tool_calls") or ():
        parts.append(_tool_call(call))
    return {"role": role if type(role) is str else default_role, "parts": parts}


#: Media keys of DashScope's content parts (``{"image": url}``...) and of OpenAI-style ones.
_MEDIA_KEYS: Final = ("image", "video", "audio")
_OPENAI_MEDIA: Final = {"image_url": "image", "input_audio": "audio", "video_url": "video"}


def _parts(content: Any) -> list[dict[str, Any]]:
    if type(content) is str:
        return [_text(content)] if content else []
    if not isinstance(content, (list, tuple)):
        return []
    parts: list[dict[str, Any]] = []
    for item in content:
        if type(item) is str:
            parts.append(_text(item))
            continue
        text = _g(item, "text")
        if type(text) is str:
            parts.append(_text(text))
            continue
        for key in _MEDIA_KEYS:
            value = _g(item, key)
            if value is not None:
                parts.extend(_media(key, v) for v in (value if isinstance(value, (list, tuple)) else [value]))
                break
        else:
            kind = _g(item, "type")
            modality = _OPENAI_MEDIA.get(kind) if type(kind) is str else None
            if modality is not None:
                ref = _g(item, kind)
                parts.append(_media(modality, _g(ref, "url") or _g(ref, "data")))
    return parts


def _media(modality: str, ref: Any) -> dict[str, Any]:
    """A reference (URL, path) as given; inline data by its size only, never its bytes."""
    if type(ref) is str and ref.startswith("data:"):
        mime = ref[len("data:") :].split(";", 1)[0].split(",", 1)[0]
        # base64 is 4 characters per 3 bytes
        return {"type": "blob", "modality": modality, "mime_type": mime or None, "size": len(ref) * 3 // 4}
    return {"type": "uri", "modality": modality, "uri": ref if type(ref) is str else None}


def _tool_call(call: Any) -> dict[str, Any]:
    function = _g(call, "function")
    arguments = _g(function, "arguments")
    if type(arguments) is str:
        try:
            arguments = json.loads(arguments)
        except ValueError:
            pass  # not JSON (a stream cut short): kept as the string it is
    return {"type": "tool_call", "id": _g(call, "id"), "name": _g(function, "name"), "arguments": arguments}


# --- responses ---------------------------------------------------------------------------------------
def usage_attributes(usage: Any, attrs: dict[str, Any], total_is_input: bool = False) -> None:
    """Token attributes from a classic usage dict or a 2.x ``Usage`` model; absent counts stay absent.

    ``total_is_input``: embeddings and rerank report only ``total_tokens``, all of them input.
    """
    sent = sent_counts(usage)
    if total_is_input:
        total = _tok(_g(usage, "total_tokens")) if "total_tokens" in sent else None
        if total is None:
            attrs[semconv.USAGE_MISSING] = True
        else:
            attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = total
        return
    input_tokens = _tok(_g(usage, "input_tokens")) if "input_tokens" in sent else None
    output_tokens = _tok(_g(usage, "output_tokens")) if "output_tokens" in sent else None
    if input_tokens is None and output_tokens is None:
        attrs[semconv.USAGE_MISSING] = True
        return
    if input_tokens is not None:
        attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = input_tokens
    if output_tokens is not None:
        attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] = output_tokens
    cached = _tok(_g(_g(usage, "prompt_tokens_details"), "cached_tokens"))
    if cached is not None:
        attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cached
    reasoning = _tok(_g(_g(usage, "output_tokens_details"), "reasoning_tokens"))
    if reasoning is not None:
        attrs[semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = reasoning


_COUNTS: Final = frozenset({"input_tokens", "output_tokens", "total_tokens"})


def sent_counts(usage: Any) -> frozenset[str]:
    """The counts the server really sent, of ``_COUNTS`` (the SDKs fill the others with 0)."""
    if usage is None:
        return frozenset()
    if not isinstance(usage, dict):  # a 2.x pydantic model: what was given, not its defaults
        fields_set = getattr(usage, "model_fields_set", None)
        if isinstance(fields_set, (set, frozenset)):
            return _COUNTS & fields_set | _COUNTS & set(getattr(usage, "model_extra", None) or ())
        return frozenset()
    # The classic ``GenerationUsage`` always holds input/output (0 by default) but never a
    # ``total_tokens`` the server did not send: without it a 0 is the SDK's, not a count.
    if "total_tokens" in usage:
        return _COUNTS & usage.keys()
    return frozenset(k for k in ("input_tokens", "output_tokens") if usage.get(k))


def choices_of(obj: Any) -> list[tuple[int, Any, Any]]:
    """(index, message or delta, finish reason) per choice of a response or chunk of either API."""
    output = _g(obj, "output")
    if output is not None:  # classic: output.text, or output.choices with result_format="message"
        text = _g(output, "text")
        if type(text) is str:
            return [(0, {"role": "assistant", "content": text}, finish_reason(_g(output, "finish_reason")))]
        choices = _g(output, "choices")
    else:
        choices = _g(obj, "choices")
    out = []
    for position, choice in enumerate(choices or ()):
        index = _g(choice, "index")
        message = _g(choice, "message")
        if message is None:
            message = _g(choice, "delta")
        out.append((index if type(index) is int else position, message, finish_reason(_g(choice, "finish_reason"))))
    return out


def finish_reason(value: Any) -> str | None:
    # The classic API's streams send the string "null" until the last chunk.
    return value if type(value) is str and value and value != "null" else None


def response_id(obj: Any, attrs: dict[str, Any]) -> None:
    value = _g(obj, "request_id")
    if type(value) is str and value:
        attrs[semconv.GEN_AI_RESPONSE_ID] = value
    value = _g(obj, "model")  # the 2.x models carry it where the server sent one
    if type(value) is str and value:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = value


def message_attributes(choices: list[tuple[Any, Any]], capture: bool, limit: int, attrs: dict[str, Any]) -> None:
    """Finish reasons, tool call names and (captured) output messages of (message, reason) pairs."""
    reasons = [reason for _, reason in choices if reason is not None]
    if reasons:
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
    names = [
        name
        for message, _ in choices
        for call in _g(message, "tool_calls") or ()
        if type(name := _g(_g(call, "function"), "name")) is str
    ]
    if names:
        attrs[semconv.TOOL_CALL_NAMES] = names
    if capture and choices:
        attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json(output_messages(choices), limit)


def chat_attributes(obj: Any, capture: bool, limit: int) -> dict[str, Any]:
    """A classic ``GenerationResponse``/``MultiModalConversationResponse`` or a 2.x ``ChatCompletion``."""
    attrs: dict[str, Any] = {}
    response_id(obj, attrs)
    message_attributes([(m, r) for _, m, r in choices_of(obj)], capture, limit, attrs)
    usage_attributes(_g(obj, "usage"), attrs)
    return attrs


def embedding_attributes(obj: Any, capture: bool, limit: int) -> dict[str, Any]:
    """A classic ``TextEmbedding`` response (``output.embeddings``) or a 2.x ``EmbeddingResponse``."""
    attrs: dict[str, Any] = {}
    response_id(obj, attrs)
    output = _g(obj, "output")
    embeddings = _g(output if output is not None else obj, "embeddings")
    if isinstance(embeddings, list) and embeddings:
        vector = _g(embeddings[0], "embedding")
        if isinstance(vector, list) and vector:
            attrs[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(vector)
    usage_attributes(_g(obj, "usage"), attrs, total_is_input=True)
    return attrs


def rerank_attributes(obj: Any, capture: bool, limit: int) -> dict[str, Any]:
    """A classic ``ReRankResponse`` (``output.results``) or a 2.x ``RerankResponse``: the tokens the
    ranking was billed by are its input tokens."""
    attrs: dict[str, Any] = {}
    response_id(obj, attrs)
    usage_attributes(_g(obj, "usage"), attrs, total_is_input=True)
    return attrs


def error_of(obj: Any) -> tuple[str, str] | None:
    """(code, message) of a response that reports a failure instead of raising, else None.

    The classic API's responses carry the HTTP ``status_code``; the 2.x client's, with
    ``raise_on_error=False``, ``is_error``.  ``error.type`` is the response's ``code``, else its HTTP status.
    """
    status = _g(obj, "status_code")
    # an int or the ``http.HTTPStatus`` the classic streams use (an IntEnum), never a bool
    if not isinstance(status, int) or isinstance(status, bool):
        status = None
    if _g(obj, "is_error") is not True and (status is None or status == HTTP_OK):
        return None
    code = _g(obj, "code")
    message = _g(obj, "message")
    name = code if type(code) is str and code else str(int(status)) if status is not None else "error"
    return name, message if type(message) is str else ""


__all__ = [
    "OP_RERANK",
    "PROVIDER",
    "REQUEST_KEYS",
    "chat_attributes",
    "choices_of",
    "finish_reason",
    "embedding_attributes",
    "error_of",
    "input_messages",
    "output_messages",
    "read_field",
    "request_attributes",
    "rerank_attributes",
    "response_id",
    "sent_counts",
    "usage_attributes",
]
