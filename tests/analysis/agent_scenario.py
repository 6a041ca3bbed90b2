"""An agent session recorded for real: the openai SDK against the demo's local server, each turn an
``llm_agent.agent()`` with a retrieval, a tool call run under ``llm_agent.tool()`` and the answer after it.

Used by the transcript tests of the analysis, the CLI, the web page and ClickHouse parity: it
returns what the app itself saw (questions, tool calls, results, answers), which is what the
transcript must show.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

import openai

import llm_agent

SESSION_ID: Final = "agent-s1"
USER_ID: Final = "alice"
QUESTIONS: Final = ("Where is my parcel?", "And what is the weather in Lisbon?")
TOOLS: Final = [
    {"type": "function", "function": {"name": "search_orders", "description": "Find a customer's orders",
     "parameters": {"type": "object", "properties": {"customer": {"type": "string"}}, "required": ["customer"]}}},
]  # fmt: skip


def tool_result(arguments: dict[str, Any]) -> dict[str, Any]:
    return {"orders": [{"id": 1042, "status": "shipped"}], "customer": arguments.get("customer")}


def run(
    client: openai.OpenAI, questions: Sequence[str] = QUESTIONS, session_id: str = SESSION_ID
) -> list[dict[str, Any]]:
    """Record the session; per turn what the app saw: question, tool calls (id, name, arguments,
    result) and answer."""
    history: list[dict[str, Any]] = [{"role": "system", "content": "You are the help desk."}]
    seen = []
    with llm_agent.session(session_id, user_id=USER_ID):
        for question in questions:
            with llm_agent.agent("support-bot", id="bot-1"):
                history.append({"role": "user", "content": question})
                with llm_agent.retrieval("kb", query=question) as r:
                    r.set_documents([{"id": "faq-7", "score": 0.82}, {"id": "faq-2", "score": 0.41}])
                reply = client.chat.completions.create(model="gpt-4o", messages=history, tools=TOOLS,
                                                       tool_choice="required")  # fmt: skip
                message = reply.choices[0].message
                history.append(message.model_dump(exclude_none=True))
                calls = []
                for call in message.tool_calls or ():
                    arguments = json.loads(call.function.arguments)
                    with llm_agent.tool(call.function.name, call_id=call.id, arguments=call.function.arguments) as t:
                        result = tool_result(arguments)
                        t.set_result(result)
                    history.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
                    calls.append({"name": call.function.name, "call_id": call.id, "arguments": arguments,
                                  "result": result})  # fmt: skip
                final = client.chat.completions.create(model="gpt-4o", messages=history, tools=TOOLS)
                answer = final.choices[0].message.content
                history.append({"role": "assistant", "content": answer})
            seen.append({"question": question, "calls": calls, "answer": answer})
    return seen


def record(sink_path: str, capture_content: bool = True, backends: Sequence[Any] = ("sqlite",),
           session_id: str = SESSION_ID) -> list[dict[str, Any]]:  # fmt: skip
    """``run()`` under a fresh ``init()`` writing ``sink_path``, against a fresh local server."""
    from llm_agent._demo.server import DemoServer

    llm_agent.shutdown()
    llm_agent.init(backends=list(backends), sink_path=sink_path, instrument=["openai"], schedule_delay_s=0.05,
                   capture_content=capture_content)  # fmt: skip
    try:
        with DemoServer(latency_scale=0.0, seed=11) as server:
            client = openai.OpenAI(base_url=server.base_url, api_key="test_openai_api_key", max_retries=0)
            seen = run(client, session_id=session_id)
        assert llm_agent.flush(10.0)
    finally:
        llm_agent.shutdown()
    return seen
