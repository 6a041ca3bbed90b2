"""OpenAI request -> span start attributes.

Reads only the keyword arguments the app passed (the SDK's methods are keyword-only) and the
client's ``base_url``; the SDK's ``NOT_GIVEN``/``omit`` sentinels are skipped because only plain
numbers and strings are accepted as values.  Never iterates an app-provided iterable other than
lists and tuples (a generator would be consumed before the SDK sees it).
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent import semconv
from llm_agent.config import MAX_ID_LENGTH, Settings
from llm_agent.instrumentation._content import content_attribute, text
from llm_agent.instrumentation._providers import provider_from_base_url
from llm_agent.instrumentation._server import ServerCache, url_attributes
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation._values import OPENAI_NUMBER_PARAMS, output_type
from llm_agent.instrumentation.openai._content import chat_input, prompt_input, responses_input, tool_definitions

_NUMBER_PARAMS: Final = OPENAI_NUMBER_PARAMS
_MAX_TOKENS_KEYS: Final = ("max_tokens", "max_completion_tokens", "max_output_tokens")
#: Every keyword argument ``request_attributes`` reads with content capture off.  A call's span
#: keeps only these until it is built, not the (possibly large) messages, input or tools;
#: tests/openai/test_request_keys.py checks the list against what the function reads.
REQUEST_KEYS: Final = frozenset(
    {
        "model",
        *(key for key, _ in _NUMBER_PARAMS),
        *_MAX_TOKENS_KEYS,
        "seed",
        "stop",
        "n",
        "stream",
        "service_tier",
        "encoding_format",
        "dimensions",
        "response_format",
        "text",
        "text_format",
    }
)


def _num(value: Any) -> bool:
    return (type(value) is int or type(value) is float) and value == value


def _int(value: Any) -> bool:
    return type(value) is int


def _str(value: Any) -> bool:
    return type(value) is str and value != ""


def _read_server(base_url: Any, settings: Settings) -> tuple[str, dict[str, Any]]:
    return provider_from_base_url(str(base_url), settings.provider_map or None), url_attributes(base_url)


_servers: Final = ServerCache(_read_server)


def server_attributes(base_url: Any, settings: Settings) -> tuple[str, dict[str, Any]]:
    """(provider name, server.address/port) from a client's ``base_url``; a fresh dict."""
    if base_url is None:
        return semconv.PROVIDER_OPENAI, {}
    return _servers.get(base_url, settings)


def request_attributes(operation: str, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Request parameters as span attributes (content only with capture_content)."""
    attrs: dict[str, Any] = {semconv.GEN_AI_OPERATION_NAME: operation}
    # The checks of ``_num``/``_int``/``_str`` are written out inline: this runs on every call,
    # and a helper call per parameter costs more than the check itself.
    get = kwargs.get
    model = get("model")
    if type(model) is str and model != "":
        attrs[semconv.GEN_AI_REQUEST_MODEL] = model
    for key, name in _NUMBER_PARAMS:
        value = get(key)
        if (type(value) is int or type(value) is float) and value == value:
            attrs[name] = value
    for key in _MAX_TOKENS_KEYS:
        value = get(key)
        if type(value) is int:
            attrs[semconv.GEN_AI_REQUEST_MAX_TOKENS] = value
            break
    seed = get("seed")
    if type(seed) is int:
        attrs[semconv.GEN_AI_REQUEST_SEED] = seed
    stop = get("stop")
    if stop is not None:
        if type(stop) is str and stop != "":
            attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = [stop]
        elif isinstance(stop, (list, tuple)) and stop and all(type(s) is str for s in stop):
            attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = list(stop)
    n = get("n")
    if type(n) is int and n != 1:
        attrs[semconv.GEN_AI_REQUEST_CHOICE_COUNT] = n
    if get("stream") is True:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    tier = get("service_tier")
    if type(tier) is str and tier != "" and tier != "auto":
        attrs[semconv.GEN_AI_OPENAI_REQUEST_SERVICE_TIER] = tier
    if operation == semconv.OP_EMBEDDINGS:
        fmt = get("encoding_format")
        if _str(fmt):
            attrs[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] = [fmt]
        dims = get("dimensions")
        if _int(dims):
            attrs[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dims
    # Only a request naming an output format can have an output type: skip the call otherwise.
    if "response_format" in kwargs or "text" in kwargs or "text_format" in kwargs:
        output_type = _output_type(kwargs)
        if output_type is not None:
            attrs[semconv.GEN_AI_OUTPUT_TYPE] = output_type
    if settings.capture_content:
        _content(operation, kwargs, attrs, settings.content_max_chars)
    return attrs


def _output_type(kwargs: dict[str, Any]) -> str | None:
    """Chat ``response_format``, Responses ``text.format`` or ``text_format`` (``parse()``'s model)."""
    found = output_type(kwargs.get("response_format"))
    if found is None:
        text = kwargs.get("text")
        found = output_type(text.get("format")) if isinstance(text, dict) else None
    if found is None:
        found = output_type(kwargs.get("text_format"))
    return found


def _content(operation: str, kwargs: dict[str, Any], attrs: dict[str, Any], limit: int) -> None:
    if operation == semconv.OP_EMBEDDINGS:
        value = kwargs.get("input")
        if isinstance(value, (str, list, tuple)):
            attrs[semconv.GEN_AI_EMBEDDINGS_INPUT] = content_json(value, limit)
        return
    messages = kwargs.get("messages")
    if isinstance(messages, (list, tuple)):
        attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_attribute(chat_input(messages), limit)
    elif operation == semconv.OP_TEXT_COMPLETION:
        prompt = prompt_input(kwargs.get("prompt"))
        if prompt:
            attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_attribute(prompt, limit)
    else:
        value = kwargs.get("input")
        if isinstance(value, (str, list, tuple)):
            attrs[semconv.GEN_AI_INPUT_MESSAGES] = content_attribute(responses_input(value), limit)
    instructions = kwargs.get("instructions")
    if isinstance(instructions, str) and instructions:
        attrs[semconv.GEN_AI_SYSTEM_INSTRUCTIONS] = content_attribute([text(instructions)], limit)
    tools = kwargs.get("tools")
    if isinstance(tools, (list, tuple)) and tools:
        attrs[semconv.GEN_AI_TOOL_DEFINITIONS] = content_attribute(tool_definitions(tools), limit)


def request_ids(kwargs: dict[str, Any]) -> tuple[str | None, str | None]:
    """(session, user) named by the request itself: ``metadata`` keys, ``user``, ``safety_identifier``.

    Used only with ``session_from_request`` and only where the context has no IDs.
    """
    session_id = user_id = None
    metadata = kwargs.get("metadata")
    if isinstance(metadata, dict):
        value = metadata.get("session_id")
        if _str(value) and len(value) <= MAX_ID_LENGTH:
            session_id = value
        value = metadata.get("user_id")
        if _str(value) and len(value) <= MAX_ID_LENGTH:
            user_id = value
    if user_id is None:
        for key in ("user", "safety_identifier"):
            value = kwargs.get(key)
            if _str(value) and len(value) <= MAX_ID_LENGTH:
                user_id = value
                break
    return session_id, user_id
