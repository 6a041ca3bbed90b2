"""Bedrock's Converse and native (``invoke_model``) shapes -> the conventions' neutral parts.

Converse content blocks (``text``, ``image``/``document``/``video`` by format and size or S3
URI, never the bytes; ``toolUse``/``toolResult``; ``reasoningContent``), ``system`` blocks and
``toolConfig`` tool specs.  Native bodies: Claude's are the Anthropic Messages format (read by
``_anthropic_format``), Nova's are Converse-shaped, the rest carry a prompt string.
"""

from __future__ import annotations

from typing import Any

from llm_agent.instrumentation import _anthropic_format as anthropic
from llm_agent.instrumentation import _content as c

_Part = dict[str, Any]

#: Converse media block keys and their conventions modality.
_MEDIA = (("image", "image"), ("document", "document"), ("video", "video"), ("audio", "audio"))
#: Converse's document ``format`` values that are not their own MIME subtype.
_DOCUMENT_MIME = {
    "pdf": "application/pdf",
    "txt": "text/plain",
    "md": "text/markdown",
    "html": "text/html",
    "csv": "text/csv",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def input_messages(messages: Any) -> list[_Part]:
    """Converse ``messages``, or a native body's (Claude: typed blocks; Nova: Converse blocks)."""
    return [
        c.message(m.get("role") if type(m) is dict else None, blocks(m.get("content") if type(m) is dict else None))
        for m in messages
    ]


def blocks(content: Any) -> list[_Part]:
    if type(content) is str:
        return [c.text(content)]
    if not isinstance(content, (list, tuple)):
        return []
    return [_block(b) if type(b) is dict and "type" not in b else anthropic.blocks([b])[0] for b in content]


def _block(block: dict[str, Any]) -> _Part:
    if type(block.get("text")) is str:
        return c.text(block["text"])
    use = block.get("toolUse")
    if type(use) is dict:
        return c.tool_call(use.get("toolUseId"), use.get("name"), use.get("input"))
    result = block.get("toolResult")
    if type(result) is dict:
        return c.tool_call_response(result.get("toolUseId"), _result(result.get("content")))
    reasoning = block.get("reasoningContent")
    if type(reasoning) is dict:
        text = (reasoning.get("reasoningText") or {}).get("text")
        return c.reasoning(text) if type(text) is str else c.generic("redacted_reasoning")
    for key, modality in _MEDIA:
        media = block.get(key)
        if type(media) is dict:
            return _media(media, modality)
    if type(block.get("json")) is dict:
        return c.generic("json", content=block["json"])
    return c.generic(next(iter(block), "unknown"))  # cachePoint, guardContent...: by their kind


def _result(content: Any) -> Any:
    """A tool result's content blocks (``text``, ``json``, media) as parts."""
    return blocks(content) if isinstance(content, (list, tuple)) else content


def _media(media: dict[str, Any], modality: str) -> _Part:
    fmt = media.get("format")
    mime = None
    if type(fmt) is str:
        mime = _DOCUMENT_MIME.get(fmt, f"{modality}/{fmt}") if modality == "document" else f"{modality}/{fmt}"
    source = media.get("source") or {}
    location = source.get("s3Location") if type(source) is dict else None
    if type(location) is dict:
        return c.uri(location.get("uri"), modality, mime)
    return c.blob(modality, mime, c.byte_size(source.get("bytes")) if type(source) is dict else None)


def system_instructions(system: Any) -> list[_Part]:
    """Converse/Nova ``system`` blocks, or a Claude body's ``system`` (a string or typed blocks)."""
    if type(system) is str:
        return [c.text(system)]
    return blocks(system)


def tool_definitions(tools: Any) -> list[_Part]:
    """Converse ``toolSpec`` entries, or a Claude body's tools."""
    out: list[_Part] = []
    for tool in tools:
        if type(tool) is not dict:
            continue
        spec = tool.get("toolSpec")
        if type(spec) is dict:
            schema = spec.get("inputSchema")
            params = schema.get("json") if type(schema) is dict else None
            out.append(c.tool_definition(spec.get("name"), spec.get("description"), params))
        elif "name" in tool:
            out.extend(anthropic.tool_definitions([tool]))
        else:
            out.append(c.tool_definition(next(iter(tool), "tool"), kind=next(iter(tool), "tool")))
    return out


__all__ = ["blocks", "input_messages", "system_instructions", "tool_definitions"]
