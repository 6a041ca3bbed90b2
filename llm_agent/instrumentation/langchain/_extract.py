"""What a LangChain run says, as GenAI attributes: model, provider, parameters, usage, content.

Everything is read defensively from LangChain's own objects (``LLMResult``, messages, documents)
by attribute and key, never by importing their classes, so a LangChain version that reshapes one
of them loses an attribute, not the span.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from llm_agent import semconv
from llm_agent.instrumentation import _content

#: LangChain's ``ls_provider`` (the LangSmith metadata every chat model reports) -> the
#: conventions' ``gen_ai.provider.name`` where the two differ.
_PROVIDERS: Final[dict[str, str]] = {
    "openai": "openai",
    "azure": "azure.ai.openai",
    "anthropic": "anthropic",
    "google_genai": "gcp.gemini",
    "google_vertexai": "gcp.vertex_ai",
    "amazon_bedrock": "aws.bedrock",
    "bedrock": "aws.bedrock",
    "mistral": "mistral_ai",
    "mistralai": "mistral_ai",
    "cohere": "cohere",
    "groq": "groq",
    "ollama": "ollama",
    "deepseek": "deepseek",
    "xai": "x_ai",
}
#: ``ls_*`` metadata and invocation parameters -> request attributes (numbers only).
_NUMBER_PARAMS: Final = (
    (("ls_temperature", "temperature"), semconv.GEN_AI_REQUEST_TEMPERATURE, float),
    (("ls_max_tokens", "max_tokens", "max_completion_tokens"), semconv.GEN_AI_REQUEST_MAX_TOKENS, int),
    (("top_p",), semconv.GEN_AI_REQUEST_TOP_P, float),
    (("top_k",), semconv.GEN_AI_REQUEST_TOP_K, int),
    (("seed",), semconv.GEN_AI_REQUEST_SEED, int),
    (("frequency_penalty",), semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY, float),
    (("presence_penalty",), semconv.GEN_AI_REQUEST_PRESENCE_PENALTY, float),
)
#: LangChain's message types -> the conventions' roles.
_ROLES: Final[dict[str, str]] = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _number(value: Any, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return kind(value)


def provider_name(metadata: Mapping[str, Any] | None, serialized: Mapping[str, Any] | None) -> str:
    """The conventions' provider name: LangChain's ``ls_provider``, else the model class's name."""
    raw = (metadata or {}).get("ls_provider")
    if isinstance(raw, str) and raw:
        return _PROVIDERS.get(raw.lower(), raw.lower())
    ids = (serialized or {}).get("id")
    if isinstance(ids, list) and ids and isinstance(ids[-1], str):
        return ids[-1]
    return "langchain"


def request_model(metadata: Mapping[str, Any] | None, params: Mapping[str, Any] | None) -> str | None:
    for source, key in ((metadata, "ls_model_name"), (params, "model"), (params, "model_name")):
        value = (source or {}).get(key)
        if isinstance(value, str) and value:
            return value
    return None


def request_attributes(metadata: Mapping[str, Any] | None, params: Mapping[str, Any] | None) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for keys, name, kind in _NUMBER_PARAMS:
        for key in keys:
            value = _number((metadata or {}).get(key), kind)
            if value is None:
                value = _number((params or {}).get(key), kind)
            if value is not None:
                attrs[name] = value
                break
    stop = (metadata or {}).get("ls_stop") or (params or {}).get("stop")
    if isinstance(stop, str):
        stop = [stop]
    if isinstance(stop, (list, tuple)) and stop and all(isinstance(s, str) for s in stop):
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = list(stop)
    if (params or {}).get("stream") is True:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    return attrs


# --- the result ----------------------------------------------------------------------------------


def _generations(response: Any) -> list[Any]:
    out: list[Any] = []
    for batch in _get(response, "generations") or ():
        if isinstance(batch, Sequence):
            out.extend(batch)
    return out


def response_attributes(response: Any) -> dict[str, Any]:
    """Usage, response model and id, finish reasons from an ``LLMResult``.

    Usage is the message's ``usage_metadata`` (LangChain's normalised counts) summed over the
    generations, else the provider's ``token_usage``/``usage`` in ``llm_output``; a count nobody
    reported stays absent (unknown is never 0).
    """
    attrs: dict[str, Any] = {}
    gens = _generations(response)
    inputs = outputs = cache_read = reasoning = None
    finish: list[str] = []
    for gen in gens:
        message = _get(gen, "message")
        usage = _get(message, "usage_metadata")
        if isinstance(usage, Mapping):
            inputs = _add(inputs, usage.get("input_tokens"))
            outputs = _add(outputs, usage.get("output_tokens"))
            cache_read = _add(cache_read, _get(usage.get("input_token_details") or {}, "cache_read"))
            reasoning = _add(reasoning, _get(usage.get("output_token_details") or {}, "reasoning"))
        meta = _get(message, "response_metadata") or {}
        info = _get(gen, "generation_info") or {}
        reason = _get(info, "finish_reason") or _get(meta, "finish_reason") or _get(meta, "stop_reason")
        if isinstance(reason, str):
            finish.append(reason)
        model = _get(meta, "model_name") or _get(meta, "model")
        if isinstance(model, str) and model:
            attrs.setdefault(semconv.GEN_AI_RESPONSE_MODEL, model)
        rid = _get(meta, "id")
        if isinstance(rid, str) and rid:
            attrs.setdefault(semconv.GEN_AI_RESPONSE_ID, rid)
    llm_output = _get(response, "llm_output") or {}
    if inputs is None and outputs is None and isinstance(llm_output, Mapping):
        usage = llm_output.get("token_usage") or llm_output.get("usage") or {}
        if isinstance(usage, Mapping):
            inputs = _add(None, usage.get("prompt_tokens", usage.get("input_tokens")))
            outputs = _add(None, usage.get("completion_tokens", usage.get("output_tokens")))
    if isinstance(llm_output, Mapping):
        model = llm_output.get("model_name") or llm_output.get("model")
        if isinstance(model, str) and model:
            attrs.setdefault(semconv.GEN_AI_RESPONSE_MODEL, model)
    for name, value in (
        (semconv.GEN_AI_USAGE_INPUT_TOKENS, inputs),
        (semconv.GEN_AI_USAGE_OUTPUT_TOKENS, outputs),
        (semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, cache_read),
        (semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, reasoning),
    ):
        if value is not None:
            attrs[name] = value
    if finish:
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = finish
    return attrs


def _add(total: int | None, value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return total
    return value if total is None else total + value


# --- content (only with capture_content) -----------------------------------------------------------


def _parts(message: Any) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    content = _get(message, "content")
    if isinstance(content, str):
        if content:
            parts.append(_content.text(content))
    elif isinstance(content, list):
        for block in content:
            if isinstance(block, str):
                parts.append(_content.text(block))
            elif isinstance(block, Mapping) and block.get("type") == "text":
                parts.append(_content.text(block.get("text", "")))
    for call in _get(message, "tool_calls") or ():
        parts.append(_content.tool_call(_get(call, "id"), _get(call, "name"), _get(call, "args")))
    if _get(message, "type") == "tool":
        return [_content.tool_call_response(_get(message, "tool_call_id"), _content.plain(content))]
    return parts


def input_messages(messages: Any) -> list[dict[str, Any]]:
    """``on_chat_model_start``'s messages (a batch of lists: the first prompt's) as the conventions'."""
    batch = messages[0] if isinstance(messages, Sequence) and messages and isinstance(messages[0], list) else []
    return [_content.message(_ROLES.get(str(_get(m, "type")), "user"), _parts(m)) for m in batch]


def prompt_messages(prompts: Any) -> list[dict[str, Any]]:
    """``on_llm_start``'s prompt strings (a completion model's input) as user messages."""
    return [_content.message("user", [_content.text(p)]) for p in prompts or () if isinstance(p, str)]


def output_messages(response: Any) -> list[dict[str, Any]]:
    out = []
    for gen in _generations(response):
        message = _get(gen, "message")
        info = _get(gen, "generation_info") or {}
        if message is not None:
            parts = _parts(message)
            reason = _get(info, "finish_reason") or _get(_get(message, "response_metadata") or {}, "finish_reason")
        else:
            parts = [_content.text(_get(gen, "text") or "")]
            reason = _get(info, "finish_reason")
        out.append(_content.output_message("assistant", parts, reason))
    return out


def document_count(documents: Any) -> int | None:
    return len(documents) if isinstance(documents, Sequence) and not isinstance(documents, str) else None


def documents_content(documents: Any) -> list[dict[str, Any]]:
    out = []
    for doc in documents or ():
        entry: dict[str, Any] = {"content": _get(doc, "page_content")}
        doc_id = _get(doc, "id")
        if doc_id is not None:
            entry["id"] = str(doc_id)
        out.append(entry)
    return out


def tool_call_id(kwargs: Mapping[str, Any], output: Any = None) -> str | None:
    """The model's call id this tool run answers: given to ``on_tool_start`` (newer LangChain),
    else in the inputs' ``ToolCall``, else on the ``ToolMessage`` it returns."""
    for value in (kwargs.get("tool_call_id"), _get(kwargs.get("inputs") or {}, "tool_call_id")):
        if isinstance(value, str) and value:
            return value
    value = _get(output, "tool_call_id") if output is not None else None
    return value if isinstance(value, str) and value else None


def tool_result(output: Any) -> Any:
    """A tool's output as JSON-ready content (a ``ToolMessage``'s content, else the value)."""
    content = _get(output, "content") if _get(output, "type") == "tool" else output
    return _content.plain(content)


__all__ = [
    "document_count",
    "documents_content",
    "input_messages",
    "output_messages",
    "prompt_messages",
    "provider_name",
    "request_attributes",
    "request_model",
    "response_attributes",
    "tool_call_id",
    "tool_result",
]
