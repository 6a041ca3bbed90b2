"""google-genai request -> span start attributes; response -> span end attributes.

Token rule (docs/gemini.md):

- ``gen_ai.usage.input_tokens`` = ``prompt_token_count`` + ``tool_use_prompt_token_count``: Gemini
  counts cached-content tokens inside the former, and the latter are the prompt tokens of its
  built-in tools (code execution, search), billed as input; the sum means "all input", as our
  rule for every provider asks, and input + output = ``total_token_count``.
- ``gen_ai.usage.output_tokens`` = ``candidates_token_count`` + ``thoughts_token_count``: Gemini
  reports thinking tokens apart from the answer, OpenAI counts its reasoning tokens inside
  ``completion_tokens``; the sum makes output mean the same for both.
- ``gen_ai.usage.reasoning.output_tokens`` = ``thoughts_token_count``;
  ``gen_ai.usage.cache_read.input_tokens`` = ``cached_content_token_count``.

The API leaves a zero count out of its JSON, so within a usage block that reports one of the two
output parts the other counts as 0; a usage block with neither input nor output is unknown usage
(``llm_agent.usage.missing``), never 0.

Works on the SDK's pydantic models and on plain dicts alike (``config`` may be either), and never
raises on an odd field.
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent import semconv
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation._values import field, is_number, token_count

_IN: Final = semconv.GEN_AI_USAGE_INPUT_TOKENS
_OUT: Final = semconv.GEN_AI_USAGE_OUTPUT_TOKENS
_CACHE_READ: Final = semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS
_REASONING: Final = semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS

#: ``GenerateContentConfig`` number fields -> span attribute (ints and floats alike; the SDK
#: types ``top_k`` as a float).
_NUMBER_PARAMS: Final = (
    ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", semconv.GEN_AI_REQUEST_TOP_P),
    ("top_k", semconv.GEN_AI_REQUEST_TOP_K),
    ("presence_penalty", semconv.GEN_AI_REQUEST_PRESENCE_PENALTY),
    ("frequency_penalty", semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY),
)
#: ``response_mime_type`` -> ``gen_ai.output.type`` (the conventions' values); other types
#: (e.g. ``text/x.enum``) leave the attribute out rather than guess.
_OUTPUT_TYPES: Final = {"application/json": "json", "text/plain": "text"}
#: Path segment before the model id in resource names (``models/gemini-2.0-flash``,
#: ``projects/p/locations/l/publishers/google/models/gemini-2.5-flash``).
_MODELS_SEGMENT: Final = "models/"


_g = field
_tok = token_count


def _whole(value: Any) -> int | None:
    """A count the SDK types as a float (Vertex AI's embedding ``statistics.token_count``)."""
    if type(value) is float and value >= 0 and value.is_integer():
        return int(value)
    return _tok(value)


def model_name(model: Any) -> str | None:
    """The model id of a request: ``models/x`` and full resource names reduced to ``x``.

    ``tunedModels/123`` stays as it is (its id is the whole name).
    """
    if type(model) is not str or not model:
        return None
    if model.startswith(_MODELS_SEGMENT):
        return model[len(_MODELS_SEGMENT) :] or model
    cut = model.rfind("/" + _MODELS_SEGMENT)
    if cut >= 0:
        return model[cut + 1 + len(_MODELS_SEGMENT) :] or model
    return model


#: The ``config`` fields the request side reads, in this order (``config_attributes``'s values).
CONFIG_FIELDS: Final = (
    *(key for key, _ in _NUMBER_PARAMS),
    "max_output_tokens",
    "seed",
    "candidate_count",
    "stop_sequences",
    "response_mime_type",
    "output_dimensionality",
)
_N_NUMBERS: Final = len(_NUMBER_PARAMS)


def config_attributes(operation: str, values: tuple[Any, ...], attrs: dict[str, Any]) -> None:
    """Request parameters from ``config``'s values (``CONFIG_FIELDS`` order, copied at the call)."""
    if operation == semconv.OP_EMBEDDINGS:
        dims = values[-1]
        if type(dims) is int:
            attrs[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dims
        return
    for (_, name), value in zip(_NUMBER_PARAMS, values, strict=False):
        if is_number(value):
            attrs[name] = value
    max_tokens, seed, count, stop, mime = values[_N_NUMBERS : _N_NUMBERS + 5]
    if type(max_tokens) is int:
        attrs[semconv.GEN_AI_REQUEST_MAX_TOKENS] = max_tokens
    if type(seed) is int:
        attrs[semconv.GEN_AI_REQUEST_SEED] = seed
    if type(count) is int and count != 1:
        attrs[semconv.GEN_AI_REQUEST_CHOICE_COUNT] = count
    if isinstance(stop, (list, tuple)) and stop and all(type(s) is str for s in stop):
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = list(stop)
    if type(mime) is str:
        output_type = _OUTPUT_TYPES.get(mime.lower())
        if output_type is not None:
            attrs[semconv.GEN_AI_OUTPUT_TYPE] = output_type


def request_content(operation: str, contents: Any, config: Any, attrs: dict[str, Any], limit: int) -> None:
    """The request's content (only with capture_content), serialised now: with automatic function
    calling the SDK appends to ``contents`` after the request."""
    if operation == semconv.OP_EMBEDDINGS:
        if contents is not None:
            attrs[semconv.GEN_AI_EMBEDDINGS_INPUT] = content_json(contents, limit)
        return
    if contents is not None:
        attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_json(_messages(contents), limit)
    system = _g(config, "system_instruction")
    if system is not None:
        attrs[semconv.GEN_AI_SYSTEM_INSTRUCTIONS] = content_json(_text_of(system), limit)
    tools = _g(config, "tools")
    if isinstance(tools, (list, tuple)) and tools:
        attrs[semconv.GEN_AI_TOOL_DEFINITIONS] = content_json([_tool(t) for t in tools], limit)


def _messages(contents: Any) -> list[Any]:
    """``contents`` as a list of turns; a bare string (or list of strings) is the user's turn."""
    items = contents if isinstance(contents, (list, tuple)) else [contents]
    return [{"role": "user", "content": item} if type(item) is str else item for item in items]


def _text_of(system: Any) -> Any:
    """A system instruction as text when it is plain text (str, or a Content of text parts)."""
    if type(system) is str:
        return system
    parts = _g(system, "parts")
    if isinstance(parts, list):
        texts = [_g(p, "text") for p in parts]
        if texts and all(type(t) is str for t in texts):
            return "".join(texts)
    return system


def _tool(tool: Any) -> Any:
    """A tool as JSON: a Python callable (automatic function calling) by its name and docstring."""
    if callable(tool) and not hasattr(tool, "model_dump"):
        out: dict[str, Any] = {"type": "function", "name": getattr(tool, "__name__", type(tool).__name__)}
        doc = getattr(tool, "__doc__", None)
        if type(doc) is str and doc.strip():
            out["description"] = doc.strip()
        return out
    return tool


def _lower(reason: Any) -> str | None:
    """A ``FinishReason`` enum or string, lower-cased as the conventions ask (``STOP`` -> ``stop``)."""
    value = getattr(reason, "value", reason)
    return value.lower() if type(value) is str and value else None


def usage_attributes(
    prompt: int | None, candidates: int | None, thoughts: int | None, cached: int | None, attrs: dict[str, Any]
) -> None:
    """The token attributes by the rule in the module docstring."""
    output = None if candidates is None and thoughts is None else (candidates or 0) + (thoughts or 0)
    if prompt is None and output is None:
        attrs[semconv.USAGE_MISSING] = True
        return
    if prompt is not None:
        attrs[_IN] = prompt
    if output is not None:
        attrs[_OUT] = output
    if thoughts is not None:
        attrs[_REASONING] = thoughts
    if cached is not None:
        attrs[_CACHE_READ] = cached


def usage_counts(usage: Any) -> tuple[int | None, int | None, int | None, int | None]:
    """(input, candidates, thoughts, cached) of a ``usage_metadata``; Nones when absent.

    input = ``prompt_token_count`` + ``tool_use_prompt_token_count`` (the module docstring).
    """
    prompt = _tok(_g(usage, "prompt_token_count"))
    tool_use = _tok(_g(usage, "tool_use_prompt_token_count"))
    if tool_use is not None:
        prompt = tool_use if prompt is None else prompt + tool_use
    return (
        prompt,
        _tok(_g(usage, "candidates_token_count")),
        _tok(_g(usage, "thoughts_token_count")),
        _tok(_g(usage, "cached_content_token_count")),
    )


def response_attributes(response: Any, capture: bool, limit: int) -> dict[str, Any]:
    """A ``GenerateContentResponse`` (model or JSON dict)."""
    attrs: dict[str, Any] = {}
    value = _g(response, "response_id")
    if type(value) is str and value:
        attrs[semconv.GEN_AI_RESPONSE_ID] = value
    value = _g(response, "model_version")
    if type(value) is str and value:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = value
    candidates = _g(response, "candidates")
    if isinstance(candidates, list) and candidates:
        reasons: list[str] = []
        names: list[str] = []
        outputs: list[dict[str, Any]] = []
        for candidate in candidates:
            reason = _lower(_g(candidate, "finish_reason"))
            if reason is not None:
                reasons.append(reason)
            texts, calls = read_parts(_g(_g(candidate, "content"), "parts"), capture)
            names.extend(c["name"] for c in calls)
            if capture:
                outputs.append(output_message(texts, calls, reason))
        if reasons:
            attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
        if names:
            attrs[semconv.TOOL_CALL_NAMES] = names
        if capture and outputs:
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json(outputs, limit)
    usage = _g(response, "usage_metadata")
    if usage is None:
        attrs[semconv.USAGE_MISSING] = True
    else:
        usage_attributes(*usage_counts(usage), attrs)
    return attrs


def read_parts(parts: Any, capture: bool) -> tuple[list[str], list[dict[str, Any]]]:
    """(answer texts if ``capture``, function calls) of a candidate's parts; thoughts left out.

    A call is ``{"name": ...}``, with its ``id`` and ``arguments`` only when content is captured.
    """
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    if not isinstance(parts, list):
        return texts, calls
    for part in parts:
        call = _g(part, "function_call")
        if call is not None:
            name = _g(call, "name")
            if type(name) is str:
                if capture:
                    calls.append({"id": _g(call, "id"), "name": name, "arguments": _g(call, "args")})
                else:
                    calls.append({"name": name})
        elif capture and _g(part, "thought") is not True:
            text = _g(part, "text")
            if type(text) is str:
                texts.append(text)
    return texts, calls


def output_message(texts: list[str], calls: list[dict[str, Any]], reason: str | None) -> dict[str, Any]:
    """One candidate in the captured-output shape shared with the other providers."""
    out: dict[str, Any] = {"role": "assistant", "content": "".join(texts)}
    if calls:
        out["tool_calls"] = calls
    if reason is not None:
        out["finish_reason"] = reason
    return out


def embed_attributes(response: Any) -> dict[str, Any]:
    """An ``EmbedContentResponse``: input tokens from ``usage_metadata`` (3.x), else the sum of
    Vertex AI's per-embedding ``statistics.token_count``; the Gemini API reports none (unknown)."""
    attrs: dict[str, Any] = {}
    prompt = _tok(_g(_g(response, "usage_metadata"), "prompt_token_count"))
    if prompt is None:
        embeddings = _g(response, "embeddings")
        if isinstance(embeddings, list) and embeddings:
            counts = [_whole(_g(_g(e, "statistics"), "token_count")) for e in embeddings]
            if all(c is not None for c in counts):
                prompt = sum(c for c in counts if c is not None)
    if prompt is None:
        attrs[semconv.USAGE_MISSING] = True
    else:
        attrs[_IN] = prompt
    return attrs


__all__ = [
    "CONFIG_FIELDS",
    "config_attributes",
    "embed_attributes",
    "model_name",
    "output_message",
    "read_parts",
    "request_content",
    "response_attributes",
    "usage_attributes",
    "usage_counts",
]
