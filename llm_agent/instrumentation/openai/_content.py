"""OpenAI's request and response shapes -> the conventions' neutral parts (``_content``).

Chat Completions messages, legacy completion prompts, Responses API input and output items and
both APIs' tool definitions.  Reads SDK models and plain dicts alike (``_g``); media become
references or sizes, never bytes.  Only called with content capture on.
"""

from __future__ import annotations

from typing import Any

from llm_agent.instrumentation import _content as c
from llm_agent.instrumentation._values import field as _g

_Part = dict[str, Any]


# --- Chat Completions -----------------------------------------------------------------------------


def chat_input(messages: list[Any] | tuple[Any, ...]) -> list[_Part]:
    """A Chat Completions ``messages`` list (system and developer messages stay in the history)."""
    out: list[_Part] = []
    for message in messages:
        role = _g(message, "role")
        if role == "tool":
            parts = [c.tool_call_response(_g(message, "tool_call_id"), _response(_g(message, "content")))]
        elif role == "function":  # the deprecated function-calling message: named, not id'd
            parts = [c.tool_call_response(None, _response(_g(message, "content")))]
        else:
            parts = _chat_parts(_g(message, "content"))
            refusal = _g(message, "refusal")
            if type(refusal) is str and refusal:
                parts.append(c.generic("refusal", content=refusal))
            parts.extend(_chat_tool_calls(_g(message, "tool_calls")))
        out.append(c.message(role, parts))
    return out


def _chat_tool_calls(calls: Any) -> list[_Part]:
    if not isinstance(calls, (list, tuple)):
        return []
    return [
        c.tool_call(_g(call, "id"), _g(_g(call, "function"), "name"), _g(_g(call, "function"), "arguments"))
        for call in calls
    ]


def _chat_parts(content: Any) -> list[_Part]:
    if type(content) is str:
        return [c.text(content)]
    if not isinstance(content, (list, tuple)):
        return []
    parts: list[_Part] = []
    for item in content:
        kind = _g(item, "type")
        if kind == "text":
            parts.append(c.text(_g(item, "text")))
        elif kind == "image_url":
            parts.append(c.uri(_g(_g(item, "image_url"), "url"), "image"))
        elif kind == "input_audio":
            audio = _g(item, "input_audio")
            fmt = _g(audio, "format")
            parts.append(c.blob("audio", f"audio/{fmt}" if type(fmt) is str else None, c.byte_size(_g(audio, "data"))))
        elif kind == "file":
            parts.append(_file(_g(item, "file")))
        elif kind == "refusal":
            parts.append(c.generic("refusal", content=_g(item, "refusal")))
        elif type(kind) is str:
            parts.append(c.generic(kind))
    return parts


def _file(spec: Any) -> _Part:
    """A chat ``file`` part: an uploaded file's id, or inline data (a data URL: its size only)."""
    file_id = _g(spec, "file_id")
    if type(file_id) is str:
        return c.file(file_id, "document")
    data = _g(spec, "file_data")
    if type(data) is str and data.startswith("data:"):
        return c.data_url(data, "document")
    return c.blob("document", None, c.byte_size(data))


def _response(content: Any) -> Any:
    """A tool result: a string as given, a list of content parts as parts."""
    if isinstance(content, (list, tuple)):
        return _chat_parts(content)
    return content


def chat_output(message: Any, text: Any, finish_reason: Any) -> _Part:
    """One choice: its message (chat) or ``text`` (legacy completions)."""
    parts = [c.text(text)] if type(text) is str else []
    refusal = _g(message, "refusal")
    if type(refusal) is str and refusal:
        parts.append(c.generic("refusal", content=refusal))
    audio = _g(message, "audio")
    if audio is not None:
        part = c.blob("audio", None, c.byte_size(_g(audio, "data")))
        transcript = _g(audio, "transcript")
        if type(transcript) is str:
            part["transcript"] = transcript
        parts.append(part)
    parts.extend(_chat_tool_calls(_g(message, "tool_calls")))
    return c.output_message(_g(message, "role") or "assistant", parts, finish_reason)


def prompt_input(prompt: Any) -> list[_Part]:
    """A legacy completion's ``prompt`` (a string or a list of strings) as one user message."""
    parts = c.texts_of(prompt)
    return [c.message("user", parts)] if parts else []


# --- Responses API --------------------------------------------------------------------------------


def responses_input(value: Any) -> list[_Part]:
    """``input``: a string, or a list of messages and items (function calls and their outputs)."""
    if type(value) is str:
        return [c.message("user", [c.text(value)])]
    out: list[_Part] = []
    for item in value:
        kind = _g(item, "type")
        if kind == "function_call":
            out.append(c.message("assistant", [_function_call(item)]))
        elif kind == "function_call_output":
            out.append(
                c.message("tool", [c.tool_call_response(_g(item, "call_id"), _response_output(_g(item, "output")))])
            )
        elif kind == "reasoning":
            out.append(c.message("assistant", _reasoning(item)))
        elif kind in (None, "message"):
            content = _g(item, "content")
            parts = [c.text(content)] if type(content) is str else _response_parts(content)
            out.append(c.message(_g(item, "role"), parts))
        elif type(kind) is str:
            out.append(c.message("assistant", [_server_tool(item, kind)]))
    return out


def _response_output(output: Any) -> Any:
    if isinstance(output, (list, tuple)):
        return _response_parts(output)
    return output


def _response_parts(content: Any) -> list[_Part]:
    if not isinstance(content, (list, tuple)):
        return []
    parts: list[_Part] = []
    for item in content:
        kind = _g(item, "type")
        if kind in ("input_text", "output_text", "text"):
            parts.append(c.text(_g(item, "text")))
        elif kind == "refusal":
            parts.append(c.generic("refusal", content=_g(item, "refusal")))
        elif kind == "input_image":
            file_id = _g(item, "file_id")
            parts.append(c.file(file_id, "image") if type(file_id) is str else c.uri(_g(item, "image_url"), "image"))
        elif kind == "input_file":
            file_id, url, data = _g(item, "file_id"), _g(item, "file_url"), _g(item, "file_data")
            if type(file_id) is str:
                parts.append(c.file(file_id, "document"))
            elif type(url) is str:
                parts.append(c.uri(url, "document"))
            elif type(data) is str and data.startswith("data:"):
                parts.append(c.data_url(data, "document"))
            else:
                parts.append(c.blob("document", None, c.byte_size(data)))
        elif kind == "input_audio":
            audio = _g(item, "input_audio")
            parts.append(c.blob("audio", None, c.byte_size(_g(audio, "data"))))
        elif type(kind) is str:
            parts.append(c.generic(kind))
    return parts


def _function_call(item: Any) -> _Part:
    # ``call_id`` (call_...), not the item's ``id`` (fc_...): the next request's
    # ``function_call_output`` names the call_id, so a call and its response pair up.
    return c.tool_call(_g(item, "call_id"), _g(item, "name"), _g(item, "arguments"))


def _reasoning(item: Any) -> list[_Part]:
    texts = [_g(s, "text") for s in (_g(item, "summary") or []) if type(_g(s, "text")) is str]
    texts += [_g(s, "text") for s in (_g(item, "content") or []) if type(_g(s, "text")) is str]
    return [c.reasoning("\n".join(texts))] if texts else []


def _server_tool(item: Any, kind: str) -> _Part:
    """A provider-run tool (web search, file search, code interpreter...): named by its kind."""
    return {"type": "server_tool_call", "id": _g(item, "id"), "name": kind, "server_tool_call": {"type": kind}}


def responses_output(items: list[Any], finish_reason: Any) -> list[_Part]:
    """A ``Response``'s ``output`` items as one assistant message."""
    parts: list[_Part] = []
    for item in items:
        kind = _g(item, "type")
        if kind == "message":
            parts.extend(_response_parts(_g(item, "content")))
        elif kind == "function_call":
            parts.append(_function_call(item))
        elif kind == "reasoning":
            parts.extend(_reasoning(item))
        elif type(kind) is str:
            parts.append(_server_tool(item, kind))
    return [c.output_message("assistant", parts, finish_reason)]


# --- tools ----------------------------------------------------------------------------------------


def tool_definitions(tools: list[Any] | tuple[Any, ...]) -> list[_Part]:
    """Chat (``{"type": "function", "function": {...}}``) and Responses (flat) tool definitions."""
    out: list[_Part] = []
    for tool in tools:
        kind = _g(tool, "type")
        fn = _g(tool, "function")
        spec = fn if fn is not None else tool
        name = _g(spec, "name")
        if kind == "function" or fn is not None:
            out.append(c.tool_definition(name, _g(spec, "description"), _g(spec, "parameters")))
        else:  # a built-in tool: its type is its name
            out.append(
                c.tool_definition(name if type(name) is str else kind, kind=kind if type(kind) is str else "tool")
            )
    return out


__all__ = ["chat_input", "chat_output", "prompt_input", "responses_input", "responses_output", "tool_definitions"]
