"""Ollama request -> span start attributes, responses -> span end attributes (docs/ollama.md).

Usage: ``prompt_eval_count`` is the input tokens and ``eval_count`` the output tokens.  Ollama
reports no cached or reasoning counts, and leaves ``prompt_eval_count`` out when it evaluated no
prompt tokens (the whole prompt came from its KV cache): that count is then unknown, not 0.  The
server-side durations (nanoseconds in the API) are recorded in seconds.

The SDK's methods take their first arguments positionally too (``chat(model, messages)``,
``generate(model, prompt, suffix)``, ``embed(model, input, ...)``), so the request reader gets the
arguments bound to their names (``bind``).
"""

from __future__ import annotations

import functools
import json
from typing import Any, Final

from llm_agent import semconv
from llm_agent.config import Settings
from llm_agent.instrumentation import _content as c
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation._values import field as _g
from llm_agent.instrumentation._values import read_params, request_params, string_list, token_count

#: The names of each method's positional parameters, in order (after ``self``).
POSITIONAL: Final = {
    "chat": ("model", "messages"),
    "generate": ("model", "prompt", "suffix"),
    "embed": ("model", "input", "truncate", "options", "keep_alive", "dimensions"),
    "embeddings": ("model", "prompt", "options", "keep_alive"),
}
#: Nanoseconds per second: Ollama's durations are integers in nanoseconds.
NS_PER_S: Final = 1_000_000_000
#: Server-side durations, in seconds: (response field, attribute).
DURATIONS: Final = (
    ("total_duration", semconv.OLLAMA_TOTAL_DURATION),
    ("load_duration", semconv.OLLAMA_LOAD_DURATION),
    ("prompt_eval_duration", semconv.OLLAMA_PROMPT_EVAL_DURATION),
    ("eval_duration", semconv.OLLAMA_EVAL_DURATION),
)
#: ``options`` keys read as request parameters.
_NUMBER_OPTIONS: Final = (
    ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", semconv.GEN_AI_REQUEST_TOP_P),
    ("frequency_penalty", semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", semconv.GEN_AI_REQUEST_PRESENCE_PENALTY),
)
_INT_OPTIONS: Final = (
    ("top_k", semconv.GEN_AI_REQUEST_TOP_K),
    ("num_predict", semconv.GEN_AI_REQUEST_MAX_TOKENS),
    ("seed", semconv.GEN_AI_REQUEST_SEED),
)
#: Every argument ``request_attributes`` reads with content capture off: a call's span keeps only
#: these until it is built (not the messages, prompt or input);
#: tests/ollama/test_ollama_extract.py checks the list against what the function reads.
REQUEST_KEYS: Final = frozenset({"model", "options", "stream", "dimensions", "format"})


def bind(method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by name (positional ones named after the SDK's signature)."""
    if not args:
        return kwargs
    named = dict(zip(POSITIONAL.get(method, ()), args, strict=False))  # extra ones: the SDK raises
    named.update(kwargs)
    return named


def request_attributes(operation: str, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Request parameters (``options`` as a dict or ``ollama.Options``); content only with capture_content."""
    get = kwargs.get
    attrs = request_params(operation, get)
    options = get("options")
    if options is not None:
        option = functools.partial(_g, options)
        read_params(option, attrs, _NUMBER_OPTIONS, _INT_OPTIONS)
        stop = string_list(option("stop"))
        if stop is not None:
            attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = stop
    if get("stream") is True:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    dims = get("dimensions")
    if type(dims) is int:
        attrs[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dims
    fmt = get("format")
    if fmt == "json" or isinstance(fmt, dict):  # a JSON schema is JSON output too
        attrs[semconv.GEN_AI_OUTPUT_TYPE] = semconv.OUTPUT_TYPE_JSON
    if settings.capture_content:
        _request_content(operation, kwargs, settings.content_max_chars, attrs)
    return attrs


def _request_content(operation: str, kwargs: dict[str, Any], limit: int, attrs: dict[str, Any]) -> None:
    get = kwargs.get
    if operation == semconv.OP_EMBEDDINGS:
        value = get("input", get("prompt"))
        if isinstance(value, (str, list, tuple)):
            attrs[semconv.GEN_AI_EMBEDDINGS_INPUT] = content_json(value, limit)
        return
    messages = get("messages")
    if isinstance(messages, (list, tuple)):
        attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_json(input_messages(messages), limit)
    prompt = get("prompt")
    if type(prompt) is str:  # generate: the prompt is the one user message
        message = {"role": "user", "content": prompt, "images": get("images")}
        attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_json(input_messages([message]), limit)
    system = system_instructions(get("system"))
    if system:
        attrs[semconv.GEN_AI_SYSTEM_INSTRUCTIONS] = content_json(system, limit)
    tools = get("tools")
    if isinstance(tools, (list, tuple)) and tools:
        attrs[semconv.GEN_AI_TOOL_DEFINITIONS] = content_json(tools, limit)


# --- content in the GenAI conventions' message schema --------------------------------------------


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "content": text}


def _image(image: Any) -> dict[str, Any]:
    """An image part: its size for inline data, never the bytes (a path or an ``ollama.Image``
    is recorded as an image of unknown size)."""
    return c.blob("image", None, len(image) if isinstance(image, (bytes, bytearray)) else None)


def _arguments(raw: Any) -> Any:
    """Tool-call arguments: Ollama sends an object; a JSON string is parsed where valid."""
    if type(raw) is str:
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _parts(message: Any) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    thinking = _g(message, "thinking")
    if type(thinking) is str and thinking:
        parts.append({"type": "reasoning", "content": thinking})
    content = _g(message, "content")
    if type(content) is str and content:
        parts.append(_text(content))
    images = _g(message, "images")
    if isinstance(images, (list, tuple)):
        parts.extend(_image(image) for image in images)
    calls = _g(message, "tool_calls")
    if isinstance(calls, (list, tuple)):
        for call in calls:
            function = _g(call, "function")
            parts.append(
                {
                    "type": "tool_call",
                    "id": None,  # Ollama gives tool calls no id
                    "name": _g(function, "name"),
                    "arguments": _arguments(_g(function, "arguments")),
                }
            )
    return parts


def input_messages(messages: Any) -> list[dict[str, Any]]:
    """The request's chat history (system messages included: Ollama has them in the history)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        role = _g(message, "role")
        if role == "tool":
            parts = [{"type": "tool_call_response", "id": None, "response": _g(message, "content")}]
        else:
            parts = _parts(message)
        out.append({"role": role, "parts": parts})
    return out


def output_messages(message: Any, finish_reason: Any) -> list[dict[str, Any]]:
    """The assistant's answer (a chat ``message``, or a generate response's text and thinking)."""
    return [c.output_message("assistant", _parts(message), finish_reason)]


def system_instructions(system: Any) -> list[dict[str, Any]]:
    """``generate(system=...)``: given apart from the prompt, so recorded apart."""
    return [_text(system)] if type(system) is str and system else []


# --- responses ------------------------------------------------------------------------------------


def usage_attributes(prompt_tokens: int | None, output_tokens: int | None, attrs: dict[str, Any]) -> None:
    if prompt_tokens is None and output_tokens is None:
        attrs[semconv.USAGE_MISSING] = True
        return
    if prompt_tokens is not None:
        attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = prompt_tokens
    if output_tokens is not None:
        attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] = output_tokens


def final_attributes(body: Any, attrs: dict[str, Any]) -> None:
    """What a whole response (or a stream's ``done`` chunk) reports: model, reason, usage, durations."""
    model = _g(body, "model")
    if type(model) is str and model:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = model
    reason = _g(body, "done_reason")
    if type(reason) is str:
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [reason]
    usage_attributes(token_count(_g(body, "prompt_eval_count")), token_count(_g(body, "eval_count")), attrs)
    for key, name in DURATIONS:
        value = _g(body, key)
        if type(value) is int and value >= 0:
            attrs[name] = value / NS_PER_S


def tool_call_names(message: Any) -> list[str]:
    calls = _g(message, "tool_calls")
    if not isinstance(calls, (list, tuple)):
        return []
    return [name for name in (_g(_g(call, "function"), "name") for call in calls) if type(name) is str]


def chat_attributes(body: Any, capture: bool, limit: int) -> dict[str, Any]:
    """A ``ChatResponse`` (model or JSON dict)."""
    attrs: dict[str, Any] = {}
    final_attributes(body, attrs)
    message = _g(body, "message")
    names = tool_call_names(message)
    if names:
        attrs[semconv.TOOL_CALL_NAMES] = names
    if capture and message is not None:
        attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json(output_messages(message, _g(body, "done_reason")), limit)
    return attrs


def generate_attributes(body: Any, capture: bool, limit: int) -> dict[str, Any]:
    """A ``GenerateResponse``: the text in ``response``, reasoning in ``thinking``."""
    attrs: dict[str, Any] = {}
    final_attributes(body, attrs)
    if capture:
        message = {"content": _g(body, "response"), "thinking": _g(body, "thinking")}
        attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json(output_messages(message, _g(body, "done_reason")), limit)
    return attrs


def embed_attributes(body: Any, capture: bool, limit: int) -> dict[str, Any]:
    """An ``EmbedResponse`` (``prompt_eval_count`` = input tokens) or a legacy ``EmbeddingsResponse``
    (no counts at all: unknown usage)."""
    attrs: dict[str, Any] = {}
    model = _g(body, "model")
    if type(model) is str and model:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = model
    tokens = token_count(_g(body, "prompt_eval_count"))
    if tokens is None:
        attrs[semconv.USAGE_MISSING] = True
    else:
        attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = tokens
    for key, name in DURATIONS:
        value = _g(body, key)
        if type(value) is int and value >= 0:
            attrs[name] = value / NS_PER_S
    return attrs


__all__ = [
    "DURATIONS",
    "NS_PER_S",
    "POSITIONAL",
    "REQUEST_KEYS",
    "bind",
    "chat_attributes",
    "embed_attributes",
    "final_attributes",
    "generate_attributes",
    "input_messages",
    "output_messages",
    "request_attributes",
    "system_instructions",
    "tool_call_names",
]
