"""The no-double-count rule in ClickHouse SQL: ``usage_counted`` per span, as the SQLite sink stores it.

The rule and its terms are defined once, in ``llm_agent/backends/_usage_rule.py`` (and
docs/data-model.md); this is the same computation over a trace's arrays: per trace with two usage
spans or more, the usage spans' ids, parents, times, kinds and known-usage flags are grouped into
arrays, each one's ancestry is followed through a map of the trace's parent links (at most
``MAX_ANCESTRY_DEPTH`` deep, as there), and the ids that do not count come back as one array per
trace, joined to the spans.  Only constants are spliced into these texts.
"""

from __future__ import annotations

from typing import Final

from llm_agent.backends._usage_rule import MAX_ANCESTRY_DEPTH


def _covers(o: str, i: str) -> str:
    """SQL for ``covers(o, i)`` over the per-trace arrays, ``o`` and ``i`` being 1-based indexes."""
    return (
        f"({o} != {i} AND NOT has(u_anc[{o}], u_id[{i}]) AND (has(u_anc[{i}], u_id[{o}]) OR (NOT u_client[{o}]"
        f" AND hasAny(u_anc[{i}], u_anc[{o}]) AND u_start[{o}] <= u_start[{i}] AND u_end[{i}] <= u_end[{o}]"
        f" AND (u_start[{o}], -u_end[{o}], u_id[{o}]) < (u_start[{i}], -u_end[{i}], u_id[{i}]))))"
    )


# Ancestors: the parent, then while the last one has a parent link, that one (``arrayFold`` over a
# fixed range: ClickHouse has no loops; an ended chain stays as it is).
_ANCESTRY: Final = (
    "arrayMap(p -> arrayFold((acc, x) -> if(mapContains(links, acc[-1]), arrayPushBack(acc, links[acc[-1]]), acc), "
    f"range({MAX_ANCESTRY_DEPTH - 1}), p), u_par)"
)
_KNOWN_SHADOWED: Final = f"arrayMap(o -> u_known[o] AND arrayExists(i -> u_known[i] AND {_covers('o', 'i')}, idx), idx)"
_COUNTED: Final = (
    "arrayMap(j -> if(u_known[j], NOT known_shadowed[j], "
    f"NOT arrayExists(i -> {_covers('j', 'i')}, idx) AND "
    f"NOT arrayExists(o -> u_known[o] AND NOT known_shadowed[o] AND {_covers('o', 'j')}, idx)), idx)"
)


def uncounted_sql(spans: str) -> str:
    """``trace_id, uncounted_ids``: per trace of ``spans`` (typed span rows, whole traces) with two
    usage spans or more, the usage spans that do not count."""
    usage = "ifNull(is_usage, 0)"
    return f"""SELECT trace_id, arrayFilter((id, c) -> NOT c, u_id, {_COUNTED}) AS uncounted_ids
FROM (SELECT trace_id, u_id, u_client, u_known, u_start, u_end, u_anc, idx, {_KNOWN_SHADOWED} AS known_shadowed
FROM (SELECT trace_id, u_id, u_client, u_known, u_start, u_end, arrayEnumerate(u_id) AS idx, {_ANCESTRY} AS u_anc
FROM (SELECT trace_id,
  mapFromArrays(groupArrayIf(span_id, parent_span_id IS NOT NULL),
    groupArrayIf(assumeNotNull(parent_span_id), parent_span_id IS NOT NULL)) AS links,
  groupArrayIf(span_id, {usage}) AS u_id,
  groupArrayIf(if(parent_span_id IS NULL, emptyArrayString(), [assumeNotNull(parent_span_id)]), {usage}) AS u_par,
  groupArrayIf(start_ns, {usage}) AS u_start, groupArrayIf(end_ns, {usage}) AS u_end,
  groupArrayIf(kind = 'CLIENT', {usage}) AS u_client,
  groupArrayIf(input_tokens IS NOT NULL OR output_tokens IS NOT NULL, {usage}) AS u_known
FROM ({spans}) GROUP BY trace_id HAVING countIf({usage}) >= 2)))"""


def counted_spans_sql(spans: str, whole_traces: str) -> str:
    """``spans`` (typed span rows) with ``usage_counted``, decided over ``whole_traces`` (typed span
    rows of every span of the traces ``spans`` has spans of)."""
    return f"""SELECT *, ifNull(is_usage, 0) AND NOT has(uncounted_ids, span_id) AS usage_counted
FROM ({spans}) AS counted_spans LEFT JOIN ({uncounted_sql(whole_traces)}) AS counted_rule USING (trace_id)"""
