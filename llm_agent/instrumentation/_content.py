"""Captured content in the GenAI conventions' JSON schema, built and serialised once for every provider.

With ``capture_content`` on, ``gen_ai.input.messages``, ``gen_ai.output.messages``,
``gen_ai.system_instructions`` and ``gen_ai.tool.definitions`` hold the JSON documents of the
conventions' schemas (semantic-conventions v1.41.0, ``gen-ai-*.json``; tests/schemas/genai).  A
provider maps its SDK's request, response or stream into the neutral parts below and hands the
list to ``content_attribute``; nothing about the schema or the truncation lives in a provider.

Parts (plain dicts, ready for ``json.dumps``)::

    text(content)                         {"type": "text", "content": ...}
    tool_call(id, name, arguments)        {"type": "tool_call", "id", "name", "arguments": <object>}
    tool_call_response(id, response)      {"type": "tool_call_response", "id", "response"}
    reasoning(content)                    {"type": "reasoning", "content": ...}
    uri(uri, modality, mime_type)         {"type": "uri", "modality", "mime_type", "uri"}
    file(file_id, modality, mime_type)    {"type": "file", "modality", "mime_type", "file_id"}
    blob(modality, mime_type, size)       {"type": "blob", "modality", "mime_type", "size"}  (no bytes)
    generic(type, **fields)               any other part, e.g. a refusal or a server tool call

Messages: ``message(role, parts)`` for inputs, ``output_message(role, parts, finish_reason)``
for outputs; system instructions are a list of parts; ``tool_definition(name, description,
parameters)`` a function tool.  Bytes are never recorded: inline media become a ``blob`` part
with the size in bytes and no ``content`` (valid as the schemas' generic part), ``data:`` URLs
the same (``data_url``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final

from llm_agent._stability import latest_gen_ai

#: Ends every string cut to fit ``content_max_chars``.
TRUNCATION_MARKER: Final = "…[truncated]"

#: Set (true) on a part or message whose strings were cut, or after which items were dropped,
#: to fit ``content_max_chars``: the document stays valid JSON and says that it is incomplete.
TRUNCATED_KEY: Final = "truncated"

#: Strings that name rather than carry content: never cut (a cut id no longer pairs up).
_STRUCTURAL_KEYS: Final = frozenset({"type", "role", "id", "name", "mime_type", "modality", "finish_reason", "uri"})

#: ``OTEL_SEMCONV_STABILITY_OPT_IN`` and the category asking for the conventions' current main.

_JSON_SEPARATORS: Final = (",", ":")
#: Base64 carries 3 bytes in 4 characters: a data URL's payload size without decoding it.
_BASE64_BYTES_PER_CHAR: Final = 3 / 4


def latest_experimental() -> bool:
    """True when ``OTEL_SEMCONV_STABILITY_OPT_IN`` lists ``gen_ai_latest_experimental`` (the one
    reading of the option, ``_stability.latest_gen_ai``; read at each capture, off the common path)."""
    return latest_gen_ai()


# --- parts ----------------------------------------------------------------------------------------


def text(content: Any) -> dict[str, Any]:
    return {"type": "text", "content": content if type(content) is str else _as_text(content)}


def reasoning(content: Any) -> dict[str, Any]:
    return {"type": "reasoning", "content": content if type(content) is str else _as_text(content)}


def tool_call(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    """A tool call the model asked for; ``call_id`` is the id its response names (Responses: ``call_id``)."""
    return {
        "type": "tool_call",
        "id": call_id if type(call_id) is str else None,
        "name": name if type(name) is str else "",
        "arguments": parse_arguments(arguments),
    }


def tool_call_response(call_id: Any, response: Any) -> dict[str, Any]:
    return {"type": "tool_call_response", "id": call_id if type(call_id) is str else None, "response": response}


def uri(address: Any, modality: str | None, mime_type: Any = None) -> dict[str, Any]:
    """Media named by URL; a ``data:`` URL becomes a ``blob`` with its size (never the bytes)."""
    if type(address) is str and address.startswith("data:"):
        return data_url(address, modality)
    return {
        "type": "uri",
        "modality": modality or _modality(mime_type),
        "mime_type": _str(mime_type),
        "uri": _str(address) or "",
    }


def file(file_id: Any, modality: str | None, mime_type: Any = None) -> dict[str, Any]:
    return {
        "type": "file",
        "modality": modality or _modality(mime_type),
        "mime_type": _str(mime_type),
        "file_id": _str(file_id) or "",
    }


def blob(modality: str | None, mime_type: Any, size: int | None) -> dict[str, Any]:
    """Inline media: its kind and size in bytes only.  The schemas' ``blob`` wants the bytes as
    ``content``; recording them is what privacy by default forbids, so ``content`` is absent and
    the part validates as the schemas' generic part."""
    return {"type": "blob", "modality": modality or _modality(mime_type), "mime_type": _str(mime_type), "size": size}


def data_url(url: str, modality: str | None = None) -> dict[str, Any]:
    """``data:<mime>;base64,<payload>`` as a ``blob``: MIME type and decoded size, no payload."""
    header, _, payload = url[5:].partition(",")
    mime = header.split(";", 1)[0] or None
    size = int(len(payload) * _BASE64_BYTES_PER_CHAR) - payload.count("=") if ";base64" in header else len(payload)
    return blob(modality, mime, size)


def byte_size(data: Any) -> int | None:
    """The size of inline bytes (``bytes``, or a base64 ``str`` as the SDKs' JSON carries them)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return len(data)
    if type(data) is str:
        return int(len(data) * _BASE64_BYTES_PER_CHAR) - data[-2:].count("=")
    return None


def generic(kind: str, **fields: Any) -> dict[str, Any]:
    """A part of a type the conventions name but we build nothing special for (``refusal``...)."""
    return {"type": kind, **fields}


# --- messages and definitions ---------------------------------------------------------------------


def message(role: Any, parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"role": role if type(role) is str else "user", "parts": parts}


def output_message(role: Any, parts: list[dict[str, Any]], finish_reason: Any) -> dict[str, Any]:
    """An output message.  v1.41.0 requires ``finish_reason`` (a string); the conventions' main
    made it optional and nullable, so an unknown reason is omitted there and recorded as
    ``"unknown"`` (never a guessed ``stop``) under v1.41.0."""
    out = {"role": role if type(role) is str else "assistant", "parts": parts}
    if type(finish_reason) is str:
        out["finish_reason"] = finish_reason
    elif not latest_experimental():
        out["finish_reason"] = "unknown"
    return out


def tool_definition(
    name: Any, description: Any = None, parameters: Any = None, kind: str = "function"
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "name": name if type(name) is str else ""}
    if type(description) is str:
        out["description"] = description
    if isinstance(parameters, dict):
        out["parameters"] = parameters
    return out


def parse_arguments(arguments: Any) -> Any:
    """Tool-call arguments as an object: the SDK's JSON string parsed when valid, else as given."""
    if type(arguments) is str:
        try:
            return json.loads(arguments)
        except ValueError:
            return arguments
    return arguments


def join_texts(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive text (or reasoning) parts joined into one: a stream's fragments as one part."""
    out: list[dict[str, Any]] = []
    for part in parts:
        kind = part.get("type")
        if kind in ("text", "reasoning") and out and out[-1].get("type") == kind and len(out[-1]) == len(part) == 2:
            out[-1] = {"type": kind, "content": out[-1]["content"] + part["content"]}
        else:
            out.append(part)
    return out


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data (pydantic models dumped, bytes by their size)."""
    return _plain(value)


def texts_of(value: Any) -> list[dict[str, Any]]:
    """A plain string or a list of strings as text parts (system prompts, prompts)."""
    if type(value) is str:
        return [text(value)]
    if isinstance(value, (list, tuple)):
        return [text(item) for item in value if type(item) is str]
    return []


# --- serialisation --------------------------------------------------------------------------------


def content_attribute(value: list[Any], max_chars: int) -> str:
    """``value`` (messages, parts or definitions) as compact JSON of at most ``max_chars``
    characters that is always a whole, valid document.

    Over the limit, the longest content strings are cut first (each ending in the truncation
    marker, its part marked ``"truncated": true``), to the longest length that fits; if even
    empty strings do not fit, trailing parts and items are dropped and the last one kept is
    marked.  Only a limit below one emptied message (about 50 characters) leaves ``[]``.
    """
    plain = _plain(value)
    whole = _dumps(plain)
    if len(whole) <= max_chars:
        return whole
    lo, hi = 0, _longest(plain)
    best: str | None = None
    while lo <= hi:  # the longest string cap that fits (each probe one dump: only when over the limit)
        cap = (lo + hi) // 2
        candidate = _dumps(_cut(plain, cap, None))
        if len(candidate) <= max_chars:
            best, lo = candidate, cap + 1
        else:
            hi = cap - 1
    if best is not None:
        return best
    if not isinstance(plain, list):
        return _dumps(None) if max_chars >= len("null") else ""
    items = _cut(plain, 0, None)
    while items:
        last = items[-1]
        parts = last.get("parts") if isinstance(last, dict) else None
        if isinstance(parts, list) and parts:  # a message's parts go before the message itself
            items = [*items[:-1], {**last, "parts": parts[:-1], TRUNCATED_KEY: True}]
        else:
            items = items[:-1]
            if items and isinstance(items[-1], dict):
                items[-1] = {**items[-1], TRUNCATED_KEY: True}
        candidate = _dumps(items)
        if len(candidate) <= max_chars:
            return candidate
    return "[]"  # not even one emptied message fits: an empty, still valid, list


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=_JSON_SEPARATORS)


def _plain(value: Any) -> Any:
    """JSON-ready copy: pydantic models dumped, bytes as their size, other objects by type name."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return _plain(dump(mode="json", exclude_none=True))
        except Exception:
            pass
    # Never iterate other iterables: a generator the app passed would be consumed before the SDK.
    return f"<{type(value).__name__}>"


def _longest(value: Any) -> int:
    if type(value) is str:
        return len(value)
    if isinstance(value, dict):
        return max((_longest(v) for k, v in value.items() if k not in _STRUCTURAL_KEYS), default=0)
    if isinstance(value, list):
        return max((_longest(v) for v in value), default=0)
    return 0


def _cut(value: Any, cap: int, owner: dict[str, Any] | None) -> Any:
    """A copy with every content string longer than ``cap`` cut; the enclosing part marked."""
    if type(value) is str:
        if len(value) > cap:
            if owner is not None:
                owner[TRUNCATED_KEY] = True
            return value[:cap] + TRUNCATION_MARKER
        return value
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        # A part or message (it has a type or role) owns the mark; strings in nested objects
        # (tool arguments) mark the part holding them, never add a key to the app's object.
        mark = out if ("type" in value or "role" in value or owner is None) else owner
        for key, item in value.items():
            out[key] = item if key in _STRUCTURAL_KEYS else _cut(item, cap, mark)
        return out
    if isinstance(value, list):
        return [_cut(item, cap, owner) for item in value]
    return value


def _as_text(value: Any) -> str:
    return "" if value is None else _dumps(_plain(value))


def _str(value: Any) -> str | None:
    return value if type(value) is str and value else None


def _modality(mime_type: Any) -> str:
    """The schema's modality from a MIME type; ``document`` for the rest (PDFs, text files)."""
    if type(mime_type) is str:
        major = mime_type.split("/", 1)[0]
        if major in ("image", "video", "audio"):
            return major
    return "document"


def modality_of(mime_type: Any) -> str:
    return _modality(mime_type)


def non_empty(parts: Iterable[dict[str, Any] | None]) -> list[dict[str, Any]]:
    return [part for part in parts if part is not None]


__all__ = [
    "TRUNCATED_KEY",
    "TRUNCATION_MARKER",
    "blob",
    "byte_size",
    "content_attribute",
    "data_url",
    "file",
    "generic",
    "join_texts",
    "latest_experimental",
    "message",
    "modality_of",
    "non_empty",
    "output_message",
    "parse_arguments",
    "plain",
    "reasoning",
    "text",
    "texts_of",
    "tool_call",
    "tool_call_response",
    "tool_definition",
    "uri",
]
