"""Readers of the chat-completions shape that several SDKs share (Groq, Mistral, and other
OpenAI-compatible ones): ``choices[].message`` / ``choices[].delta``, ``tool_calls[].function``,
``usage.prompt_tokens``.  A provider package supplies only what its SDK does differently (where
the usage of a stream arrives, how its content chunks look) through the small hooks below.

Captured content is built in the GenAI conventions' message schema, not the SDK's shape: a
message is ``{"role", "parts": [...]}`` (output messages also ``"finish_reason"``), a part one of
``text``, ``tool_call``, ``tool_call_response``, ``reasoning``, ``uri``/``blob``/``file`` (media as
a reference or a size, never its bytes).  Everything reads an SDK model or a raw JSON dict alike
(``_values.field``) and never raises on an odd field; unknown usage stays absent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from llm_agent import semconv
from llm_agent.instrumentation import _content
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation._values import field as _g
from llm_agent.instrumentation._values import token_count as _tok

_IN: Final = semconv.GEN_AI_USAGE_INPUT_TOKENS
_OUT: Final = semconv.GEN_AI_USAGE_OUTPUT_TOKENS
_CACHED: Final = semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS
_REASONING: Final = semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS
#: A data URL's prefix: its bytes are never captured, only their size.
_DATA_URL: Final = "data:"

#: ``read(message_or_delta) -> (text, reasoning)``: a provider's reading of a message's content
#: (a string, or a list of the SDK's content chunks).
ContentReader = Callable[[Any], "tuple[str | None, str | None]"]


# --- usage ----------------------------------------------------------------------------------------
def usage_counts(usage: Any) -> tuple[int | None, int | None, int | None, int | None]:
    """(input, output, cache read, reasoning) of a ``usage`` object; None where unreported."""
    if usage is None:
        return None, None, None, None
    return (
        _tok(_g(usage, "prompt_tokens")),
        _tok(_g(usage, "completion_tokens")),
        _tok(_g(_g(usage, "prompt_tokens_details"), "cached_tokens")),
        _tok(_g(_g(usage, "completion_tokens_details"), "reasoning_tokens")),
    )


def set_usage(counts: tuple[int | None, int | None, int | None, int | None] | None, attrs: dict[str, Any]) -> None:
    """The token attributes of ``counts``; none at all is ``llm_agent.usage.missing`` (never 0)."""
    if counts is None or (counts[0] is None and counts[1] is None):
        attrs[semconv.USAGE_MISSING] = True
        return
    input_tokens, output_tokens, cached, reasoning = counts
    if input_tokens is not None:
        attrs[_IN] = input_tokens  # prompt_tokens already includes the cached ones (the spec's rule)
    if output_tokens is not None:
        attrs[_OUT] = output_tokens
    if cached is not None:
        attrs[_CACHED] = cached
    if reasoning is not None:
        attrs[_REASONING] = reasoning


# --- content in the conventions' schema -----------------------------------------------------------
def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "content": text}


def arguments(value: Any) -> Any:
    """Tool-call arguments as an object when they are a valid JSON string, else as given."""
    if type(value) is str:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def tool_call_part(call_id: Any, name: Any, args: Any) -> dict[str, Any]:
    # Mistral's SDK fills a missing id with the string "null".
    known_id = call_id if type(call_id) is str and call_id not in ("", "null") else None
    return {"type": "tool_call", "id": known_id, "name": name, "arguments": arguments(args)}


def _base64_size(data: Any) -> int | None:
    """The size in bytes of base64 ``data`` (every 4 characters hold 3 bytes): kept instead of the bytes."""
    if type(data) is not str:
        return None
    return len(data) * 3 // 4 - data.endswith("=") - data.endswith("==")


def _media(modality: str, url: Any) -> dict[str, Any]:
    if type(url) is not str:
        return {"type": "uri", "modality": modality}
    if url.startswith(_DATA_URL):
        header, _, data = url.partition(",")
        mime = header[len(_DATA_URL) :].split(";", 1)[0] or None
        return {"type": "blob", "modality": modality, "mime_type": mime, "size": _base64_size(data)}
    return {"type": "uri", "modality": modality, "uri": url}


def content_parts(content: Any) -> list[dict[str, Any]]:
    """A request message's ``content`` (a string or a list of content parts/chunks) as parts."""
    if type(content) is str:
        return [text_part(content)]
    if not isinstance(content, (list, tuple)):
        return []
    parts: list[dict[str, Any]] = []
    for item in content:
        if type(item) is str:
            parts.append(text_part(item))
            continue
        kind = _g(item, "type")
        if kind == "text":
            parts.append(text_part(_g(item, "text") or ""))
        elif kind == "thinking":  # Mistral's reasoning chunk: a list of text chunks
            parts.append({"type": "reasoning", "content": joined_text(_g(item, "thinking"))})
        elif kind == "image_url":
            image = _g(item, "image_url")
            parts.append(_media("image", image if type(image) is str else _g(image, "url")))
        elif kind == "document_url":
            parts.append(_media("document", _g(item, "document_url")))
        elif kind == "input_audio":
            audio = _g(item, "input_audio")
            data = audio if type(audio) is str else _g(audio, "data")
            parts.append({"type": "blob", "modality": "audio", "size": _base64_size(data)})
        elif kind == "file":
            parts.append({"type": "file", "file_id": _g(item, "file_id")})
        elif type(kind) is str:
            parts.append({"type": kind})  # a chunk type we do not map: its kind, not its data
    return parts


def joined_text(chunks: Any) -> str:
    """The texts of a list of text chunks (or a string), joined."""
    if type(chunks) is str:
        return chunks
    if not isinstance(chunks, (list, tuple)):
        return ""
    return "".join(t for t in (_g(c, "text") for c in chunks) if type(t) is str)


def input_messages(messages: Any) -> list[dict[str, Any]]:
    """A chat request's ``messages`` (dicts or SDK models) in the conventions' schema."""
    out: list[dict[str, Any]] = []
    for message in messages:
        role = _g(message, "role")
        role = role if type(role) is str else "user"
        if role == "tool":
            response = _g(message, "content")
            if isinstance(response, (list, tuple)):
                response = joined_text(response)
            part = {"type": "tool_call_response", "id": _g(message, "tool_call_id"), "response": response}
            out.append({"role": role, "parts": [part]})
            continue
        parts = content_parts(_g(message, "content"))
        calls = _g(message, "tool_calls")
        if isinstance(calls, (list, tuple)):
            for call in calls:
                fn = _g(call, "function")
                parts.append(tool_call_part(_g(call, "id"), _g(fn, "name"), _g(fn, "arguments")))
        out.append({"role": role, "parts": parts})
    return out


def output_message(text: str | None, reasoning: str | None, calls: list[dict[str, Any]], reason: Any) -> dict[str, Any]:
    """One output message: reasoning, text and tool calls as parts, with its finish reason."""
    parts: list[dict[str, Any]] = []
    if reasoning:
        parts.append({"type": "reasoning", "content": reasoning})
    if text:
        parts.append(text_part(text))
    parts.extend(calls)
    return _content.output_message("assistant", parts, reason)  # a reason v1.41.0 accepts when unknown


# --- a whole response -----------------------------------------------------------------------------
def choices_attributes(obj: Any, capture: bool, read_content: ContentReader, attrs: dict[str, Any]) -> Any:
    """id, model, finish reasons and tool-call names of a chat response; with ``capture`` its
    output messages are returned (to serialise), else None."""
    value = _g(obj, "id")
    if type(value) is str:
        attrs[semconv.GEN_AI_RESPONSE_ID] = value
    value = _g(obj, "model")
    if type(value) is str:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = value
    choices = _g(obj, "choices")
    if not isinstance(choices, list):
        return None
    reasons: list[str] = []
    tool_names: list[str] = []
    outputs: list[dict[str, Any]] = []
    for choice in choices:
        reason = _g(choice, "finish_reason")
        if type(reason) is str:
            reasons.append(reason)
        message = _g(choice, "message")
        calls: list[dict[str, Any]] = []
        tool_calls = _g(message, "tool_calls")
        if isinstance(tool_calls, list):
            for call in tool_calls:
                fn = _g(call, "function")
                name = _g(fn, "name")
                if type(name) is str:
                    tool_names.append(name)
                    if capture:
                        calls.append(tool_call_part(_g(call, "id"), name, _g(fn, "arguments")))
        if capture:
            text, reasoning = read_content(message)
            outputs.append(output_message(text, reasoning, calls, reason))
    if reasons:
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
    if tool_names:
        attrs[semconv.TOOL_CALL_NAMES] = tool_names
    return outputs if capture and outputs else None


def embedding_dimensions(obj: Any, attrs: dict[str, Any]) -> None:
    """``gen_ai.embeddings.dimension_count`` from the first vector of an embeddings response."""
    data = _g(obj, "data")
    if isinstance(data, list) and data:
        vector = _g(data[0], "embedding")
        if isinstance(vector, list):
            attrs[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(vector)


def request_content(operation: str, kwargs: dict[str, Any], attrs: dict[str, Any], limit: int, input_key: str) -> None:
    """A chat-completions-shaped request's captured content: the embeddings input (``input_key``:
    the SDK's name for it), or the messages in the conventions' schema and the tool definitions."""
    if operation == semconv.OP_EMBEDDINGS:
        value = kwargs.get(input_key)
        if isinstance(value, (str, list, tuple)):
            attrs[semconv.GEN_AI_EMBEDDINGS_INPUT] = content_json(value, limit)
        return
    messages = kwargs.get("messages")
    if isinstance(messages, (list, tuple)):
        attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_json(input_messages(messages), limit)
    tools = kwargs.get("tools")
    if isinstance(tools, (list, tuple)) and tools:
        attrs[semconv.GEN_AI_TOOL_DEFINITIONS] = content_json(tools, limit)


__all__ = [
    "request_content",
    "ContentReader",
    "arguments",
    "choices_attributes",
    "content_parts",
    "embedding_dimensions",
    "input_messages",
    "joined_text",
    "output_message",
    "set_usage",
    "text_part",
    "tool_call_part",
    "usage_counts",
]
