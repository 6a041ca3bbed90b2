"""OpenAI response -> span end attributes, for every response type and SDK version.

Works on the SDK's pydantic models and on the plain JSON dicts of a raw response alike (``_g``
reads either), never raises on a missing or odd field, and keeps unknown usage absent: when a
response carries no usage, no token attribute is set and ``llm_agent.usage.missing`` is.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Final

from llm_agent import semconv
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation._values import field as _g
from llm_agent.instrumentation._values import token_count as _tok

_IN: Final = semconv.GEN_AI_USAGE_INPUT_TOKENS
_OUT: Final = semconv.GEN_AI_USAGE_OUTPUT_TOKENS
_CACHED: Final = semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS
_REASONING: Final = semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS


def usage_attributes(usage: Any, attrs: dict[str, Any]) -> None:
    """Chat/Completions (``prompt_tokens``...) or Responses (``input_tokens``...) usage."""
    if usage is None:
        attrs[semconv.USAGE_MISSING] = True
        return
    # One accessor for both shapes (an SDK model or a raw response's dict), picked once.  Each
    # count stands on its own: Chat/Completions' name first, then the Responses API's, so one
    # malformed field (``prompt_tokens="x"``) never discards a valid one beside it.
    get = usage.get if type(usage) is dict else partial(getattr, usage)
    input_tokens = _tok(get("prompt_tokens", None))
    if input_tokens is None:
        input_tokens = _tok(get("input_tokens", None))
    output_tokens = _tok(get("completion_tokens", None))
    if output_tokens is None:
        output_tokens = _tok(get("output_tokens", None))
    if input_tokens is None and output_tokens is None:
        attrs[semconv.USAGE_MISSING] = True
        return
    if input_tokens is not None:
        attrs[_IN] = input_tokens
    if output_tokens is not None:
        attrs[_OUT] = output_tokens
    cached = _tok(_g(get("prompt_tokens_details", None), "cached_tokens"))
    if cached is None:
        cached = _tok(_g(get("input_tokens_details", None), "cached_tokens"))
    if cached is not None:
        attrs[_CACHED] = cached
    reasoning = _tok(_g(get("completion_tokens_details", None), "reasoning_tokens"))
    if reasoning is None:
        reasoning = _tok(_g(get("output_tokens_details", None), "reasoning_tokens"))
    if reasoning is not None:
        attrs[_REASONING] = reasoning


#: String fields every response type may carry: (field, span attribute).
_COMMON_FIELDS: Final = (
    ("id", semconv.GEN_AI_RESPONSE_ID),
    ("model", semconv.GEN_AI_RESPONSE_MODEL),
    ("system_fingerprint", semconv.GEN_AI_OPENAI_RESPONSE_SYSTEM_FINGERPRINT),
    ("service_tier", semconv.GEN_AI_OPENAI_RESPONSE_SERVICE_TIER),
)


def _common(obj: Any, attrs: dict[str, Any]) -> None:
    if obj is None:
        return
    get = obj.get if type(obj) is dict else partial(getattr, obj)
    for name, attribute in _COMMON_FIELDS:
        value = get(name, None)
        if type(value) is str:
            attrs[attribute] = value


def chat_attributes(obj: Any, capture: bool, limit: int) -> dict[str, Any]:
    """``ChatCompletion`` (and ``ParsedChatCompletion``) or legacy ``Completion``."""
    attrs: dict[str, Any] = {}
    _common(obj, attrs)
    choices = _g(obj, "choices")
    if isinstance(choices, list):
        reasons: list[str] = []
        tool_names: list[str] = []
        outputs: list[dict[str, Any]] = []
        for choice in choices:
            reason = _g(choice, "finish_reason")
            if type(reason) is str:
                reasons.append(reason)
            message = _g(choice, "message")
            tool_calls = _g(message, "tool_calls")
            calls: list[dict[str, Any]] = []
            if isinstance(tool_calls, list):
                for call in tool_calls:
                    fn = _g(call, "function")
                    name = _g(fn, "name")
                    if type(name) is str:
                        tool_names.append(name)
                        if capture:
                            calls.append({"id": _g(call, "id"), "name": name, "arguments": _g(fn, "arguments")})
            if capture:
                out: dict[str, Any] = {"role": _g(message, "role") or "assistant"}
                text = _g(message, "content") if message is not None else _g(choice, "text")
                if text is not None:
                    out["content"] = text
                refusal = _g(message, "refusal")
                if refusal:
                    out["refusal"] = refusal
                if calls:
                    out["tool_calls"] = calls
                if reason is not None:
                    out["finish_reason"] = reason
                outputs.append(out)
        if reasons:
            attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
        if tool_names:
            attrs[semconv.TOOL_CALL_NAMES] = tool_names
        if capture and outputs:
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json(outputs, limit)
    usage_attributes(_g(obj, "usage"), attrs)
    return attrs


def embeddings_attributes(obj: Any, capture: bool, limit: int) -> dict[str, Any]:
    """``CreateEmbeddingResponse``: no output tokens exist, so only input usage is expected."""
    attrs: dict[str, Any] = {}
    value = _g(obj, "model")
    if type(value) is str:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = value
    data = _g(obj, "data")
    if isinstance(data, list) and data:
        vector = _g(data[0], "embedding")
        if isinstance(vector, list):
            attrs[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = len(vector)
    usage = _g(obj, "usage")
    tokens = _tok(_g(usage, "prompt_tokens"))
    if tokens is None:
        tokens = _tok(_g(usage, "input_tokens"))
    if tokens is None:
        attrs[semconv.USAGE_MISSING] = True
    else:
        attrs[_IN] = tokens
    return attrs


def responses_attributes(obj: Any, capture: bool, limit: int) -> dict[str, Any]:
    """Responses API ``Response`` / ``ParsedResponse``.

    It has no finish reason; ``finish_reasons`` carries the incomplete reason when the response
    is incomplete, else its status (``completed``, ``failed``...).
    """
    attrs: dict[str, Any] = {}
    _common(obj, attrs)
    details = _g(obj, "incomplete_details")
    reason = _g(details, "reason")
    status = _g(obj, "status")
    if type(reason) is str:
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [reason]
    elif type(status) is str:
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [status]
    output = _g(obj, "output")
    if isinstance(output, list):
        tool_names: list[str] = []
        outputs: list[Any] = []
        for item in output:
            kind = _g(item, "type")
            name = _g(item, "name")
            if kind is not None and kind != "message" and kind != "reasoning" and type(name) is str:
                tool_names.append(name)
                if capture:
                    outputs.append({"type": kind, "name": name, "arguments": _g(item, "arguments")})
            elif capture and kind == "message":
                texts = [
                    _g(part, "text") if _g(part, "type") == "output_text" else _g(part, "refusal")
                    for part in (_g(item, "content") or [])
                ]
                outputs.append({"role": _g(item, "role") or "assistant", "content": "".join(t for t in texts if t)})
        if tool_names:
            attrs[semconv.TOOL_CALL_NAMES] = tool_names
        if capture and outputs:
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json(outputs, limit)
    usage_attributes(_g(obj, "usage"), attrs)
    return attrs


__all__ = ["chat_attributes", "embeddings_attributes", "responses_attributes", "usage_attributes"]
