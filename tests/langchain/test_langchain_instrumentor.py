"""The instrumentor: found by init(), idempotent, reversible, and next to the app's own handlers
(a LangSmith tracer keeps getting its runs)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import BaseCallbackHandler, CallbackManager
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.tracers.base import BaseTracer

import llm_agent
from llm_agent.instrumentation import get_instrumentor
from llm_agent.testing import capture_spans
from tests.langchain._tree import trees


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.events: list[str] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.events.append("start")

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.events.append("end")


def _ours(manager: CallbackManager) -> list[Any]:
    handler = get_instrumentor("langchain").handler  # type: ignore[attr-defined]
    return [h for h in manager.inheritable_handlers if h is handler]


def _model() -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(content="hi")] * 3))


def test_init_instruments_and_the_app_handlers_stay() -> None:
    recorder = Recorder()
    with capture_spans() as cap:
        assert get_instrumentor("langchain").is_instrumented
        _model().invoke("hello", config={"callbacks": [recorder]})
        (span,) = cap.records
        assert (span.name, span.span_kind, span.kind) == ("chat", "LLM", "CLIENT")
    assert recorder.events == ["start", "end"]


def test_instrument_twice_adds_one_handler_and_uninstrument_stops_spans() -> None:
    with capture_spans() as cap:
        llm_agent.instrument("langchain")
        llm_agent.instrument("langchain")
        assert len(_ours(CallbackManager(handlers=[]))) == 1
        llm_agent.uninstrument("langchain")
        assert _ours(CallbackManager(handlers=[])) == []
        _model().invoke("hello")
        assert cap.records == []
        llm_agent.instrument("langchain")
        _model().invoke("hello")
        assert [r.name for r in cap.records] == ["chat"]


def test_a_tracer_on_langchains_tracer_base_keeps_its_runs() -> None:
    # LangSmith's tracer is a BaseTracer: the runs it persists are the same with ours beside it.
    class Tracer(BaseTracer):
        def __init__(self) -> None:
            super().__init__()
            self.persisted: list[tuple[str, int]] = []

        def _persist_run(self, run: Any) -> None:
            self.persisted.append((run.name, len(run.child_runs)))

    tracer = Tracer()
    chain = RunnableLambda(lambda text: text.upper(), name="upper") | _model()
    with capture_spans() as cap:
        chain.invoke("hello", config={"callbacks": [tracer]})
        assert [t for t in trees(cap.records)] == [
            ("RunnableSequence", "CHAIN", (("chat", "LLM", ()), ("upper", "CHAIN", ())))
        ]
    assert tracer.persisted == [("RunnableSequence", 2)]


def test_the_apps_kind_marks_the_run_not_its_children() -> None:
    # LangChain hands a run's metadata down to every child run: only the marked run is the AGENT.
    chain = RunnableLambda(lambda text: text.upper(), name="upper") | _model()
    with capture_spans() as cap:
        chain.invoke("hello", config={"metadata": {"gen_ai.span.kind": "AGENT"}, "run_name": "support"})
        assert trees(cap.records) == [
            ("invoke_agent support", "AGENT", (("chat", "LLM", ()), ("upper", "CHAIN", ())))
        ]


def test_a_helper_inside_a_tool_nests_under_the_tool_run() -> None:
    from langchain_core.tools import tool

    @tool
    def lookup(query: str) -> str:
        """Looks it up."""
        with llm_agent.retrieval("kb") as r:
            r.set_documents(2)
        return "found"

    with capture_spans() as cap:
        assert lookup.invoke({"query": "refunds"}) == "found"
        assert trees(cap.records) == [("execute_tool lookup", "TOOL", (("retrieval kb", "RETRIEVER", ()),))]
        # and the app's context is its own again after the run
        with llm_agent.trace("after"):
            pass
        assert cap.one("after").parent_span_id is None
