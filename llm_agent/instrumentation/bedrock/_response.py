"""Bedrock Runtime response -> span end attributes (docs/bedrock.md).

Token definition, as for Anthropic: Bedrock's ``inputTokens`` (Converse), ``input_tokens``
(Claude bodies) and the ``X-Amzn-Bedrock-Input-Token-Count`` header count only the input *not*
read from or written to the prompt cache (a Converse ``totalTokens`` is input + output + cache read
+ cache write), while ``gen_ai.usage.input_tokens`` SHOULD include cached tokens.  So input here
is that count plus both cache counts, and the cache counts are also reported on their own.

``invoke_model`` bodies are each model family's own JSON; they are recognised by their keys, not
by the model id (an application inference profile's ARN names no model).  Counts the body lacks
(Cohere and Mistral report none) come from Bedrock's token-count response headers.
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent import semconv
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation._values import token_count

#: Usage counts in the order (input, output, cache read, cache write).
Usage = tuple[int | None, int | None, int | None, int | None]
NO_USAGE: Final[Usage] = (None, None, None, None)
#: Bedrock's token-count response headers (``invoke_model``), in ``Usage`` order.
USAGE_HEADERS: Final = (
    "x-amzn-bedrock-input-token-count",
    "x-amzn-bedrock-output-token-count",
    "x-amzn-bedrock-cache-read-input-token-count",
    "x-amzn-bedrock-cache-write-input-token-count",
)
#: Longest token-count header parsed (digits): well past int64, so a too-large count is parsed and
#: then flagged by ``bound_usage``, while a megabyte of digits is not parsed at all.
_MAX_HEADER_DIGITS: Final = 40
#: Usage key spellings, in ``Usage`` order: Converse, Nova, Claude, Llama, OpenAI-compatible.
USAGE_KEYS: Final = (
    ("inputTokens", "input_tokens", "prompt_token_count", "prompt_tokens", "inputTextTokenCount"),
    ("outputTokens", "output_tokens", "generation_token_count", "completion_tokens"),
    ("cacheReadInputTokens", "cacheReadInputTokenCount", "cache_read_input_tokens"),
    ("cacheWriteInputTokens", "cacheWriteInputTokenCount", "cache_creation_input_tokens"),
)
#: Finish-reason keys of the families' bodies and stream events.
REASON_KEYS: Final = ("stopReason", "stop_reason", "completionReason", "finish_reason")


def header_usage(headers: dict[str, str]) -> Usage:
    """The token counts in Bedrock's response headers (absent or malformed -> None)."""
    out: list[int | None] = []
    for name in USAGE_HEADERS:
        value = headers.get(name)
        # ASCII digits only (``"²".isdigit()`` is true, and ``int("²")`` raises), and few of them
        # (``int`` refuses thousands); the range is ``bound_usage``'s, as for every count.
        ok = type(value) is str and len(value) <= _MAX_HEADER_DIGITS and value.isascii() and value.isdigit()
        out.append(int(value) if ok else None)
    return (out[0], out[1], out[2], out[3])


def usage_of(obj: Any) -> Usage:
    """Counts from a usage-like dict, whichever family's spelling it uses."""
    if type(obj) is not dict:
        return NO_USAGE
    found: list[int | None] = []
    for keys in USAGE_KEYS:
        value = None
        for key in keys:
            value = token_count(obj.get(key))
            if value is not None:
                break
        found.append(value)
    return (found[0], found[1], found[2], found[3])


def converse_usage(obj: Any) -> Usage:
    """Counts from a Converse ``usage`` (its own spelling only: the per-call path reads four keys)."""
    if type(obj) is not dict:
        return NO_USAGE
    get = obj.get
    return (
        token_count(get("inputTokens")),
        token_count(get("outputTokens")),
        token_count(get("cacheReadInputTokens")),
        token_count(get("cacheWriteInputTokens")),
    )


def merge(first: Usage, fallback: Usage) -> Usage:
    """``first``'s counts, each missing one taken from ``fallback``."""
    return (
        first[0] if first[0] is not None else fallback[0],
        first[1] if first[1] is not None else fallback[1],
        first[2] if first[2] is not None else fallback[2],
        first[3] if first[3] is not None else fallback[3],
    )


def usage_attributes(usage: Usage, attrs: dict[str, Any]) -> None:
    """Token attributes; unknown counts stay absent (``llm_agent.usage.missing`` if input and output are)."""
    input_tokens, output_tokens, cache_read, cache_write = usage
    if input_tokens is None and output_tokens is None:
        attrs[semconv.USAGE_MISSING] = True
        return
    if input_tokens is not None:
        attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = input_tokens + (cache_read or 0) + (cache_write or 0)
    if output_tokens is not None:
        attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] = output_tokens
    if cache_read is not None:
        attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = cache_read
    if cache_write is not None:
        attrs[semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = cache_write


def output_message(text: str, calls: list[dict[str, Any]], reason: Any) -> dict[str, Any]:
    """One captured output message, in the shape the other providers write."""
    out: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        out["tool_calls"] = calls
    if reason is not None:
        out["finish_reason"] = reason
    return out


def _content_blocks(content: Any, attrs: dict[str, Any], capture: bool, limit: int, reason: Any) -> None:
    """Converse/Nova ``content`` blocks (``text``, ``toolUse``) or Claude ones (``type``: text/tool_use)."""
    if not isinstance(content, list):
        return
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in content:
        if type(block) is not dict:
            continue
        use = block.get("toolUse")
        if type(use) is dict:
            calls.append({"id": use.get("toolUseId"), "name": use.get("name"), "arguments": use.get("input")})
        elif block.get("type") == "tool_use":
            calls.append({"id": block.get("id"), "name": block.get("name"), "arguments": block.get("input")})
        elif type(block.get("text")) is str:
            texts.append(block["text"])
    names = [c["name"] for c in calls if type(c["name"]) is str]
    if names:
        attrs[semconv.TOOL_CALL_NAMES] = names
    if capture:
        attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json([output_message("".join(texts), calls, reason)], limit)


def converse_response(response: dict[str, Any], capture: bool, limit: int) -> dict[str, Any]:
    """A ``converse`` result dict -> attributes."""
    attrs: dict[str, Any] = {}
    reason = response.get("stopReason")
    if type(reason) is str:
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [reason]
    output = response.get("output")
    message = output.get("message") if type(output) is dict else None
    if type(message) is dict:
        _content_blocks(message.get("content"), attrs, capture, limit, reason)
    usage_attributes(converse_usage(response.get("usage")), attrs)
    return attrs


def _texts_and_reasons(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Generated texts and finish reasons of the families whose outputs are lists or one string."""
    texts: list[str] = []
    reasons: list[str] = []
    for key, text_key in (("results", "outputText"), ("generations", "text"), ("outputs", "text")):
        items = data.get(key)  # Titan, Cohere Command, Mistral
        if isinstance(items, list):
            for item in items:
                if type(item) is dict:
                    if type(item.get(text_key)) is str:
                        texts.append(item[text_key])
                    reason = next((item[k] for k in REASON_KEYS if type(item.get(k)) is str), None)
                    if reason is not None:
                        reasons.append(reason)
    choices = data.get("choices")  # OpenAI-compatible bodies, Mistral chat
    if isinstance(choices, list):
        for choice in choices:
            if type(choice) is dict:
                message = choice.get("message")
                if type(message) is dict and type(message.get("content")) is str:
                    texts.append(message["content"])
                reason = choice.get("finish_reason", choice.get("stop_reason"))
                if type(reason) is str:
                    reasons.append(reason)
    for key in ("generation", "text"):  # Llama, Cohere Command R
        if type(data.get(key)) is str:
            texts.append(data[key])
    if not reasons:
        reasons = [data[k] for k in REASON_KEYS if type(data.get(k)) is str][:1]
    return texts, reasons


def invoke_response(data: dict[str, Any] | None, headers: Usage, capture: bool, limit: int) -> dict[str, Any]:
    """An ``invoke_model`` native response body (None: unread or not JSON) -> attributes."""
    attrs: dict[str, Any] = {}
    if data is None:
        usage_attributes(headers, attrs)
        return attrs
    for key in ("id", "response_id"):  # Claude, OpenAI-compatible; Cohere
        if type(data.get(key)) is str:
            attrs[semconv.GEN_AI_RESPONSE_ID] = data[key]
            break
    if type(data.get("model")) is str:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = data["model"]
    output = data.get("output")
    message = output.get("message") if type(output) is dict else None
    if type(message) is dict:  # Nova
        reason = data.get("stopReason")
        content = message.get("content")
    elif isinstance(data.get("content"), list):  # Claude Messages
        reason = data.get("stop_reason")
        content = data["content"]
    else:
        content = None
        texts, reasons = _texts_and_reasons(data)
        if reasons:
            attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
        if capture and texts:
            out = output_message("".join(texts), [], reasons[0] if reasons else None)
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json([out], limit)
    if content is not None:
        if type(reason) is str:
            attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [reason]
        _content_blocks(content, attrs, capture, limit, reason)
    embedding = data.get("embedding")
    if isinstance(embedding, list) and embedding:  # Titan embeddings
        attrs[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(embedding)
    usage = data.get("usage")
    usage_attributes(merge(usage_of(usage if type(usage) is dict else data), headers), attrs)
    return attrs


__all__ = [
    "NO_USAGE",
    "Usage",
    "converse_response",
    "converse_usage",
    "header_usage",
    "invoke_response",
    "merge",
    "output_message",
    "usage_attributes",
    "usage_of",
]
