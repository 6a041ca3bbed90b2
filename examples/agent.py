"""A tool-using agent: each turn one tree (agent -> retrieval, LLM calls, tool runs), the session a transcript.

    python examples/agent.py --offline        # against the local server (no API key)
    python examples/agent.py                  # real OpenAI with OPENAI_API_KEY

Then: llm-agent session <the session it prints>    (the transcript)
      llm-agent trace <a trace of it>              (the tree)
"""

from __future__ import annotations

import json
import uuid

from _offline import openai_client, parser

import llm_agent

MODEL = "gpt-4o-mini"
QUESTIONS = ["Where is my order 1042?", "And what's the weather in Lisbon for the delivery?"]
TOOLS = [
    {"type": "function", "function": {"name": "get_order", "description": "Look up an order",
     "parameters": {"type": "object", "properties": {"order_id": {"type": "integer"}}, "required": ["order_id"]}}},
    {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
     "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
]  # fmt: skip
FAQ = [
    {"id": "faq-shipping", "text": "Orders ship within 2 days."},
    {"id": "faq-weather", "text": "We deliver rain or shine."},
]


@llm_agent.retrieval("faq")  # a decorated step: the query and the returned list's length are recorded
def search_faq(query: str) -> list[dict]:
    return [doc for doc in FAQ if any(word in doc["text"].lower() for word in query.lower().split())] or FAQ[:1]


def get_order(order_id: int) -> dict:
    return {"order_id": order_id, "status": "shipped", "eta_days": 2}


def get_weather(city: str) -> dict:
    return {"city": city, "forecast": "light rain", "temp_c": 14}


def run_tool(call) -> dict:
    # The model's call id ties this run to the call in the transcript; arguments and result are
    # recorded only with capture_content.
    with llm_agent.tool(call.function.name, call_id=call.id, arguments=call.function.arguments) as step:
        result = {"get_order": get_order, "get_weather": get_weather}[call.function.name](
            **json.loads(call.function.arguments)
        )
        step.set_result(result)
    return result


def answer(client, history: list[dict], question: str) -> str:
    # Outside any trace, the agent is the root of the turn's trace; everything below is its child.
    with llm_agent.agent("support-agent", description="Answers order questions with tools"):
        passages = search_faq(question)
        history.append({"role": "user", "content": f"{question}\n\nFAQ: {json.dumps(passages)}"})
        for _ in range(3):  # tool round trips, then the answer
            reply = client.chat.completions.create(model=MODEL, messages=history, tools=TOOLS)
            message = reply.choices[0].message
            history.append(message.model_dump(exclude_none=True))
            if not message.tool_calls:
                return message.content or ""
            for call in message.tool_calls:
                result = run_tool(call)
                history.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
        return "(no answer after three tool rounds)"


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    # Content capture on: the transcript shows messages, tool arguments and results.
    llm_agent.init(service_name="agent-example", capture_content=True)
    session_id = f"agent-{uuid.uuid4().hex[:8]}"
    with openai_client(args.offline) as client, llm_agent.session(session_id, user_id="frank"):
        history = [{"role": "system", "content": "You are a support agent. Use the tools."}]
        for question in QUESTIONS:
            print(f"frank> {question}")
            print(f"agent> {answer(client, history, question)[:100]}")
    llm_agent.shutdown()
    print(f"-- session {session_id}; its transcript: llm-agent session {session_id}")


if __name__ == "__main__":
    main()
