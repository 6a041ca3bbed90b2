"""A ReAct agent (LangGraph's ``create_react_agent`` and LangChain's ``create_agent``) with two
tools the model calls at once (two ``tools`` tasks in parallel, LangGraph's ``Send`` fan-out on
its thread pool), three turns of one session: the whole tree of every turn, the tool call ids,
the SDK span under the chat-model run, and the session, user and model rollups of a real SQLite
sink."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import llm_agent
import llm_agent.analysis
from llm_agent.testing import capture_spans, check_internal_errors
from tests.langchain import _agents
from tests.langchain._scripted import ANSWER_TOKENS, MODEL, TOOL_CALL_TOKENS, ScriptedServer
from tests.langchain._tree import trees

pytestmark = pytest.mark.filterwarnings("ignore:create_react_agent has been moved")

TURNS = 3
SESSION, USER = "lc-session", "alice"

_CHAT = f"chat {MODEL}"
_TOOLS = (
    ("tools", "CHAIN", (("execute_tool get_weather", "TOOL", ()),)),
    ("tools", "CHAIN", (("execute_tool search_orders", "TOOL", ()),)),
)


def expected_turn(constructor: str, nested: bool, chat: str = _CHAT) -> tuple[Any, ...]:
    """One turn's tree: the model is called twice (tool calls, then the answer), both tools run
    at once; the chat-model run's span has the provider SDK's span below it when llm_agent
    instruments that SDK."""
    llm = (chat, "LLM", ((chat, "LLM", ()),) if nested else ())
    if constructor == "create_react_agent":
        node = (
            "agent",
            "CHAIN",
            (
                ("RunnableSequence", "CHAIN", (("Prompt", "CHAIN", ()), llm)),
                ("call_model", "CHAIN", ()),
                ("should_continue", "CHAIN", ()),
            ),
        )
    else:
        node = ("model", "CHAIN", (llm,))
    return ("invoke_agent LangGraph", "AGENT", (node, node, *_TOOLS))


def run_turns(agent: Any, turns: int = TURNS) -> None:
    messages: list[Any] = []
    with llm_agent.session(SESSION, user_id=USER):
        for n in range(1, turns + 1):
            messages = agent.invoke({"messages": [*messages, ("user", f"question {n}")]})["messages"]


def _openai_model(server: ScriptedServer) -> Any:
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model=MODEL, base_url=server.base_url, api_key="test", stream_usage=True, max_retries=0)


@pytest.fixture(scope="module", params=sorted(_agents.CONSTRUCTORS))
def openai_run(request: Any, tmp_path_factory: Any) -> dict[str, Any]:
    """The three turns once per constructor: the records, the server's requests and the sink's rollups."""
    sink = Path(tmp_path_factory.mktemp("lc")) / "sink.sqlite"
    with ScriptedServer() as server:
        with capture_spans(backends=["sqlite"], sink_path=str(sink), capture_content=True) as cap:
            run_turns(_agents.CONSTRUCTORS[request.param](_openai_model(server)))
            records = cap.records
        check_internal_errors()
        requests = list(server.requests)
    store = llm_agent.analysis.open(sink)
    try:
        rollups = {
            "sessions": [s.to_dict() for s in store.sessions()],
            "users": [u.to_dict() for u in store.users()],
            "models": [m.to_dict() for m in store.models()],
        }
    finally:
        store.close()
    return {"constructor": request.param, "records": records, "requests": requests, "rollups": rollups}


def test_every_turn_is_one_whole_tree(openai_run: dict[str, Any]) -> None:
    records = openai_run["records"]
    assert trees(records) == [expected_turn(openai_run["constructor"], nested=True)] * TURNS
    # every span carries the session and user, whichever thread of the graph started it
    assert {(r.session_id, r.user_id) for r in records} == {(SESSION, USER)}
    assert len(openai_run["requests"]) == 2 * TURNS


def test_tool_spans_carry_the_models_call_ids(openai_run: dict[str, Any]) -> None:
    tools = sorted(
        (r.name, r.attributes["gen_ai.tool.call.id"], r.attributes["gen_ai.tool.type"])
        for r in openai_run["records"]
        if r.span_kind == "TOOL"
    )
    expected = [("execute_tool get_weather", f"call_w{n}", "function") for n in range(1, TURNS + 1)] + [
        ("execute_tool search_orders", f"call_o{n}", "function") for n in range(1, TURNS + 1)
    ]
    assert tools == sorted(expected)


def test_chat_model_span_has_model_provider_and_usage(openai_run: dict[str, Any]) -> None:
    by_id = {r.span_id: r for r in openai_run["records"]}
    chats = [r for r in openai_run["records"] if r.name == _CHAT]
    inner = [r for r in chats if by_id[r.parent_span_id or ""].span_kind == "LLM"]  # the SDK's, below LangChain's
    outer = [r for r in chats if r not in inner]
    assert len(outer) == len(inner) == 2 * TURNS
    usages = sorted((r.input_tokens, r.output_tokens) for r in outer)
    assert usages == sorted((r.input_tokens, r.output_tokens) for r in inner)  # the same model calls
    expected = sorted(
        (10 * len(req["messages"]), TOOL_CALL_TOKENS if req["messages"][-1]["role"] == "user" else ANSWER_TOKENS)
        for req in openai_run["requests"]
    )
    assert usages == expected
    first = min(outer, key=lambda r: r.start_ns)
    assert (first.operation, first.provider, first.request_model, first.response_model) == (
        "chat",
        "openai",
        MODEL,
        f"{MODEL}-2024-07-18",
    )
    assert first.finish_reasons == ("tool_calls",)


def test_rollups_count_each_model_call_once(openai_run: dict[str, Any]) -> None:
    # The usage rule at ingest: the LangChain chat span and the OpenAI SDK span below it are one
    # model call, counted once (on the innermost span).
    requests = openai_run["requests"]
    inputs = sum(10 * len(r["messages"]) for r in requests)
    outputs = TURNS * (TOOL_CALL_TOKENS + ANSWER_TOKENS)
    (session,) = openai_run["rollups"]["sessions"]
    assert (session["session_id"], session["user_id"], session["traces"]) == (SESSION, USER, TURNS)
    assert (session["input_tokens"], session["output_tokens"], session["total_tokens"]) == (
        inputs,
        outputs,
        inputs + outputs,
    )
    (user,) = openai_run["rollups"]["users"]
    assert (user["user_id"], user["sessions"], user["traces"], user["input_tokens"], user["output_tokens"]) == (
        USER,
        1,
        TURNS,
        inputs,
        outputs,
    )
    (model,) = openai_run["rollups"]["models"]
    assert (model["model"], model["requests"], model["input_tokens"], model["output_tokens"]) == (
        MODEL,
        2 * TURNS,
        inputs,
        outputs,
    )


# --- a provider llm_agent does not instrument: the tokens LangChain reports ------------------------------


@pytest.mark.parametrize("constructor", sorted(_agents.CONSTRUCTORS))
def test_fake_chat_model_yields_the_usage_langchain_reports(constructor: str, tmp_path: Path) -> None:
    sink = tmp_path / "sink.sqlite"
    with capture_spans(backends=["sqlite"], sink_path=str(sink)) as cap:
        run_turns(_agents.CONSTRUCTORS[constructor](_agents.fake_model(TURNS)))
        records = cap.records
    fake_chat = "chat"  # the fake reports no model name: the span is named by its operation
    assert trees(records) == [expected_turn(constructor, nested=False, chat=fake_chat)] * TURNS
    llms = [r for r in records if r.span_kind == "LLM"]
    assert {(r.provider, r.input_tokens, r.output_tokens) for r in llms} == {
        ("toolcallingfake", _agents.FAKE_INPUT_TOKENS, _agents.FAKE_OUTPUT_TOKENS)
    }
    calls = 2 * TURNS
    with llm_agent.analysis.open(sink) as store:
        (session,) = store.sessions()
        (user,) = store.users()
    assert (session.session_id, session.traces, session.llm_calls, session.input_tokens, session.output_tokens) == (
        SESSION,
        TURNS,
        calls,
        calls * _agents.FAKE_INPUT_TOKENS,
        calls * _agents.FAKE_OUTPUT_TOKENS,
    )
    assert (user.user_id, user.sessions, user.llm_calls, user.input_tokens, user.output_tokens) == (
        USER,
        1,
        calls,
        calls * _agents.FAKE_INPUT_TOKENS,
        calls * _agents.FAKE_OUTPUT_TOKENS,
    )
