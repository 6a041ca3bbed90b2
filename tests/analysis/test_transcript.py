"""``Store.transcript()``: a session as a conversation, from the captured content of its spans."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import agent_scenario

import llm_agent.analysis
from llm_agent.analysis import CAPTURE_HINT, Store, Transcript
from llm_agent.backends import SpanRecord
from llm_agent.backends.sqlite import SQLiteBackend


def expected_transcript(store: Store, seen: list[dict[str, Any]], captured: bool = True) -> dict[str, Any]:
    """The transcript of what the app saw; trace ids, starts and tool span ids from the store."""
    detail = store.session(agent_scenario.SESSION_ID)
    assert detail is not None and len(detail.traces) == len(seen)
    turns = []
    for trace, turn in zip(detail.traces, seen, strict=True):
        tree = store.trace(trace.trace_id)
        assert tree is not None
        tool_spans = [s.span_id for s in tree.spans if s.operation == "execute_tool"]
        calls = [
            {"name": c["name"], "call_id": c["call_id"], "arguments": c["arguments"] if captured else None,
             "result": c["result"] if captured else None, "span_id": span_id, "error_type": None}
            for c, span_id in zip(turn["calls"], tool_spans, strict=True)
        ]  # fmt: skip
        turns.append({"trace_id": trace.trace_id, "name": "invoke_agent support-bot", "start": trace.start.isoformat(),
                      "user_message": turn["question"] if captured else None, "tool_calls": calls,
                      "answer": turn["answer"] if captured else None, "llm_calls": 2, "errors": 0})  # fmt: skip
    return {"session_id": agent_scenario.SESSION_ID, "content_captured": captured, "turns": turns,
            "hint": None if captured else CAPTURE_HINT}  # fmt: skip


def test_a_captured_agent_session_reads_as_the_app_saw_it(tmp_path: Path) -> None:
    db = str(tmp_path / "sink.sqlite")
    seen = agent_scenario.record(db)
    assert [len(turn["calls"]) for turn in seen] == [1, 1]  # the scenario really called a tool each turn
    with llm_agent.analysis.open(db) as store:
        transcript = store.transcript(agent_scenario.SESSION_ID)
        assert isinstance(transcript, Transcript)
        assert transcript.to_dict() == expected_transcript(store, seen)


def test_without_captured_content_it_says_how_to_turn_it_on(tmp_path: Path) -> None:
    db = str(tmp_path / "sink.sqlite")
    seen = agent_scenario.record(db, capture_content=False)
    with llm_agent.analysis.open(db) as store:
        transcript = store.transcript(agent_scenario.SESSION_ID)
        assert transcript is not None
        # the tool names and call ids are no content: they are still shown
        assert transcript.to_dict() == expected_transcript(store, seen, captured=False)
        assert store.transcript("no-such-session") is None


T0_NS = 1_772_000_000_000_000_000


def _record(span_id: int, name: str, start_s: float, attributes: dict[str, Any], **fields: Any) -> SpanRecord:
    return SpanRecord(trace_id=f"{1:032x}", span_id=f"{span_id:016x}", parent_span_id=fields.pop("parent", None),
                      name=name, kind=fields.pop("kind", "CLIENT"), start_ns=T0_NS + int(start_s * 1e9),
                      end_ns=T0_NS + int((start_s + 0.5) * 1e9), status=fields.pop("status", "UNSET"),
                      session_id="old", attributes=attributes, **fields)  # fmt: skip


def test_older_rows_in_the_providers_own_shapes(tmp_path: Path) -> None:
    """Rows stored before the conventions' schema: ``content`` strings and blocks, ``tool_calls``
    with arguments as JSON strings, the tool's answer as a ``tool`` message of the next request."""
    first_in = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Lisbon?"}]
    first_out = [{"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Lisbon"}'}}]}]
    second_in = [*first_in, *first_out, {"role": "tool", "tool_call_id": "call_1", "content": '{"temp_c": 14}'}]
    second_out = [{"role": "assistant", "content": [{"type": "text", "text": "14 degrees and rain."}]}]
    records = [
        _record(1, "turn", 0.0, {}, kind="INTERNAL", span_kind="CHAIN"),
        _record(2, "chat gpt-4o", 1.0, {"gen_ai.input.messages": json.dumps(first_in),
                                        "gen_ai.output.messages": json.dumps(first_out)}, parent=f"{1:016x}",
                span_kind="LLM", operation="chat"),
        _record(3, "chat gpt-4o", 2.0, {"gen_ai.input.messages": json.dumps(second_in),
                                        "gen_ai.output.messages": json.dumps(second_out)}, parent=f"{1:016x}",
                span_kind="LLM", operation="chat"),
    ]  # fmt: skip
    db = str(tmp_path / "old.sqlite")
    backend = SQLiteBackend(db)
    backend.export(records)
    backend.shutdown(5.0)
    with llm_agent.analysis.open(db) as store:
        transcript = store.transcript("old")
    assert transcript is not None
    (turn,) = transcript.turns
    assert (transcript.content_captured, transcript.hint) == (True, None)
    assert turn.to_dict() | {"start": None} == {
        "trace_id": f"{1:032x}", "name": "turn", "start": None, "user_message": "Weather in Lisbon?",
        "tool_calls": [{"name": "get_weather", "call_id": "call_1", "arguments": {"city": "Lisbon"},
                        "result": {"temp_c": 14}, "span_id": None, "error_type": None}],
        "answer": "14 degrees and rain.", "llm_calls": 2, "errors": 0,
    }  # fmt: skip


def test_conventions_shape_failed_tools_and_tools_no_call_asked_for(tmp_path: Path) -> None:
    """The conventions' parts: a tool_call answered by a tool_call_response part (no tool span), a
    tool span that failed, and a tool span no model call asked for; a turn without LLM calls."""
    root = f"{1:016x}"
    first_out = [{"role": "assistant", "finish_reason": "tool_calls", "parts": [
        {"type": "text", "content": "Let me look."},
        {"type": "tool_call", "id": "call_a", "name": "lookup", "arguments": {"q": "x"}},
        {"type": "tool_call", "id": "call_b", "name": "fetch", "arguments": {"url": "u"}}]}]
    second_in = [{"role": "user", "parts": [{"type": "text", "content": "Find x"}]}, *first_out,
                 {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_a", "response": "found x"}]}]
    records = [
        _record(1, "turn", 0.0, {}, kind="INTERNAL", span_kind="CHAIN"),
        _record(2, "chat m", 1.0, {"gen_ai.input.messages": json.dumps(second_in[:1]),
                                   "gen_ai.output.messages": json.dumps(first_out)},
                parent=root, span_kind="LLM", operation="chat"),
        _record(3, "execute_tool fetch", 2.0, {"gen_ai.tool.name": "fetch", "gen_ai.tool.call.id": "call_b"},
                parent=root, kind="INTERNAL", span_kind="TOOL", operation="execute_tool", error_type="TimeoutError",
                status="ERROR"),
        _record(4, "execute_tool audit", 3.0, {"gen_ai.tool.name": "audit", "gen_ai.tool.call.result": '"ok"'},
                parent=root, kind="INTERNAL", span_kind="TOOL", operation="execute_tool"),
        _record(5, "chat m", 4.0, {"gen_ai.input.messages": json.dumps(second_in),
                                   "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [
                                       {"type": "text", "content": "x is "}, {"type": "text", "content": "here"}],
                                       "finish_reason": "stop"}])},
                parent=root, span_kind="LLM", operation="chat"),
    ]  # fmt: skip
    quiet = SpanRecord(trace_id=f"{2:032x}", span_id=f"{9:016x}", parent_span_id=None, name="quiet turn",
                       kind="INTERNAL", start_ns=T0_NS + 10 * 10**9, end_ns=T0_NS + 11 * 10**9, status="UNSET",
                       session_id="conv", span_kind="CHAIN")  # fmt: skip
    records = [dataclasses.replace(r, session_id="conv") for r in records] + [quiet]
    db = str(tmp_path / "conv.sqlite")
    backend = SQLiteBackend(db)
    backend.export(records[::-1])
    backend.shutdown(5.0)
    with llm_agent.analysis.open(db) as store:
        transcript = store.transcript("conv")
    assert transcript is not None
    assert [turn.to_dict() | {"start": None} for turn in transcript.turns] == [
        {"trace_id": f"{1:032x}", "name": "turn", "start": None, "user_message": "Find x",
         "tool_calls": [
             {"name": "lookup", "call_id": "call_a", "arguments": {"q": "x"}, "result": "found x", "span_id": None,
              "error_type": None},
             {"name": "fetch", "call_id": "call_b", "arguments": {"url": "u"}, "result": None,
              "span_id": f"{3:016x}", "error_type": "TimeoutError"},
             {"name": "audit", "call_id": None, "arguments": None, "result": "ok", "span_id": f"{4:016x}",
              "error_type": None}],
         "answer": "x is \nhere", "llm_calls": 2, "errors": 1},
        {"trace_id": f"{2:032x}", "name": "quiet turn", "start": None, "user_message": None, "tool_calls": [],
         "answer": None, "llm_calls": 0, "errors": 0},
    ]  # fmt: skip


def test_a_model_call_seen_by_two_instrumentations_is_one_tool_call(tmp_path: Path) -> None:
    """A framework's LLM span over the SDK's (both with the same content): the call is listed once."""
    out = json.dumps([{"role": "assistant", "finish_reason": "tool_calls",
                       "parts": [{"type": "tool_call", "id": "call_z", "name": "lookup", "arguments": {}}]}])
    inp = json.dumps([{"role": "user", "parts": [{"type": "text", "content": "hi"}]}])
    records = [
        _record(1, "ChatOpenAI", 0.0, {"gen_ai.input.messages": inp, "gen_ai.output.messages": out},
                kind="INTERNAL", span_kind="LLM"),
        _record(2, "chat gpt-4o", 0.1, {"gen_ai.input.messages": inp, "gen_ai.output.messages": out},
                parent=f"{1:016x}", span_kind="LLM", operation="chat"),
    ]  # fmt: skip
    db = str(tmp_path / "twice.sqlite")
    backend = SQLiteBackend(db)
    backend.export([dataclasses.replace(r, session_id="twice") for r in records])
    backend.shutdown(5.0)
    with llm_agent.analysis.open(db) as store:
        transcript = store.transcript("twice")
    assert transcript is not None
    (turn,) = transcript.turns
    assert (turn.user_message, [(c.name, c.call_id) for c in turn.tool_calls], turn.answer) == (
        "hi", [("lookup", "call_z")], None)
