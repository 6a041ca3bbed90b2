"""Plain-text rendering for the ``llm-agent`` command: tables that fit the terminal, and a trace waterfall.

The CLI's own presentation, over the public analysis results only (``llm_agent.analysis``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from llm_agent.analysis import SpanNode, TraceTree

_ELLIPSIS = "…"
_MIN_COL = 4
_SHRUNK_COL = 10  # a shrunk text column keeps this many characters


def fmt_value(value: Any) -> str:
    """Human text for one cell: UTC times without microseconds, short floats, joined lists."""
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
    name_w = min(48, max(len("span"), *(2 * s.depth + len(s.name) for s in tree.spans)))
    info = [_span_info(s) for s in tree.spans]
    info_w = max((len(t) for t in info), default=0)
    bar_w = max(10, width - name_w - info_w - 4)
    lines = [f"trace {tree.trace_id}  {fmt_value(tree.start)}  {tree.duration_s:.3f}s"]
    if tree.session_id or tree.user_id:
        lines.append(f"session {tree.session_id or '-'}  user {tree.user_id or '-'}")
    for span, text in zip(tree.spans, info, strict=True):
        label = _cut("  " * span.depth + span.name, name_w).ljust(name_w)
        lines.append(f"{label}  {_bar(span, total, bar_w)}  {text}".rstrip())
    return "\n".join(lines)


def _bar(span: SpanNode, total: float, width: int) -> str:
    begin = min(width - 1, int(span.start_offset_s / total * width))
    length = max(1, round(span.duration_s / total * width))
    length = min(length, width - begin)
    mark = "!" if span.status == "ERROR" else "█"
    return "·" * begin + mark * length + "·" * (width - begin - length)


def _span_info(span: SpanNode) -> str:
    parts = [f"{span.duration_s * 1000:.0f}ms"]
    if span.input_tokens is not None or span.output_tokens is not None:
        parts.append(f"{fmt_value(span.input_tokens)}→{fmt_value(span.output_tokens)} tok")
    if span.ttft_s is not None:
        parts.append(f"ttft {span.ttft_s * 1000:.0f}ms")
    if span.status == "ERROR":
        parts.append(f"ERROR {span.error_type or ''}".rstrip())
    return "  ".join(parts)
