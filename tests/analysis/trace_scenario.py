"""The Trace Explorer's sink: the shared analysis scenario plus traces outside every session.

``trace_records()`` is ``analysis_scenario.scenario_records()`` (six sessions) and four sessionless
traces an app makes without ``llm_agent.session``: a bare call, an agent turn with tool spans (one
tool failing), a rate-limited call, and a retrieval step.  ``reference_rows()`` recomputes every
trace's ``TraceSummary`` from the records in plain Python (the rollup's documented definitions),
so the tests compare the stores against numbers that do not come from either store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from analysis_scenario import PRICES, T0_NS, S, scenario_records

from llm_agent.analysis import TraceSummary, _time
from llm_agent.analysis._cost import usd
from llm_agent.backends._types import SpanRecord


def _id(n: int, width: int) -> str:
    return f"{0xE000 + n:0{width}x}"


def _span(trace: int, span: int, parent: int | None, name: str, start_s: float, end_s: float, **kw: Any) -> SpanRecord:
    return SpanRecord(
        trace_id=_id(trace, 32), span_id=_id(span, 16), parent_span_id=None if parent is None else _id(parent, 16),
        name=name, kind=kw.pop("kind", "INTERNAL"), start_ns=T0_NS + int(start_s * S), end_ns=T0_NS + int(end_s * S),
        status=kw.pop("status", "UNSET"), **kw,
    )  # fmt: skip


def _llm(trace: int, span: int, parent: int | None, model: str, start_s: float, end_s: float, **kw: Any) -> SpanRecord:
    return _span(
        trace, span, parent, f"chat {model}", start_s, end_s, kind="CLIENT", span_kind="LLM", operation="chat",
        provider="openai", request_model=model, model=model, **kw,
    )  # fmt: skip


def extra_records() -> list[SpanRecord]:
    """Four traces without a session (one has a user): what an app records before it uses sessions."""
    tool = {"kind": "INTERNAL", "span_kind": "TOOL", "operation": "execute_tool"}
    return [
        # 1: a bare call, no session, no user
        _llm(1, 1, None, "gpt-4o", 1000, 1001.5, input_tokens=40, output_tokens=20, service_name="bare-app"),
        # 2: an agent turn: LLM asks for tools, two tools run (one fails), LLM answers; user erin
        _span(2, 10, None, "invoke_agent support-bot", 2000, 2009, span_kind="AGENT", user_id="erin",
              operation="invoke_agent", service_name="agent-app"),
        _llm(2, 11, 10, "gpt-4o-mini", 2000.1, 2002, input_tokens=300, output_tokens=30, cache_read_tokens=100,
             user_id="erin", ttft_s=0.4),
        _span(2, 12, 10, "execute_tool search_orders", 2002.1, 2003, user_id="erin", **tool,
              attributes={"gen_ai.tool.name": "search_orders"}),
        _span(2, 13, 10, "execute_tool refund", 2003.1, 2003.5, user_id="erin", status="ERROR", error_type="ValueError",
              **tool, attributes={"gen_ai.tool.name": "refund"}),
        _llm(2, 14, 10, "gpt-4o", 2003.6, 2009, input_tokens=500, output_tokens=80, reasoning_tokens=20,
             user_id="erin"),
        # 3: a rate-limited call (usage unknown)
        _llm(3, 20, None, "gpt-4o", 3000, 3000.2, status="ERROR", error_type="openai.RateLimitError",
             usage_missing=True),
        # 4: a retrieval step before an embeddings call
        _span(4, 30, None, "retrieve kb", 4000, 4004, span_kind="RETRIEVER"),
        _span(4, 31, 30, "embeddings text-embedding-3-small", 4000.5, 4001, kind="CLIENT", span_kind="EMBEDDING",
              operation="embeddings", request_model="text-embedding-3-small", model="text-embedding-3-small",
              input_tokens=12),
    ]  # fmt: skip


SESSIONLESS_IDS = [_id(n, 32) for n in (1, 2, 3, 4)]


def trace_records() -> list[SpanRecord]:
    return scenario_records() + extra_records()


def build_trace_sink(path: str) -> None:
    from llm_agent._cost import load
    from llm_agent.backends.sqlite import SQLiteBackend

    records = trace_records()
    backend = SQLiteBackend(path, prices=load(PRICES))
    try:
        half = len(records) // 2  # two batches in reverse order, as the scenario does
        backend.export(records[half:])
        backend.export(records[:half])
    finally:
        backend.shutdown(5.0)


def reference_rows(records: list[SpanRecord] | None = None) -> dict[str, TraceSummary]:
    """Every trace's summary, computed from the records (not from a store); each call priced as
    the sink prices it (the scenario's declared prices over the table: tests/cost check the prices)."""
    from llm_agent._cost import Pricer, load
    from llm_agent.backends._sqlite_cost import to_nusd

    pricer = Pricer(load(PRICES))

    def cost_nusd(s: SpanRecord) -> int | None:
        if s.input_tokens is None:
            return None
        cost, _, _ = pricer.price(
            s.provider, s.response_model, s.request_model, s.operation, s.start_ns,
            s.input_tokens, s.output_tokens, s.cache_read_tokens, s.cache_creation_tokens, s.reasoning_tokens,
        )  # fmt: skip
        return None if cost is None else to_nusd(cost)

    by_trace: dict[str, list[SpanRecord]] = {}
    for r in records if records is not None else trace_records():
        by_trace.setdefault(r.trace_id, []).append(r)
    out = {}
    for trace_id, spans in by_trace.items():
        spans.sort(key=lambda s: (s.start_ns, s.span_id))
        usage = [s for s in spans if s.span_kind in ("LLM", "EMBEDDING")]
        root = min(spans, key=lambda s: (s.parent_span_id is not None, s.start_ns, s.span_id))
        start, end = spans[0].start_ns, max(s.end_ns for s in spans)
        tin = sum(s.input_tokens or 0 for s in usage)
        tout = sum(s.output_tokens or 0 for s in usage)
        costs = [c for c in map(cost_nusd, usage) if c is not None]
        out[trace_id] = TraceSummary(
            trace_id=trace_id,
            session_id=next((s.session_id for s in spans if s.session_id is not None), None),
            user_id=next((s.user_id for s in spans if s.user_id is not None), None),
            name=root.name,
            start=_time.ns_to_datetime(start),
            end=_time.ns_to_datetime(end),
            duration_s=(end - start) / 1e9,
            spans=len(spans),
            llm_calls=len(usage),
            input_tokens=tin,
            output_tokens=tout,
            total_tokens=tin + tout,
            usage_missing_calls=sum(1 for s in usage if s.usage_missing),
            errors=sum(1 for s in spans if s.status == "ERROR"),
            models=tuple(sorted({s.model for s in spans if s.model is not None})),
            ttft_s=next((s.ttft_s for s in usage if s.ttft_s is not None), None),
            cost_usd=usd(sum(costs), len(costs)),
            unpriced_calls=len(usage) - len(costs),
            cache_read_tokens=sum(s.cache_read_tokens or 0 for s in usage),
            reasoning_tokens=sum(s.reasoning_tokens or 0 for s in usage),
            service_name=root.service_name,
            tool_names=tuple(
                sorted({s.attributes["gen_ai.tool.name"] for s in spans if s.span_kind == "TOOL" and s.attributes})
            ),
        )
    return out


def span_facts(records: list[SpanRecord] | None = None) -> dict[str, dict[str, set[str]]]:
    """Per trace: the error types, tool names and span kinds of its spans (the span tests' sets)."""
    out: dict[str, dict[str, set[str]]] = {}
    for r in records if records is not None else trace_records():
        facts = out.setdefault(r.trace_id, {"error_type": set(), "tool": set(), "kind": set()})
        if r.error_type:
            facts["error_type"].add(r.error_type)
        if r.span_kind:
            facts["kind"].add(r.span_kind)
        if r.span_kind == "TOOL" and r.attributes.get("gen_ai.tool.name"):
            facts["tool"].add(r.attributes["gen_ai.tool.name"])
    return out


@pytest.fixture(scope="session")
def trace_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = str(tmp_path_factory.mktemp("trace-sink") / "sink.sqlite")
    build_trace_sink(path)
    yield path
