"""A pydantic-ai agent run in-process under ``llm_agent.init()`` against the local server:

    python pydantic_ai_run.py SINK_PATH

pydantic-ai emits its own GenAI spans (agent run, model requests, tools) through the global
tracer provider, which ``llm_agent.init()`` set up; llm_agent's OpenAI instrumentation adds its
span for each HTTP call below them.  No wrapper of ours is involved for pydantic-ai.
"""

from __future__ import annotations

import sys


def main(sink: str) -> None:
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    import llm_agent
    from llm_agent._demo.server import DemoServer

    llm_agent.init(backends=["sqlite"], sink_path=sink, instrument=["openai"], service_name="pydantic-agent")
    with DemoServer(latency_scale=0.0, seed=1) as server:  # seed 1: the model calls the tool once
        model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(base_url=server.base_url, api_key="demo"))
        Agent.instrument_all()  # pydantic-ai's own OpenTelemetry spans, on the global provider
        agent = Agent(model, name="support_agent")

        @agent.tool_plain
        def lookup_order(order_id: str) -> str:
            """Look an order up by its ID."""
            return f"order {order_id} shipped"

        with llm_agent.session("pa-sess", user_id="pa-user"):
            agent.run_sync("Where is my order 42? Use the tool.")
    llm_agent.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])
