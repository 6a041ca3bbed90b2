"""The helpers for the app's own steps (``llm_agent.tool/agent/retrieval/step``): whole spans in every
function form and on every exit path, nesting, the agent-starts-a-trace rule, content on and off."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

import llm_agent
from llm_agent.backends import SpanRecord
from llm_agent.testing import SpanCapture, capture_spans, deterministic_ids

IDS = {"session.id": "s1", "gen_ai.conversation.id": "s1", "gen_ai.session.id": "s1", "user.id": "u1",
       "gen_ai.user.id": "u1"}  # fmt: skip
TOOL = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search", "gen_ai.tool.type": "function",
        "gen_ai.span.kind": "TOOL"}  # fmt: skip


class Boom(Exception):
    pass


BOOM = f"{Boom.__module__}.Boom"  # error.type: the qualified class name


def view(spans: SpanCapture) -> list[dict[str, Any]]:
    """Every span, in start order: name, kinds, parent's name, status and attributes."""
    records = sorted(spans.records, key=lambda r: (r.start_ns, r.span_id))
    names = {r.span_id: r.name for r in records}
    return [
        {"name": r.name, "kind": r.kind, "span_kind": r.span_kind,
         "parent": names.get(r.parent_span_id, r.parent_span_id), "status": r.status, "error_type": r.error_type,
         "attributes": r.attributes, "events": [e["name"] for e in r.events]}
        for r in records
    ]  # fmt: skip


def span(name: str, attributes: dict[str, Any], *, kind: str = "INTERNAL", span_kind: str | None = "TOOL",
         parent: str | None = None, error: str | None = None) -> dict[str, Any]:  # fmt: skip
    attrs = dict(attributes)
    if error is not None:
        attrs["error.type"] = error
    return {"name": name, "kind": kind, "span_kind": span_kind, "parent": parent,
            "status": "ERROR" if error else "UNSET", "error_type": error, "attributes": attrs,
            "events": ["exception"] if error else []}  # fmt: skip


@pytest.fixture
def spans() -> Iterator[SpanCapture]:
    with capture_spans() as capture, deterministic_ids():
        yield capture


@pytest.fixture
def captured() -> Iterator[SpanCapture]:
    with capture_spans(capture_content=True) as capture, deterministic_ids():
        yield capture


# --- the spans -------------------------------------------------------------------------------------


def test_tool_span_without_content(spans: SpanCapture) -> None:
    with llm_agent.session("s1", user_id="u1"):
        with llm_agent.tool("search", call_id="call_1", description="Find orders", arguments={"q": "x"}) as t:
            t.set_result({"found": 1})
            t.set_arguments({"q": "y"})
    assert view(spans) == [
        span("execute_tool search", {**TOOL, "gen_ai.tool.call.id": "call_1", "gen_ai.tool.description": "Find orders",
                                     **IDS}),
    ]  # fmt: skip


def test_tool_span_with_content_and_a_call_id_set_later(captured: SpanCapture) -> None:
    with llm_agent.tool("search", arguments='{"q": "cats", "limit": 2}') as t:
        t.set_call_id("call_9")
        t.set_result(["tabby", "siamese"])
    assert view(captured) == [
        span("execute_tool search", {**TOOL, "gen_ai.tool.call.arguments": '{"q":"cats","limit":2}',
                                     "gen_ai.tool.call.id": "call_9",
                                     "gen_ai.tool.call.result": '["tabby","siamese"]'}),
    ]  # fmt: skip


def test_tool_content_is_truncated_to_valid_json() -> None:
    with capture_spans(capture_content=True, content_max_chars=60) as spans:
        with llm_agent.tool("search") as t:
            t.set_result({"text": "x" * 500, "id": "keep"})
    result = spans.one().attributes["gen_ai.tool.call.result"]
    # the longest string is cut (ids never), and the object says it is incomplete, as message content does
    expected = {"text": "x" * 8 + "…[truncated]", "id": "keep", "truncated": True}
    assert (len(result), json.loads(result)) == (60, expected)


def test_agent_and_retrieval_and_step_spans(captured: SpanCapture) -> None:
    with llm_agent.agent("support-bot", id="agent_1", description="Answers tickets", version="2"):
        with llm_agent.retrieval("kb", query="refund policy", top_k=3) as r:
            r.set_documents([{"id": "doc_1", "score": 0.9}, {"id": "doc_2", "score": 0.5}])
        with llm_agent.step("rerank", kind="reranker", attributes={"app.k": 2}):
            pass
    agent = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support-bot", "gen_ai.agent.id": "agent_1",
             "gen_ai.agent.description": "Answers tickets", "gen_ai.agent.version": "2", "gen_ai.span.kind": "AGENT"}
    retrieval = {"gen_ai.operation.name": "retrieval", "gen_ai.data_source.id": "kb", "gen_ai.request.top_k": 3,
                 "gen_ai.span.kind": "RETRIEVER", "gen_ai.retrieval.query.text": "refund policy",
                 "gen_ai.retrieval.documents": '[{"id":"doc_1","score":0.9},{"id":"doc_2","score":0.5}]',
                 "llm_agent.retrieval.document_count": 2}  # fmt: skip
    assert view(captured) == [
        span("invoke_agent support-bot", agent, span_kind="AGENT"),
        span("retrieval kb", retrieval, kind="CLIENT", span_kind="RETRIEVER", parent="invoke_agent support-bot"),
        span("rerank", {"app.k": 2, "gen_ai.span.kind": "RERANKER"}, span_kind="RERANKER",
             parent="invoke_agent support-bot"),
    ]  # fmt: skip


def test_retrieval_without_content_keeps_only_the_count(spans: SpanCapture) -> None:
    with llm_agent.retrieval("kb", query="secret question") as r:
        r.set_documents(["a", "b", "c"])
    with llm_agent.retrieval("kb") as r:
        r.set_documents(7)
    attrs = {"gen_ai.operation.name": "retrieval", "gen_ai.data_source.id": "kb", "gen_ai.span.kind": "RETRIEVER"}
    assert view(spans) == [
        span("retrieval kb", {**attrs, "llm_agent.retrieval.document_count": 3}, kind="CLIENT", span_kind="RETRIEVER"),
        span("retrieval kb", {**attrs, "llm_agent.retrieval.document_count": 7}, kind="CLIENT", span_kind="RETRIEVER"),
    ]  # fmt: skip


def test_without_arms_compat_the_kind_is_inferred_from_the_operation() -> None:
    with capture_spans(arms_compat=False) as spans:
        with llm_agent.agent("a"), llm_agent.tool("t"), llm_agent.retrieval("kb"):
            pass
    assert sorted((r.name, r.span_kind, "gen_ai.span.kind" in r.attributes) for r in spans.records) == [
        ("execute_tool t", "TOOL", False), ("invoke_agent a", "AGENT", False), ("retrieval kb", "RETRIEVER", False),
    ]  # fmt: skip


def test_bad_arguments_fail_at_the_call() -> None:
    with pytest.raises(ValueError, match="tool name must be a non-empty string, got ''"):
        llm_agent.tool("")
    with pytest.raises(ValueError, match="agent name must be a non-empty string, got None"):
        llm_agent.agent(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="step kind must be one of"):
        llm_agent.step("x", kind="BANANA")


# --- every function form, every exit path --------------------------------------------------------

SEARCH = "execute_tool search"


def _forms() -> dict[str, Any]:
    """The same tool body as each function form; ``fail`` raises Boom inside the body."""

    @llm_agent.tool("search")
    def sync_fn(q: str, fail: bool = False) -> list[str]:
        if fail:
            raise Boom(q)
        return [q]

    @llm_agent.tool("search")
    async def async_fn(q: str, fail: bool = False) -> list[str]:
        await asyncio.sleep(0)
        if fail:
            raise Boom(q)
        return [q]

    @llm_agent.tool("search")
    def gen_fn(q: str, fail: bool = False) -> Iterator[str]:
        yield q
        if fail:
            raise Boom(q)
        yield q

    @llm_agent.tool("search")
    async def agen_fn(q: str, fail: bool = False) -> Any:
        yield q
        await asyncio.sleep(0)
        if fail:
            raise Boom(q)
        yield q

    return {"sync": sync_fn, "async": async_fn, "gen": gen_fn, "agen": agen_fn}


def _run(form: str, fn: Any, fail: bool) -> Any:
    if form == "sync":
        return fn("x", fail)
    if form == "async":
        return asyncio.run(fn("x", fail))
    if form == "gen":
        return list(fn("x", fail))

    async def consume() -> list[str]:
        return [item async for item in fn("x", fail)]

    return asyncio.run(consume())


@pytest.mark.parametrize("form", ["sync", "async", "gen", "agen"])
def test_decorated_forms_complete_with_arguments_and_result(form: str, captured: SpanCapture) -> None:
    assert _run(form, _forms()[form], False) == (["x"] if form in ("sync", "async") else ["x", "x"])
    attrs = {**TOOL, "gen_ai.tool.call.arguments": '{"q":"x","fail":false}'}
    if form in ("sync", "async"):  # a generator's items are not one result
        attrs["gen_ai.tool.call.result"] = '["x"]'
    assert view(captured) == [span(SEARCH, attrs)]


@pytest.mark.parametrize("form", ["sync", "async", "gen", "agen"])
def test_decorated_forms_record_the_exception_and_raise_it_unchanged(form: str, spans: SpanCapture) -> None:
    with pytest.raises(Boom) as info:
        _run(form, _forms()[form], True)
    assert info.value.args == ("x",) and info.type is Boom
    assert view(spans) == [span(SEARCH, TOOL, error=BOOM)]


@pytest.mark.parametrize("how", ["with", "async with"])
def test_context_manager_forms(how: str, spans: SpanCapture) -> None:
    error = Boom("inside")

    async def body() -> None:
        async with llm_agent.tool("search"):
            raise error

    with pytest.raises(Boom) as info:
        if how == "with":
            with llm_agent.tool("search"):
                raise error
        else:
            asyncio.run(body())
    assert info.value is error
    assert view(spans) == [span(SEARCH, TOOL, error=BOOM)]


def test_generator_closed_early_ends_once_without_error(spans: SpanCapture) -> None:
    gen = _forms()["gen"]
    for _item in gen("x"):
        break  # the loop drops the generator: closed by the interpreter
    g = gen("x")
    next(g)
    g.close()
    g = gen("x")
    next(g)
    del g
    gc.collect()  # abandoned mid-way: closed when collected
    assert view(spans) == [span(SEARCH, TOOL)] * 3


def test_generator_throw_reaches_the_body_and_fails_the_span(spans: SpanCapture) -> None:
    g = _forms()["gen"]("x")
    next(g)
    with pytest.raises(Boom):
        g.throw(Boom("from the consumer"))
    assert view(spans) == [span(SEARCH, TOOL, error=BOOM)]


def test_async_generator_aclose_and_break_end_once(spans: SpanCapture) -> None:
    agen = _forms()["agen"]

    async def main() -> None:
        a = agen("x")
        await a.__anext__()
        await a.aclose()
        async for _item in agen("x"):
            break
        b = agen("x")
        await b.__anext__()
        del b  # abandoned: the loop's async-generator hooks close it (a task of its own)
        gc.collect()
        for _ in range(3):
            await asyncio.sleep(0)

    asyncio.run(main())
    gc.collect()
    assert view(spans) == [span(SEARCH, TOOL)] * 3


def test_a_generator_span_is_current_only_while_the_body_runs(spans: SpanCapture) -> None:
    from opentelemetry import trace

    @llm_agent.tool("search")
    def gen() -> Iterator[str]:
        yield trace.get_current_span().get_span_context().span_id and "inside"

    seen = []
    for item in gen():
        seen.append((item, trace.get_current_span().is_recording()))
    assert seen == [("inside", False)]


def test_a_retrieval_counts_what_the_function_returns_or_yields(captured: SpanCapture) -> None:
    @llm_agent.retrieval("kb")
    def search(index: str, query: str) -> list[dict[str, str]]:
        return [{"id": "1"}, {"id": "2"}]

    @llm_agent.retrieval("kb")
    def stream(text: str) -> Iterator[str]:
        yield from ("a", "b", "c")

    search("main", query="cats")
    assert list(stream("dogs")) == ["a", "b", "c"]
    attrs = {"gen_ai.operation.name": "retrieval", "gen_ai.data_source.id": "kb", "gen_ai.span.kind": "RETRIEVER"}
    assert view(captured) == [
        span("retrieval kb", {**attrs, "gen_ai.retrieval.query.text": "cats",
                              "gen_ai.retrieval.documents": '[{"id":"1"},{"id":"2"}]',
                              "llm_agent.retrieval.document_count": 2}, kind="CLIENT", span_kind="RETRIEVER"),
        span("retrieval kb", {**attrs, "gen_ai.retrieval.query.text": "dogs", "llm_agent.retrieval.document_count": 3},
             kind="CLIENT", span_kind="RETRIEVER"),
    ]  # fmt: skip


def test_methods_decorated_leave_self_out(captured: SpanCapture) -> None:
    class Tools:
        @llm_agent.tool("search")
        def search(self, q: str) -> str:
            return q.upper()

    assert Tools().search("a") == "A"
    assert view(captured) == [
        span(SEARCH, {**TOOL, "gen_ai.tool.call.arguments": '{"q":"a"}', "gen_ai.tool.call.result": '"A"'})
    ]


def test_return_values_are_the_same_objects(spans: SpanCapture) -> None:
    marker = object()

    @llm_agent.agent("a")
    def run() -> object:
        return marker

    assert run() is marker


# --- nesting and traces -----------------------------------------------------------------------------


@pytest.fixture
def client() -> Iterator[openai.OpenAI]:
    from llm_agent._demo.server import DemoServer

    with DemoServer(latency_scale=0.0, seed=7) as server:
        yield openai.OpenAI(base_url=server.base_url, api_key="test_openai_api_key", max_retries=0)


def _tree(spans: SpanCapture) -> list[tuple[str, str | None, str | None, bool]]:
    """(name, kind, parent name, same trace as the first span) in start order."""
    records: list[SpanRecord] = sorted(spans.records, key=lambda r: (r.start_ns, r.span_id))
    names = {r.span_id: r.name for r in records}
    return [(r.name, r.span_kind, names.get(r.parent_span_id), r.trace_id == records[0].trace_id) for r in records]


def test_agent_outside_a_trace_is_the_root_of_one_tree(spans: SpanCapture, client: openai.OpenAI) -> None:
    with llm_agent.session("s1", user_id="u1"), llm_agent.agent("support-bot"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        with llm_agent.tool("search"):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "sub"}])
    assert _tree(spans) == [
        ("invoke_agent support-bot", "AGENT", None, True),
        ("chat gpt-4o", "LLM", "invoke_agent support-bot", True),
        ("execute_tool search", "TOOL", "invoke_agent support-bot", True),
        ("chat gpt-4o-mini", "LLM", "execute_tool search", True),
    ]
    assert {r.session_id for r in spans.records} == {"s1"} and {r.user_id for r in spans.records} == {"u1"}


def test_inside_a_trace_the_steps_nest_under_it(spans: SpanCapture) -> None:
    with llm_agent.trace("turn 1"), llm_agent.agent("bot"), llm_agent.tool("search"):
        pass
    assert _tree(spans) == [
        ("turn 1", "CHAIN", None, True),
        ("invoke_agent bot", "AGENT", "turn 1", True),
        ("execute_tool search", "TOOL", "invoke_agent bot", True),
    ]


def test_a_tool_outside_any_trace_is_a_trace_of_its_own(spans: SpanCapture) -> None:
    with llm_agent.tool("search"):
        pass
    with llm_agent.tool("search"):
        pass
    first, second = spans.records
    assert (first.parent_span_id, second.parent_span_id, first.trace_id != second.trace_id) == (None, None, True)


def test_the_agents_trace_is_named_after_it_in_the_sink(tmp_path: Any) -> None:
    db = str(tmp_path / "sink.sqlite")
    llm_agent.init(backends=["sqlite"], sink_path=db, schedule_delay_s=0.05)
    with llm_agent.session("s1"), llm_agent.agent("bot"), llm_agent.tool("search"):
        pass
    llm_agent.shutdown()
    with llm_agent.analysis.open(db) as store:
        detail = store.session("s1")
    assert detail is not None
    assert [(t.name, t.spans, t.llm_calls) for t in detail.traces] == [("invoke_agent bot", 2, 0)]


# --- without a running agent --------------------------------------------------------------------------


def test_without_init_the_helpers_are_no_ops() -> None:
    @llm_agent.tool("search")
    def search(q: str) -> str:
        return q

    with llm_agent.agent("bot"), llm_agent.retrieval("kb") as r:
        r.set_documents(["a"])
        assert search("x") == "x"
    with pytest.raises(Boom), llm_agent.tool("t"):
        raise Boom()


def test_after_shutdown_nothing_is_recorded_and_nothing_fails() -> None:
    with capture_spans() as spans:
        with llm_agent.tool("before"):
            pass
        names = [r.name for r in spans.records]
    with llm_agent.tool("after") as t:
        t.set_result("ignored")
    assert names == ["execute_tool before"]


def test_the_latest_conventions_name_the_retrievals_top_k_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    with capture_spans() as spans, llm_agent.retrieval("kb", top_k=5):
        pass
    attrs = spans.one().attributes
    assert (attrs.get("gen_ai.retrieval.top_k"), "gen_ai.request.top_k" in attrs) == (5, False)


def test_step_content_stays_on_the_span_whatever_the_content_mode() -> None:
    # the conventions define an event only for inference content: a tool's stays on its span
    with capture_spans(capture_content=True, content_mode="event") as spans:
        with llm_agent.tool("search", arguments={"q": 1}) as t:
            t.set_result(2)
    record = spans.one()
    assert (record.attributes["gen_ai.tool.call.arguments"], record.attributes["gen_ai.tool.call.result"]) == (
        '{"q":1}', "2")
    assert record.events == ()
