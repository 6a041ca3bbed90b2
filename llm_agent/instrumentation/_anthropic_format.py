"""Anthropic's Messages format (messages and content blocks) -> the conventions' neutral parts.

On the core rather than in ``anthropic/`` because two providers read this format: the Anthropic
SDK, and Bedrock's Claude ``invoke_model`` bodies (no provider package imports another).

Text, ``tool_use``/``tool_result``, ``thinking`` (redacted thinking by its kind only), images and
documents (a URL, a file id, or a MIME type and size: never the base64 data), server tools, the
``system`` prompt (a string or text blocks) and tool definitions.  Reads SDK models and dicts.
"""

from __future__ import annotations

from typing import Any

from llm_agent.instrumentation import _content as c
from llm_agent.instrumentation._values import field as _g

_Part = dict[str, Any]


def input_messages(messages: list[Any] | tuple[Any, ...]) -> list[_Part]:
    return [c.message(_g(m, "role"), blocks(_g(m, "content"))) for m in messages]


def system_instructions(system: Any) -> list[_Part]:
    """``system``: a string, or a list of text blocks (cache control and citations dropped)."""
    if type(system) is str:
        return [c.text(system)]
    return blocks(system)


def blocks(content: Any) -> list[_Part]:
    """A message's ``content``: a string or a list of content blocks."""
    if type(content) is str:
        return [c.text(content)]
    if not isinstance(content, (list, tuple)):
        return []
    return [_block(block) for block in content]


def _block(block: Any) -> _Part:
    kind = _g(block, "type")
    if kind == "text":
        return c.text(_g(block, "text"))
    if kind == "tool_use":
        return c.tool_call(_g(block, "id"), _g(block, "name"), _g(block, "input"))
    if kind == "tool_result":
        content = _g(block, "content")
        return c.tool_call_response(
            _g(block, "tool_use_id"), blocks(content) if isinstance(content, (list, tuple)) else content
        )
    if kind == "thinking":
        return c.reasoning(_g(block, "thinking"))
    if kind in ("image", "document"):
        return _media(_g(block, "source"), "image" if kind == "image" else "document")
    if kind == "server_tool_use":
        return {
            "type": "server_tool_call",
            "id": _g(block, "id"),
            "name": _g(block, "name") or "",
            "server_tool_call": {"type": _g(block, "name") or "server_tool"},
        }
    if type(kind) is str and kind.endswith("_tool_result"):
        return {
            "type": "server_tool_call_response",
            "id": _g(block, "tool_use_id"),
            "server_tool_call_response": {"type": kind},
        }
    return c.generic(kind if type(kind) is str else "unknown")  # redacted_thinking, search results...


def _media(source: Any, modality: str) -> _Part:
    kind = _g(source, "type")
    if kind == "url":
        return c.uri(_g(source, "url"), modality)
    if kind == "file":
        return c.file(_g(source, "file_id"), modality)
    if kind == "base64":
        return c.blob(modality, _g(source, "media_type"), c.byte_size(_g(source, "data")))
    if kind == "text":  # a plain-text document: its size, like any other inline document
        data = _g(source, "data")
        return c.blob(modality, _g(source, "media_type"), len(data.encode()) if type(data) is str else None)
    return c.blob(modality, _g(source, "media_type"), None)


def output_message(content: Any, reason: Any) -> _Part:
    return c.output_message("assistant", blocks(content), reason)


def tool_definitions(tools: list[Any] | tuple[Any, ...]) -> list[_Part]:
    out: list[_Part] = []
    for tool in tools:
        kind = _g(tool, "type")
        if kind in (None, "custom"):
            out.append(c.tool_definition(_g(tool, "name"), _g(tool, "description"), _g(tool, "input_schema")))
        else:  # a server or client tool Anthropic defines (web_search_..., bash_...): its type names it
            out.append(c.tool_definition(_g(tool, "name"), kind=kind if type(kind) is str else "tool"))
    return out


__all__ = ["blocks", "input_messages", "output_message", "system_instructions", "tool_definitions"]
