"""The no-double-count rule: which usage spans of a trace count (``spans.usage_counted``).

One model call can be reported by several spans: a framework's LLM span over our SDK span (parent
and child), OpenInference's LangChain LLM span beside the SDK span it covers in time (siblings or
cousins: it does not attach itself to the context), a Vercel AI SDK ``ai.generateText`` over its
``doGenerate`` steps, the OpenAI Agents SDK's generation span over our response span.  Usage counts
once per model call, on the innermost span that reports it (docs/data-model.md, "Usage counts
once"); the outer span keeps its attributes and columns, it is only not summed.

Definitions, over the *usage spans* of one trace (``span_kind`` LLM or EMBEDDING):

* ``known(s)``: ``s`` reports its usage (input or output tokens known).
* ``ancestors(s)``: the parent ids followed upwards while the parent's row is there (the first
  missing parent's id included), at most ``MAX_ANCESTRY_DEPTH`` of them.
* ``covers(o, i)`` (``o`` is outside ``i``, ``i`` a more specific span of the same call), ``o != i``:
  **tree**: ``i`` is a descendant of ``o`` (and ``o`` not of ``i``: on a malformed, cyclic
  parent chain neither covers the other, so both count rather than neither); or
  **time**: ``o`` is not a ``CLIENT`` span (one request on the wire cannot hold another request
  unless that one is its descendant: so two parallel SDK calls never merge), neither is an
  ancestor of the other, they share an ancestor, and ``o``'s interval holds ``i``'s
  (``o.start <= i.start`` and ``i.end <= o.end``; on equal intervals the smaller
  ``(start, -end, span_id)`` is the outer one, so two spans never cover each other by time).
* A known span is **counted** unless it covers a known span.
* A span without known usage is **counted** unless it covers any usage span, or a counted known
  span covers it.  So an outer span whose inner spans all lack usage counts (the call is not
  silently 0), and a step without usage under an outer span that does not count is still one call
  with usage missing.

Two sequential calls under one chain never merge: neither interval holds the other.  Adding spans
to a trace only adds ``covers`` pairs (an ancestry only grows), so the flags of a trace are
recomputed from all its stored spans whenever a batch brings it spans and it has two usage spans.
``analysis/clickhouse/_usage.py`` is the same rule in ClickHouse SQL; the tests hold both to the
same results.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, NamedTuple

#: Longest parent chain followed upwards from a span (a malformed, cyclic chain stops here too).
MAX_ANCESTRY_DEPTH: Final = 64


class UsageSpan(NamedTuple):
    """What the rule reads of one span (any span of the trace: non-usage spans link the tree)."""

    span_id: str
    parent_span_id: str | None
    start_ns: int
    end_ns: int
    client: bool  # OpenTelemetry kind CLIENT
    usage: bool  # span_kind LLM or EMBEDDING
    known: bool  # input or output tokens known


def _ancestors(parent_of: dict[str, str], parent: str | None) -> frozenset[str]:
    chain: list[str] = []
    while parent is not None and len(chain) < MAX_ANCESTRY_DEPTH:
        chain.append(parent)
        parent = parent_of.get(parent)
    return frozenset(chain)


def uncounted(spans: Iterable[UsageSpan]) -> set[str]:
    """The ids of the trace's usage spans that do not count (all other usage spans count)."""
    spans = list(spans)
    usage = [s for s in spans if s.usage]
    if len(usage) < 2:
        return set()
    parent_of = {s.span_id: s.parent_span_id for s in spans if s.parent_span_id is not None}
    # The common trace (the app's own calls under llm_agent.trace()): requests only, none the
    # parent of another span, so nothing covers anything; one pass instead of every pair.
    if all(s.client for s in usage) and {s.span_id for s in usage}.isdisjoint(parent_of.values()):
        return set()
    anc = {s.span_id: _ancestors(parent_of, s.parent_span_id) for s in usage}

    def covers(o: UsageSpan, i: UsageSpan) -> bool:
        if o.span_id == i.span_id:
            return False
        if i.span_id in anc[o.span_id]:  # i is above o (or both on a malformed cyclic chain)
            return False
        if o.span_id in anc[i.span_id]:
            return True
        return (
            not o.client
            and not anc[i.span_id].isdisjoint(anc[o.span_id])
            and o.start_ns <= i.start_ns
            and i.end_ns <= o.end_ns
            and (o.start_ns, -o.end_ns, o.span_id) < (i.start_ns, -i.end_ns, i.span_id)
        )

    known = [s for s in usage if s.known]
    counted_known = [o for o in known if not any(covers(o, i) for i in known)]
    out = {s.span_id for s in known} - {s.span_id for s in counted_known}
    for s in usage:
        if not s.known and (any(covers(s, i) for i in usage) or any(covers(o, s) for o in counted_known)):
            out.add(s.span_id)
    return out
