"""Plain-text rendering for the ``llm-agent`` command: tables that fit the terminal, and a trace waterfall.

The CLI's own presentation, over the public analysis results only (``llm_agent.analysis``).
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from llm_agent import semconv
from llm_agent.analysis import SpanNode, TraceTree, Transcript

_ELLIPSIS = "…"
_MIN_COL = 4
_SHRUNK_COL = 10  # a shrunk text column keeps this many characters
#: Characters a terminal acts on instead of showing: C0 controls (ESC starts the sequences that
#: retitle or clear it; a newline or tab breaks a table row), DEL, C1 controls (0x9b is a
#: one-byte CSI) and the bidi controls that reorder what is shown (Trojan Source).
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character shown as its escape (``\\x1b``, ``\\u202e``).

    Session and user IDs, span and model names come from the app and the provider: printed as
    they are, an ``ESC]0;…`` in one would retitle the operator's terminal, ``ESC[2J`` clear it.
    """
    return _CONTROL.sub(_escape, text)


def fmt_value(value: Any) -> str:
    """Human text for one cell: UTC times without microseconds, short floats, joined lists, every
    control character escaped (``visible``)."""
    return visible(_fmt_value(value))


def _fmt_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%SZ")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value == int(value) and abs(value) < 1e15:
            return str(int(value)) if abs(value) >= 100 else f"{value:.1f}"
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value) or "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
    return str(value)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + _ELLIPSIS


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], width: int) -> str:
    """Columns separated by two spaces, numbers right-aligned.  When too wide, text columns shrink
    (with an ellipsis) from the rightmost one to about 10 characters; numbers, times and the first
    column (the ID) keep their width; if that is not enough, trailing columns are dropped."""
    cells = [[fmt_value(v) for v in row] for row in rows]
    numeric = [all(isinstance(r[i], (int, float)) or r[i] is None for r in rows) for i in range(len(headers))]
    fixed = [numeric[i] or all(isinstance(r[i], datetime) for r in rows) for i in range(len(headers))]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    ncols = len(headers)

    def total(n: int) -> int:
        return sum(widths[:n]) + 2 * (n - 1)

    # The first column is the ID people copy into the next command: it never shrinks.
    for i in reversed(range(1, ncols)):
        if total(ncols) <= width:
            break
        if not fixed[i]:
            floor = max(_MIN_COL, len(headers[i]), min(widths[i], _SHRUNK_COL))
            widths[i] = max(floor, widths[i] - (total(ncols) - width))
    while ncols > 1 and total(ncols) > width:
        ncols -= 1

    def line(values: Sequence[str]) -> str:
        parts = []
        for i in range(ncols):
            text = _cut(values[i], widths[i])
            parts.append(text.rjust(widths[i]) if numeric[i] else text.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def key_values(pairs: Sequence[tuple[str, Any]]) -> str:
    """``name: value`` lines, names aligned."""
    pad = max((len(k) for k, _ in pairs), default=0)
    return "\n".join(f"{k.ljust(pad)}  {fmt_value(v)}" for k, v in pairs)


def waterfall(tree: TraceTree, width: int) -> str:
    """One line per span: indented name, a bar placed by its offset and duration, then numbers."""
    total = tree.duration_s or 1e-9
    name_w = min(48, max(len("span"), *(2 * s.depth + len(visible(s.name)) for s in tree.spans)))
    info = [_span_info(s) for s in tree.spans]
    info_w = max((len(t) for t in info), default=0)
    bar_w = max(10, width - name_w - info_w - 4)
    lines = [f"trace {visible(tree.trace_id)}  {fmt_value(tree.start)}  {tree.duration_s:.3f}s"]
    if tree.session_id or tree.user_id:
        lines.append(f"session {fmt_value(tree.session_id)}  user {fmt_value(tree.user_id)}")
    for span, text in zip(tree.spans, info, strict=True):
        label = _cut("  " * span.depth + visible(span.name), name_w).ljust(name_w)
        lines.append(f"{label}  {_bar(span, total, bar_w)}  {text}".rstrip())
    return "\n".join(lines)


def _bar(span: SpanNode, total: float, width: int) -> str:
    begin = min(width - 1, int(span.start_offset_s / total * width))
    length = max(1, round(span.duration_s / total * width))
    length = min(length, width - begin)
    mark = "!" if span.status == "ERROR" else "█"
    return "·" * begin + mark * length + "·" * (width - begin - length)


#: Per span kind, the attribute naming what the span is about (shown unless its name says it already).
_SUBJECTS: Final = {
    semconv.KIND_TOOL: semconv.GEN_AI_TOOL_NAME,
    semconv.KIND_AGENT: semconv.GEN_AI_AGENT_NAME,
    semconv.KIND_RETRIEVER: semconv.GEN_AI_DATA_SOURCE_ID,
}


def step_label(span: SpanNode) -> str:
    """``TOOL search``, ``AGENT bot``, ``RETRIEVER kb 3 docs``, ``LLM``: what kind of step the span is."""
    if not span.span_kind:
        return ""
    parts = [span.span_kind]
    key = _SUBJECTS.get(span.span_kind)
    subject = span.attributes.get(key) if key else None
    if isinstance(subject, str) and subject and subject not in span.name:
        parts.append(subject)
    docs = span.attributes.get(semconv.RETRIEVAL_DOCUMENT_COUNT)
    if docs is not None and str(docs).isdigit():  # ClickHouse rows hold attribute values as strings
        parts.append(f"{int(docs)} doc{'' if int(docs) == 1 else 's'}")
    return visible(" ".join(parts))


def _span_info(span: SpanNode) -> str:
    label = step_label(span)
    parts = [label] if label else []
    parts.append(f"{span.duration_s * 1000:.0f}ms")
    if span.input_tokens is not None or span.output_tokens is not None:
        parts.append(f"{fmt_value(span.input_tokens)}→{fmt_value(span.output_tokens)} tok")
    if span.ttft_s is not None:
        parts.append(f"ttft {span.ttft_s * 1000:.0f}ms")
    if span.status == "ERROR":
        parts.append(f"ERROR {visible(span.error_type or '')}".rstrip())
    return "  ".join(parts)


#: Narrowest text column of the transcript, however narrow the terminal (characters).
_MIN_TEXT_WIDTH: Final = 20


def _block(label: str, text: str, pad: int, width: int) -> list[str]:
    """``label text``, the text wrapped to ``width`` and its further lines indented under its first."""
    head = f"  {label.ljust(pad)} " if label or pad else "  "
    room = max(_MIN_TEXT_WIDTH, width - len(head))
    lines = [part for line in [visible(line) for line in text.splitlines()] or [""]
             for part in (textwrap.wrap(line, room, break_on_hyphens=False) or [""])]  # fmt: skip
    return [(head + lines[0]).rstrip(), *((" " * len(head) + line).rstrip() for line in lines[1:])]


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def transcript(t: Transcript, width: int) -> str:
    """The session as a conversation: per turn the user, each tool call and its result, the answer;
    every text wrapped to ``width`` columns."""
    out = ["Transcript"]
    if not t.content_captured and t.hint:
        out.extend(_block("", t.hint, 0, width))
    pad = len("assistant:")
    for number, turn in enumerate(t.turns, start=1):
        errors = f"  ({turn.errors} error{'s' if turn.errors != 1 else ''})" if turn.errors else ""
        out.append(_cut(f"turn {number}  {fmt_value(turn.name)}  {fmt_value(turn.start)}{errors}", width))
        if turn.user_message is not None:
            out.extend(_block("user:", turn.user_message, pad, width))
        for call in turn.tool_calls:
            args = "…" if call.arguments is None else _compact(call.arguments)
            ident = f"  [{call.call_id}]" if call.call_id else ""
            out.extend(_block("tool:", f"{call.name or '?'}({args}){ident}", pad, width))
            if call.error_type:
                out.extend(_block("", f"-> failed: {call.error_type}", pad, width))
            elif call.result is not None:
                out.extend(_block("", f"-> {_compact(call.result)}", pad, width))
        if turn.answer is not None:
            out.extend(_block("assistant:", turn.answer, pad, width))
    return "\n".join(out)
