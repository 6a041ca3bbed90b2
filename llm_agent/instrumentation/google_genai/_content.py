"""google-genai's contents and parts -> the conventions' neutral parts (``_content``).

``contents`` (a string, a ``Content``, a ``Part``, or a list of them), parts (text, thoughts,
``function_call``, ``function_response``, ``inline_data`` by MIME type and size only,
``file_data`` by URI, code execution), ``system_instruction`` and tools (declarations, Python
callables of automatic function calling, built-in tools by name).  Reads SDK models and dicts.
"""

from __future__ import annotations

from typing import Any

from llm_agent.instrumentation import _content as c
from llm_agent.instrumentation._values import field as _g

_Part = dict[str, Any]

#: The Gemini API's role of the model's turns; the conventions call it ``assistant``.
_ROLES = {"model": "assistant"}
#: Tool fields that are built-in tools rather than function declarations (named by the field).
_BUILT_IN_TOOLS = (
    "google_search",
    "google_search_retrieval",
    "code_execution",
    "retrieval",
    "url_context",
    "google_maps",
    "computer_use",
    "file_search",
)


def input_messages(contents: Any) -> list[_Part]:
    """``contents`` as messages; a bare string, part or list of strings is the user's turn."""
    items = contents if isinstance(contents, (list, tuple)) else [contents]
    out: list[_Part] = []
    for item in items:
        parts = _g(item, "parts")
        if type(item) is not str and isinstance(parts, list):
            role = _g(item, "role")
            out.append(c.message(_ROLES.get(role, role) if type(role) is str else "user", read(parts)))
        else:
            out.append(c.message("user", [part(item)]))
    return out


def system_instructions(system: Any) -> list[_Part]:
    if type(system) is str:
        return [c.text(system)]
    parts = _g(system, "parts")
    if isinstance(parts, list):
        return read(parts)
    if isinstance(system, (list, tuple)):
        return [part(p) for p in system]
    return [part(system)]


def read(parts: Any) -> list[_Part]:
    return [part(p) for p in parts] if isinstance(parts, (list, tuple)) else []


def part(value: Any) -> _Part:
    """One ``Part`` (or a string)."""
    if type(value) is str:
        return c.text(value)
    text = _g(value, "text")
    if type(text) is str:
        return c.reasoning(text) if _g(value, "thought") is True else c.text(text)
    call = _f(value, "function_call", "functionCall")
    if call is not None:
        return c.tool_call(_g(call, "id"), _g(call, "name"), _g(call, "args"))
    response = _f(value, "function_response", "functionResponse")
    if response is not None:
        return c.tool_call_response(_g(response, "id"), _g(response, "response"))
    blob = _f(value, "inline_data", "inlineData")
    if blob is not None:
        mime = _f(blob, "mime_type", "mimeType")
        return c.blob(c.modality_of(mime), mime, c.byte_size(_g(blob, "data")))
    ref = _f(value, "file_data", "fileData")
    if ref is not None:
        mime = _f(ref, "mime_type", "mimeType")
        return c.uri(_f(ref, "file_uri", "fileUri"), c.modality_of(mime), mime)
    code = _f(value, "executable_code", "executableCode")
    if code is not None:
        return c.generic("executable_code", content=_g(code, "code"), language=_str(_g(code, "language")))
    result = _f(value, "code_execution_result", "codeExecutionResult")
    if result is not None:
        return c.generic("code_execution_result", content=_g(result, "output"), outcome=_str(_g(result, "outcome")))
    if isinstance(value, (bytes, bytearray)):
        return c.blob("document", None, len(value))
    return c.generic(type(value).__name__)  # a PIL image, an uploaded File...: by its kind only


def output_message(parts: list[_Part], reason: str | None) -> _Part:
    """One candidate; a stream's consecutive text (and thought) fragments joined."""
    return c.output_message("assistant", c.join_texts(parts), reason)


def tool_definitions(tools: list[Any] | tuple[Any, ...]) -> list[_Part]:
    out: list[_Part] = []
    for tool in tools:
        if callable(tool) and not hasattr(tool, "model_dump"):  # automatic function calling
            doc = getattr(tool, "__doc__", None)
            out.append(
                c.tool_definition(
                    getattr(tool, "__name__", type(tool).__name__), doc.strip() if type(doc) is str else None
                )
            )
            continue
        for declaration in _g(tool, "function_declarations") or ():
            params = _g(declaration, "parameters_json_schema")
            if params is None:
                params = _json_schema(c.plain(_g(declaration, "parameters")))
            out.append(c.tool_definition(_g(declaration, "name"), _g(declaration, "description"), params))
        out.extend(c.tool_definition(name, kind=name) for name in _BUILT_IN_TOOLS if _g(tool, name) is not None)
    return out


def _json_schema(schema: Any) -> Any:
    """A Gemini ``Schema`` as JSON Schema: its ``type`` values are upper-case enum names (OBJECT)."""
    if isinstance(schema, dict):
        return {k: (v.lower() if k == "type" and type(v) is str else _json_schema(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_json_schema(v) for v in schema]
    return schema


def _f(obj: Any, name: str, alias: str) -> Any:
    """A field by its Python name, or in a dict the app wrote by the API's camelCase name."""
    value = _g(obj, name)
    if value is None and type(obj) is dict:
        value = obj.get(alias)
    return value


def _str(value: Any) -> str | None:
    value = getattr(value, "value", value)
    return value if type(value) is str else None


__all__ = ["input_messages", "output_message", "part", "read", "system_instructions", "tool_definitions"]
