"""Crafted traces for the no-double-count rule (docs/data-model.md, "Usage counts once per model
call"): one trace per case, each in its own session, with the spans that must count and the
trace's exact figures.  Shared by tests/backends (the SQLite sink) and tests/clickhouse (parity)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opentelemetry.trace import SpanKind

T0 = 1_772_359_200_000_000_000  # 2026-03-01T10:00:00Z
MS = 1_000_000
INTERNAL, CLIENT = SpanKind.INTERNAL, SpanKind.CLIENT
EMBED = "text-embedding-3-small"


@dataclass(frozen=True)
class S:
    """One span of a case: times in ms from the trace's start; ``usage`` (input, output) or None
    (usage missing); ``kind`` the ARMS span kind (None: not a usage span)."""

    name: str
    parent: str | None
    start_ms: int
    end_ms: int
    otel: SpanKind = INTERNAL
    kind: str | None = "LLM"
    usage: tuple[int, int | None] | None = None
    model: str = "gpt-4o"


@dataclass(frozen=True)
class Case:
    name: str
    spans: tuple[S, ...]
    counted: frozenset[str]  # the spans whose usage counts
    # The trace's llm_calls, input, output, usage_missing_calls.
    figures: tuple[int, int, int, int]
    user: str = "u-a"
    index: int = field(default=0, compare=False)


def _root(end_ms: int = 1000) -> S:
    return S("root", None, 0, end_ms, kind="CHAIN")


CASES: tuple[Case, ...] = (
    # A framework's LLM span, the parent of our SDK span.
    Case("parent-child", (
        _root(), S("framework", "root", 100, 900, usage=(100, 50)),
        S("sdk", "framework", 200, 800, CLIENT, usage=(10, 5)),
    ), frozenset({"sdk"}), (1, 10, 5, 0)),
    # OpenInference's LangChain span beside the SDK span under the chain span, covering it in time.
    Case("siblings-in-time", (
        _root(), S("chain", "root", 50, 950, kind="CHAIN"), S("langchain", "chain", 100, 900, usage=(100, 50)),
        S("sdk", "chain", 200, 800, CLIENT, usage=(10, 5)),
    ), frozenset({"sdk"}), (1, 10, 5, 0)),
    # The same, with the SDK span under the root: cousins sharing the root.
    Case("cousins-in-time", (
        _root(), S("chain", "root", 50, 950, kind="CHAIN"), S("langchain", "chain", 100, 900, usage=(100, 50)),
        S("sdk", "root", 200, 800, CLIENT, usage=(10, 5)),
    ), frozenset({"sdk"}), (1, 10, 5, 0)),
    # Two separate framework calls one after the other, each over its SDK call: two calls.
    Case("sequential", (
        _root(), S("chain", "root", 50, 950, kind="CHAIN"),
        S("lc-1", "chain", 100, 400, usage=(100, 50)), S("sdk-1", "chain", 150, 350, CLIENT, usage=(10, 5)),
        S("lc-2", "chain", 500, 900, usage=(200, 60)), S("sdk-2", "chain", 550, 850, CLIENT, usage=(20, 6)),
    ), frozenset({"sdk-1", "sdk-2"}), (2, 30, 11, 0), user="u-b"),
    # Two sequential calls with no inner span: both count.
    Case("sequential-plain", (
        _root(), S("call-1", "root", 100, 400, usage=(10, 5)), S("call-2", "root", 500, 900, usage=(20, 6)),
    ), frozenset({"call-1", "call-2"}), (2, 30, 11, 0), user="u-b"),
    # Two parallel SDK requests, one inside the other's time: requests never hold one another.
    Case("parallel-client", (
        _root(), S("req-1", "root", 100, 900, CLIENT, usage=(10, 5)),
        S("req-2", "root", 200, 300, CLIENT, usage=(20, 6)),
    ), frozenset({"req-1", "req-2"}), (2, 30, 11, 0), user="u-b"),
    # Agents SDK generation > LiteLLM > our SDK span: the innermost counts.
    Case("three-levels", (
        _root(), S("generation", "root", 100, 900, usage=(300, 30)), S("litellm", "generation", 150, 850, CLIENT,
                                                                       usage=(200, 20), model="openai/gpt-4o"),
        S("sdk", "litellm", 200, 800, CLIENT, usage=(10, 5)),
    ), frozenset({"sdk"}), (1, 10, 5, 0)),
    # The inner span lacks usage: the outer one, which reports it, counts (never a silent 0).
    Case("inner-missing", (
        _root(), S("framework", "root", 100, 900, usage=(100, 50)), S("sdk", "framework", 200, 800, CLIENT),
    ), frozenset({"framework"}), (1, 100, 50, 0)),
    # Neither reports usage: the innermost counts, as one call with usage missing.
    Case("both-missing", (
        _root(), S("framework", "root", 100, 900), S("sdk", "framework", 200, 800, CLIENT),
    ), frozenset({"sdk"}), (1, 0, 0, 1), user="u-b"),
    # Vercel AI SDK: ai.generateText (the sum of its steps) over two doGenerate steps.
    Case("vercel-steps", (
        _root(), S("ai.generateText", "root", 100, 900, usage=(30, 11)),
        S("ai.generateText.doGenerate", "ai.generateText", 100, 400, usage=(10, 5)),
        S("ai.generateText.doGenerate#2", "ai.generateText", 500, 900, usage=(20, 6)),
    ), frozenset({"ai.generateText.doGenerate", "ai.generateText.doGenerate#2"}), (2, 30, 11, 0)),
    # One step without usage: the outer span still does not count (a step reports), and the step
    # counts as a call with usage missing rather than vanishing.
    Case("vercel-step-missing", (
        _root(), S("ai.generateText", "root", 100, 900, usage=(30, 11)),
        S("ai.generateText.doGenerate", "ai.generateText", 100, 400, usage=(10, 5)),
        S("ai.generateText.doGenerate#2", "ai.generateText", 500, 900),
    ), frozenset({"ai.generateText.doGenerate", "ai.generateText.doGenerate#2"}), (2, 10, 5, 1), user="u-b"),
    # Embeddings: a framework embedding span over ours.
    Case("embeddings", (
        _root(), S("embed-framework", "root", 100, 900, kind="EMBEDDING", usage=(50, None), model=EMBED),
        S("embed-sdk", "root", 200, 800, CLIENT, kind="EMBEDDING", usage=(8, None), model=EMBED),
    ), frozenset({"embed-sdk"}), (1, 8, 0, 0)),
    # Equal intervals, both framework spans, cousins: exactly one counts (the later span id).
    Case("equal-intervals", (
        _root(), S("chain", "root", 50, 950, kind="CHAIN"), S("span-a", "chain", 100, 900, usage=(10, 5)),
        S("span-b", "root", 100, 900, usage=(10, 5)),
    ), frozenset({"span-b"}), (1, 10, 5, 0), user="u-b"),
)  # fmt: skip
CASES = tuple(Case(c.name, c.spans, c.counted, c.figures, c.user, i) for i, c in enumerate(CASES))


def trace_id(case: Case) -> int:
    return 0x1000 + case.index


def span_id(case: Case, name: str) -> int:
    return (case.index + 1) * 100 + [s.name for s in case.spans].index(name) + 1


def session_id(case: Case) -> str:
    return f"s-{case.name}"


def make_spans(make_span: Any, case: Case) -> list[Any]:
    """The case's spans as finished SDK spans (a trace every 10 s from ``T0``)."""
    start = T0 + case.index * 10_000 * MS
    out = []
    for s in case.spans:
        attrs: dict[str, Any] = {"session.id": session_id(case), "user.id": case.user}
        if s.kind is not None:
            attrs["gen_ai.span.kind"] = s.kind
        if s.kind in ("LLM", "EMBEDDING"):
            attrs["gen_ai.operation.name"] = "chat" if s.kind == "LLM" else "embeddings"
            attrs["gen_ai.request.model"] = s.model
            if s.usage is not None:
                attrs["gen_ai.usage.input_tokens"] = s.usage[0]
                if s.usage[1] is not None:
                    attrs["gen_ai.usage.output_tokens"] = s.usage[1]
        out.append(
            make_span(
                s.name,
                trace_id=trace_id(case),
                span_id=span_id(case, s.name),
                parent_id=span_id(case, s.parent) if s.parent is not None else None,
                start_ns=start + s.start_ms * MS,
                duration_ns=(s.end_ms - s.start_ms) * MS,
                attributes=attrs,
                kind=s.otel,
            )
        )
    return out


def counted_span_hex(case: Case) -> set[str]:
    return {format(span_id(case, n), "016x") for n in case.counted}
