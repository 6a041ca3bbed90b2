"""A small MCP server for the MCP tests, run as its own process with llm_agent initialised.

``python tests/mcp/mcp_server.py`` serves over stdio; ``... http PORT`` over streamable HTTP on
127.0.0.1:PORT.  llm_agent is configured from the environment the test passes (the sink path,
content capture); ``DEMO_BASE_URL`` is a local OpenAI-compatible server the ``lookup`` tool asks,
so an LLM call made inside a tool is recorded too.  ``MCP_TEST_INIT=0`` leaves initialising to
``llm-agent-instrument`` (zero code).  Works with the ``mcp`` 1.x line (FastMCP)
and 2.x (MCPServer).
"""

from __future__ import annotations

import os
import sys

import llm_agent

if os.environ.get("MCP_TEST_INIT", "1") == "1":  # "0": started by llm-agent-instrument, no code of ours
    llm_agent.init(service_name="mcp-test-server")

import openai

try:  # mcp 2.x
    from mcp.server.mcpserver import MCPServer as Server
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import FastMCP as Server

HTTP = len(sys.argv) > 2 and sys.argv[1] == "http"
PORT = int(sys.argv[2]) if HTTP else 0
server = Server("orders", host="127.0.0.1", port=PORT) if HTTP and "fastmcp" in Server.__module__ else Server("orders")


@server.tool()
def lookup(order_id: str) -> str:
    """Look an order up (asks the model for a one-line status)."""
    client = openai.OpenAI(base_url=os.environ["DEMO_BASE_URL"], api_key="test_openai_api_key")
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"status of order {order_id}"}], max_tokens=16
    )
    return f"order {order_id}: {reply.choices[0].message.content}"


@server.tool()
def fail(reason: str) -> str:
    """Always fails."""
    raise ValueError(f"cannot do that: {reason}")


@server.tool()
def flush() -> str:
    """Flush llm_agent's spans so far (the test reads the sink while the server still runs)."""
    return "flushed" if llm_agent.flush(timeout_s=10.0) else "timeout"


@server.resource("orders://recent")
def recent() -> str:
    return "order 42, order 43"


@server.prompt()
def summarise(topic: str) -> str:
    return f"Summarise {topic} in one line."


if __name__ == "__main__":
    try:
        if not HTTP:
            server.run()
        elif "fastmcp" in Server.__module__:
            server.run(transport="streamable-http")
        else:
            server.run("streamable-http", host="127.0.0.1", port=PORT)
    finally:
        llm_agent.shutdown(timeout_s=10.0)
