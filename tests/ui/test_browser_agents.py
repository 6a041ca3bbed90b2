"""The page over a real agent session (tests/analysis/agent_scenario.py): the waterfall shows the
agent → retrieval / LLM / tool tree with each step's kind, and the session page the transcript."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from test_browser import By, click_and_wait, find, find_all, no_page_errors, open_page, screenshot

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "analysis"))
agent_scenario: Any = importlib.import_module("agent_scenario")

PLAIN_SESSION = "agent-plain"


@pytest.fixture(scope="module")
def agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A sink holding the agent session twice: with captured content, and without (PLAIN_SESSION)."""
    import llm_agent.analysis
    from llm_agent import ui

    db = str(tmp_path_factory.mktemp("ui-agents") / "sink.sqlite")
    seen = agent_scenario.record(db)
    agent_scenario.record(db, capture_content=False, session_id=PLAIN_SESSION)
    with ui.make_server(db=db, port=0).start() as server, contextlib.closing(llm_agent.analysis.open(db)) as store:
        yield {"server": server, "store": store, "seen": seen}


def test_the_transcript_endpoint_is_the_analysis_result(agents: dict[str, Any]) -> None:
    from test_ui_server import get_json

    store, server = agents["store"], agents["server"]
    for session_id in (agent_scenario.SESSION_ID, PLAIN_SESSION):
        assert get_json(server, f"/api/transcript/{session_id}") == (200, store.transcript(session_id).to_dict())
    assert get_json(server, "/api/transcript/nope") == (
        404, {"error": "no session 'nope' in this sink", "kind": "unknown_session"}
    )  # fmt: skip


def _text(element: Any, testid: str) -> list[str]:
    return [e.text for e in element.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]')]


def test_the_waterfall_shows_the_agent_tree(browser: Any, agents: dict[str, Any], artifacts: str) -> None:
    store, server = agents["store"], agents["server"]
    trace_id = store.session(agent_scenario.SESSION_ID).traces[0].trace_id
    tree = store.trace(trace_id)
    open_page(browser, server, f"#/trace/{trace_id}")
    rows = find_all(browser, "span-row")
    shown = [(int(r.get_attribute("data-depth")), _text(r, "span-name")[0], _text(r, "span-step")) for r in rows]
    assert shown == [
        (0, "invoke_agent support-bot", ["AGENT"]),
        (1, "retrieval kb", ["RETRIEVER 2 docs"]),
        (1, "chat gpt-4o", ["LLM"]),
        (1, "execute_tool search_orders", ["TOOL"]),
        (1, "chat gpt-4o", ["LLM"]),
    ]
    assert [r.get_attribute("data-span-id") for r in rows] == [s.span_id for s in tree.spans]
    # The tool's details: what it is, which call it answered, and its captured arguments and result.
    rows[3].click()
    box = find(browser, "span-overview")
    overview = dict(zip([e.text for e in box.find_elements(By.CSS_SELECTOR, "dt")],
                        [e.text for e in box.find_elements(By.CSS_SELECTOR, "dd")], strict=True))  # fmt: skip
    (call,) = agents["seen"][0]["calls"]
    assert (overview["Kind"], overview["Tool"], overview["Tool call ID"]) == ("TOOL (INTERNAL)", "search_orders",
                                                                               call["call_id"])  # fmt: skip
    arguments = find(browser, "content-gen_ai.tool.call.arguments").text.split("\n", 1)[1]
    result = find(browser, "content-gen_ai.tool.call.result").text.split("\n", 1)[1]
    assert (json.loads(arguments), json.loads(result)) == (call["arguments"], call["result"])
    rows[1].click()
    box = find(browser, "span-overview")
    overview = dict(zip([e.text for e in box.find_elements(By.CSS_SELECTOR, "dt")],
                        [e.text for e in box.find_elements(By.CSS_SELECTOR, "dd")], strict=True))  # fmt: skip
    assert (overview["Data source"], overview["Documents"]) == ("kb", "2")
    screenshot(browser, artifacts, "trace-agent")
    assert no_page_errors(browser) == []


def test_the_session_page_shows_the_transcript(browser: Any, agents: dict[str, Any], artifacts: str) -> None:
    store, server, seen = agents["store"], agents["server"], agents["seen"]
    open_page(browser, server, f"#/session/{agent_scenario.SESSION_ID}")
    card = find(browser, "transcript")
    assert find_all(browser, "transcript-not-captured") == []
    turns = card.find_elements(By.CSS_SELECTOR, '[data-testid="transcript-turn"]')
    detail = store.session(agent_scenario.SESSION_ID)
    assert [t.get_attribute("data-trace-id") for t in turns] == [t.trace_id for t in detail.traces]
    shown = [
        {"user": _text(t, "transcript-user"), "args": _text(t, "transcript-tool-args"),
         "results": _text(t, "transcript-tool-result"), "answer": _text(t, "transcript-answer")}
        for t in turns
    ]  # fmt: skip
    expected = [
        {"user": [f"USER\n{turn['question']}"],
         "args": [f"→ {c['name']}({json.dumps(c['arguments'], separators=(',', ':'))})" for c in turn["calls"]],
         "results": [f"← {json.dumps(c['result'], separators=(',', ':'))}" for c in turn["calls"]],
         "answer": [f"ASSISTANT\n{turn['answer']}"]}
        for turn in seen
    ]  # fmt: skip
    assert shown == expected
    screenshot(browser, artifacts, "session-transcript")
    # A turn's link opens its trace.
    click_and_wait(browser, turns[1].find_element(By.CSS_SELECTOR, "a.link"))
    assert find(browser, "trace-title").text == detail.traces[1].trace_id
    assert no_page_errors(browser) == []


def test_without_content_the_page_says_how_to_capture_it(browser: Any, agents: dict[str, Any]) -> None:
    from llm_agent.analysis import CAPTURE_HINT

    open_page(browser, agents["server"], f"#/session/{PLAIN_SESSION}")
    assert find(browser, "transcript-not-captured").text == CAPTURE_HINT
    turns = find_all(browser, "transcript-turn")
    assert [(_text(t, "transcript-user"), _text(t, "transcript-tool-args"), _text(t, "transcript-answer"))
            for t in turns] == [([], ["→ search_orders(…)"], [])] * 2  # fmt: skip
