"""Bedrock Runtime request -> span start attributes (docs/bedrock.md).

``converse``/``converse_stream`` take their parameters as keyword arguments, read at the call
(a few numbers and strings, copied: the app may reuse its dicts).  ``invoke_model*`` take the
model's native JSON as ``body``; bytes and str are immutable, so that body is parsed only when the
span is built (on the direct span path by an export worker, off the app's thread).  A file-like
body is never read: the SDK must be the one that reads it.
"""

from __future__ import annotations

import json
from typing import Any, Final

from llm_agent import semconv
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation._values import is_number

#: Model families whose ids mark an embedding model (``amazon.titan-embed-...``, ``cohere.embed-...``).
EMBED_MARKERS: Final = (".titan-embed", ".embed-", "embed-text", "embed-image", "multimodal-embed")

_MAX: Final = semconv.GEN_AI_REQUEST_MAX_TOKENS
_TEMPERATURE: Final = semconv.GEN_AI_REQUEST_TEMPERATURE
_TOP_P: Final = semconv.GEN_AI_REQUEST_TOP_P
_TOP_K: Final = semconv.GEN_AI_REQUEST_TOP_K
_STOP: Final = semconv.GEN_AI_REQUEST_STOP_SEQUENCES
#: Native-body key -> attribute, for every family's spelling (Anthropic, Nova, Titan, Llama,
#: Cohere, Mistral, OpenAI-compatible).  Looked up in the body and in its nested config object.
BODY_NUMBERS: Final[tuple[tuple[str, str], ...]] = (
    ("max_tokens", _MAX),
    ("max_new_tokens", _MAX),
    ("maxTokens", _MAX),
    ("maxTokenCount", _MAX),
    ("max_gen_len", _MAX),
    ("max_completion_tokens", _MAX),
    ("temperature", _TEMPERATURE),
    ("top_p", _TOP_P),
    ("topP", _TOP_P),
    ("p", _TOP_P),  # Cohere
    ("top_k", _TOP_K),
    ("topK", _TOP_K),
    ("k", _TOP_K),  # Cohere
    ("seed", semconv.GEN_AI_REQUEST_SEED),
)
BODY_STOPS: Final = ("stop_sequences", "stopSequences", "stop")
#: Nested objects holding the inference parameters (Nova, Titan).
BODY_CONFIGS: Final = ("inferenceConfig", "textGenerationConfig")
#: Embedding request dimension keys (Titan, Cohere).
BODY_DIMENSIONS: Final = ("dimensions", "output_dimension")
_INT_ATTRS: Final = frozenset({_MAX, _TOP_K, semconv.GEN_AI_REQUEST_SEED})


def is_embedding(model_id: str) -> bool:
    return any(marker in model_id for marker in EMBED_MARKERS)


def _stops(value: Any) -> list[str] | None:
    if isinstance(value, (list, tuple)) and value and all(type(s) is str for s in value):
        return list(value)
    return None


def converse_request(params: dict[str, Any], capture: bool, limit: int) -> dict[str, Any]:
    """``converse``/``converse_stream`` keyword arguments -> attributes (copied now)."""
    attrs: dict[str, Any] = {}
    config = params.get("inferenceConfig")
    if type(config) is dict:
        for key, name in (("maxTokens", _MAX), ("temperature", _TEMPERATURE), ("topP", _TOP_P)):
            value = config.get(key)
            if is_number(value):
                attrs[name] = value
        stops = _stops(config.get("stopSequences"))
        if stops:
            attrs[_STOP] = stops
    extra = params.get("additionalModelRequestFields")
    if type(extra) is dict and type(extra.get("top_k")) is int:
        attrs[_TOP_K] = extra["top_k"]
    if capture:
        messages = params.get("messages")
        if isinstance(messages, (list, tuple)):
            attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_json(messages, limit)
        system = params.get("system")
        if isinstance(system, (list, tuple)) and system:
            attrs[semconv.GEN_AI_SYSTEM_INSTRUCTIONS] = content_json(system, limit)
        tools = params.get("toolConfig")
        tools = tools.get("tools") if type(tools) is dict else None
        if isinstance(tools, (list, tuple)) and tools:
            attrs[semconv.GEN_AI_TOOL_DEFINITIONS] = content_json(tools, limit)
    return attrs


def kept_converse_params(params: dict[str, Any]) -> dict[str, Any]:
    """What ``converse_request`` reads without content, copied now: the span may be built later,
    and the app may reuse its ``inferenceConfig`` dict (lists become tuples)."""
    kept: dict[str, Any] = {}
    config = params.get("inferenceConfig")
    if type(config) is dict:
        kept["inferenceConfig"] = {k: tuple(v) if type(v) is list else v for k, v in config.items()}
    extra = params.get("additionalModelRequestFields")
    if type(extra) is dict and "top_k" in extra:
        kept["additionalModelRequestFields"] = {"top_k": extra["top_k"]}
    return kept


def body_bytes(body: Any) -> bytes | str | None:
    """The ``invoke_model`` body as an immutable value, or None (a file-like body is not read)."""
    if type(body) is bytes or type(body) is str:
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)  # a copy: the app may reuse its buffer
    return None


def parse_json(data: bytes | str | None) -> dict[str, Any] | None:
    if not data:
        return None
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value if type(value) is dict else None


def invoke_request(body: bytes | str | None, capture: bool, limit: int) -> dict[str, Any]:
    """An ``invoke_model*`` native request body -> attributes (run when the span is built)."""
    data = parse_json(body)
    if data is None:
        return {}
    attrs: dict[str, Any] = {}
    sources = [data] + [data[c] for c in BODY_CONFIGS if type(data.get(c)) is dict]
    for source in sources:
        for key, name in BODY_NUMBERS:
            value = source.get(key)
            if name not in attrs and is_number(value) and (name not in _INT_ATTRS or type(value) is int):
                attrs[name] = value
        for key in BODY_STOPS:
            stops = _stops(source.get(key))
            if stops and _STOP not in attrs:
                attrs[_STOP] = stops
    for key in BODY_DIMENSIONS:
        if type(data.get(key)) is int:
            attrs[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = data[key]
    if capture:
        _capture_request(data, attrs, limit)
    return attrs


def _capture_request(data: dict[str, Any], attrs: dict[str, Any], limit: int) -> None:
    messages = data.get("messages")
    if isinstance(messages, list):
        attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_json(messages, limit)
    else:
        for key in ("prompt", "inputText", "message"):  # Llama/Mistral/Cohere, Titan, Cohere chat
            if type(data.get(key)) is str:
                attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_json([{"role": "user", "content": data[key]}], limit)
                break
        else:
            texts = data.get("texts")  # Cohere embed
            if isinstance(texts, list):
                attrs[semconv.GEN_AI_EMBEDDINGS_INPUT] = content_json(texts, limit)
    system = data.get("system")
    if isinstance(system, (str, list)) and system:
        attrs[semconv.GEN_AI_SYSTEM_INSTRUCTIONS] = content_json(system, limit)
    tools = data.get("tools")
    if tools is None and type(data.get("toolConfig")) is dict:
        tools = data["toolConfig"].get("tools")
    if isinstance(tools, list) and tools:
        attrs[semconv.GEN_AI_TOOL_DEFINITIONS] = content_json(tools, limit)


__all__ = [
    "body_bytes",
    "converse_request",
    "invoke_request",
    "is_embedding",
    "kept_converse_params",
    "parse_json",
]
