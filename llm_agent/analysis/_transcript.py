"""A session as a transcript: each turn's user message, the tool calls with their arguments and
results, and the final answer, read from the captured content of the turn's spans.

Built once over ``Store.session()`` and ``Store.trace()`` results, so every store (SQLite,
ClickHouse) gives the same transcript.  Reads the content as llm_agent writes it — the GenAI
conventions' messages (``{role, parts}``, ``instrumentation/_content.py``) on LLM spans, the
``gen_ai.tool.call.*`` attributes on ``execute_tool`` spans — and the shape older sinks hold (the
providers' own ``{role, content, tool_calls}`` messages, arguments as JSON strings).

Per turn (trace), in start order: the user message is the last ``user`` message of the turn's first
LLM call's input (that input is the whole history so far); the tool calls are the calls the LLM
outputs asked for, paired by id with the tool spans that ran them (else by name, in order) and with
the ``tool`` messages that answered them in later inputs; a tool span no call asked for is a call of
its own; the answer is the text of the last LLM call's output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from llm_agent import semconv
from llm_agent.analysis._types import SessionDetail, SpanNode, TraceTree, _Result

#: What to do when a session has no captured content (the transcript says it instead of the texts).
CAPTURE_HINT: Final = (
    "Content was not captured. Start the app with llm_agent.init(capture_content=True) or "
    "LLM_AGENT_CAPTURE_CONTENT=1 to record messages, tool arguments and results."
)
#: Attributes whose presence means content was captured for a span.
_CONTENT_KEYS: Final = (
    semconv.GEN_AI_INPUT_MESSAGES,
    semconv.GEN_AI_OUTPUT_MESSAGES,
    semconv.GEN_AI_TOOL_CALL_ARGUMENTS,
    semconv.GEN_AI_TOOL_CALL_RESULT,
)
_LLM_KINDS: Final = frozenset({semconv.KIND_LLM})


@dataclass(frozen=True, slots=True)
class TranscriptToolCall(_Result):
    """One tool call of a turn: what the model asked for and what the tool returned."""

    name: str | None
    call_id: str | None
    arguments: Any  # parsed JSON when it was JSON; None when not captured
    result: Any
    #: The ``execute_tool`` span that ran it (None when only the model's messages name it).
    span_id: str | None = None
    error_type: str | None = None


@dataclass(frozen=True, slots=True)
class TranscriptTurn(_Result):
    """One turn (trace): the user's message, the tool calls, the answer."""

    trace_id: str
    name: str | None
    start: datetime
    user_message: str | None
    tool_calls: tuple[TranscriptToolCall, ...]
    answer: str | None
    llm_calls: int
    errors: int


@dataclass(frozen=True, slots=True)
class Transcript(_Result):
    """A session as a conversation.  ``content_captured`` is False when no span of it holds captured
    content; ``hint`` then says how to turn capture on (the turns still list tools and errors)."""

    session_id: str
    content_captured: bool
    turns: tuple[TranscriptTurn, ...]
    hint: str | None = None


def build(detail: SessionDetail, trees: list[TraceTree | None]) -> Transcript:
    """The transcript of a session from its detail and the trees of its traces (same order)."""
    turns = []
    captured = False
    for summary, tree in zip(detail.traces, trees, strict=True):
        spans = tree.spans if tree is not None else ()
        captured = captured or any(key in s.attributes for s in spans for key in _CONTENT_KEYS)
        turns.append(_turn(summary.trace_id, summary.name, summary.start, summary.errors, spans))
    return Transcript(detail.summary.session_id, captured, tuple(turns), None if captured else CAPTURE_HINT)


def _turn(trace_id: str, name: str | None, start: datetime, errors: int, spans: tuple[SpanNode, ...]) -> TranscriptTurn:
    ordered = sorted(spans, key=lambda s: (s.start_offset_s, s.depth))
    llm = [s for s in ordered if s.span_kind in _LLM_KINDS or semconv.GEN_AI_OUTPUT_MESSAGES in s.attributes]
    calls: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    responses: dict[str, Any] = {}
    for span in llm:
        for message in _messages(span.attributes.get(semconv.GEN_AI_INPUT_MESSAGES)):
            for call_id, response in _tool_responses(message):
                responses.setdefault(call_id, response)
        for message in _messages(span.attributes.get(semconv.GEN_AI_OUTPUT_MESSAGES)):
            for call_id, tool_name, arguments in _tool_calls(message):
                if call_id and call_id in by_id:
                    continue  # the same call seen twice: a framework's LLM span over the SDK's (issue 20)
                call = {"name": tool_name, "call_id": call_id, "arguments": arguments, "result": None,
                        "span_id": None, "error_type": None}  # fmt: skip
                calls.append(call)
                if call_id:
                    by_id[call_id] = call
    by_span = {s.span_id: s for s in ordered}
    for span in ordered:
        if not _is_tool(span):
            continue
        attrs = span.attributes
        call_id = _str(attrs.get(semconv.GEN_AI_TOOL_CALL_ID))
        tool_name = _str(attrs.get(semconv.GEN_AI_TOOL_NAME)) or span.name
        parent = by_span.get(span.parent_span_id or "")
        if (
            parent is not None
            and _is_tool(parent)
            and _str(parent.attributes.get(semconv.GEN_AI_TOOL_NAME)) == tool_name
        ):
            continue  # the same call seen from its other side: an MCP server's span under the client's (docs/mcp.md)
        call = by_id.get(call_id) if call_id else None
        if call is None or call["span_id"] is not None:
            call = next((c for c in calls if c["span_id"] is None and c["name"] == tool_name
                         and (not call_id or not c["call_id"] or c["call_id"] == call_id)), None)  # fmt: skip
        if call is None:
            call = {"name": tool_name, "call_id": call_id, "arguments": None, "result": None, "span_id": None,
                    "error_type": None}  # fmt: skip
            calls.append(call)
        call["span_id"] = span.span_id
        call["error_type"] = span.error_type
        call["call_id"] = call["call_id"] or call_id
        if semconv.GEN_AI_TOOL_CALL_ARGUMENTS in attrs and call["arguments"] is None:
            call["arguments"] = _json(attrs[semconv.GEN_AI_TOOL_CALL_ARGUMENTS])
        if semconv.GEN_AI_TOOL_CALL_RESULT in attrs:
            call["result"] = _json(attrs[semconv.GEN_AI_TOOL_CALL_RESULT])
    for call in calls:
        if call["result"] is None and call["call_id"] in responses:
            call["result"] = responses[call["call_id"]]
    user = None
    if llm:
        users = [m for m in _messages(llm[0].attributes.get(semconv.GEN_AI_INPUT_MESSAGES)) if m.get("role") == "user"]
        user = _text(users[-1]) if users else None
    answer = None
    if llm:
        outputs = _messages(llm[-1].attributes.get(semconv.GEN_AI_OUTPUT_MESSAGES))
        texts = [t for t in (_text(m) for m in outputs) if t]
        answer = "\n".join(texts) if texts else None
    return TranscriptTurn(
        trace_id, name, start, user, tuple(TranscriptToolCall(**c) for c in calls), answer, len(llm), errors
    )


# --- reading the stored content ----------------------------------------------------------------------


def _is_tool(span: SpanNode) -> bool:
    return span.operation == semconv.OP_EXECUTE_TOOL or span.span_kind == semconv.KIND_TOOL


def _json(value: Any) -> Any:
    """A stored content attribute: JSON text parsed (a string that is not JSON as it is)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _messages(value: Any) -> list[dict[str, Any]]:
    parsed = _json(value) if value is not None else None
    if not isinstance(parsed, list):
        return []
    return [m for m in parsed if isinstance(m, dict)]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _part_text(part: Any) -> str | None:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return None
    kind = part.get("type")
    if kind in ("text", None) and isinstance(part.get("content"), str):
        return str(part["content"])
    if kind in ("text", "output_text", "input_text", None) and isinstance(part.get("text"), str):
        return str(part["text"])  # the providers' own content blocks (older rows)
    return None


def _text(message: dict[str, Any]) -> str | None:
    """The message's text: its text parts (conventions) or its ``content`` (older rows), joined."""
    parts = message.get("parts")
    if isinstance(parts, list):
        items = parts
    else:
        content = message.get("content")
        items = content if isinstance(content, list) else [content]
    texts = [t for t in (_part_text(p) for p in items) if t]
    return "\n".join(texts) if texts else None


def _tool_calls(message: dict[str, Any]) -> list[tuple[str | None, str | None, Any]]:
    """(id, name, arguments) of every tool call the message asks for, in either shape."""
    out: list[tuple[str | None, str | None, Any]] = []
    parts = message.get("parts")
    if isinstance(parts, list):
        for part in parts:
            if isinstance(part, dict) and part.get("type") == "tool_call":
                out.append((_str(part.get("id")), _str(part.get("name")), part.get("arguments")))
    for call in message.get("tool_calls") or ():  # older rows: the providers' own shape
        if isinstance(call, dict):
            fn = call.get("function") if isinstance(call.get("function"), dict) else call
            out.append((_str(call.get("id")), _str(fn.get("name")), _json(fn.get("arguments"))))
    return out


def _tool_responses(message: dict[str, Any]) -> list[tuple[str, Any]]:
    """(call id, response) of every tool result the message carries, in either shape."""
    out: list[tuple[str, Any]] = []
    parts = message.get("parts")
    if isinstance(parts, list):
        for part in parts:
            if isinstance(part, dict) and part.get("type") == "tool_call_response" and _str(part.get("id")):
                out.append((part["id"], _json(part.get("response"))))
    elif message.get("role") == "tool" and _str(message.get("tool_call_id")):
        out.append((message["tool_call_id"], _json(message.get("content"))))
    return out


__all__ = ["CAPTURE_HINT", "Transcript", "TranscriptToolCall", "TranscriptTurn", "build"]
