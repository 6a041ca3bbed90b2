"""The span tree of captured records, as nested (name, kind, children) with children in a stable
order (parallel branches finish in any order), and the checks every LangChain test makes."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from llm_agent.backends import SpanRecord

Tree = tuple[str, str | None, tuple[Any, ...]]


def trees(records: list[SpanRecord]) -> list[Tree]:
    """One tree per trace, in the order the traces started; asserts no orphan and no span in
    another trace than its parent's."""
    by_id = {r.span_id: r for r in records}
    children: dict[str | None, list[SpanRecord]] = defaultdict(list)
    for r in records:
        if r.parent_span_id is not None:
            parent = by_id.get(r.parent_span_id)
            assert parent is not None, f"orphan span {r.name!r}"
            assert parent.trace_id == r.trace_id, f"{r.name!r} is in another trace than its parent"
        children[r.parent_span_id].append(r)

    def build(r: SpanRecord) -> Tree:
        kids = sorted((build(c) for c in children[r.span_id]), key=repr)
        return (r.name, r.span_kind, tuple(kids))

    roots = sorted(children[None], key=lambda r: r.start_ns)
    assert len({r.trace_id for r in roots}) == len(roots), "two roots in one trace"
    return [build(r) for r in roots]
