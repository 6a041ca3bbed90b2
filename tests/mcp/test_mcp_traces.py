"""A tool run by an MCP server in another process joins the caller's trace: the real ``mcp`` SDK,
a real server process running llm_agent (tests/mcp/mcp_server.py), over stdio and over
streamable HTTP on loopback, both processes writing one SQLite sink that the test reads back
through ``llm_agent.analysis``.

The same expectations hold on the 1.x line (where we inject and extract the context) and the
2.x line (which traces itself, and whose spans we adopt): test_mcp_1x.py re-runs this file there.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp.client.session")  # not "mcp": without the SDK, tests/mcp is a namespace package of that name

import llm_agent
from llm_agent._demo.server import DemoServer
from tests.mcp import mcp_helpers as h

IDS = {
    "session.id": h.SESSION,
    "gen_ai.conversation.id": h.SESSION,
    "gen_ai.session.id": h.SESSION,
    "user.id": "alice",
    "gen_ai.user.id": "alice",
}
STDIO = {"network.transport": "pipe"}
HTTP_CLIENT = {"network.transport": "tcp", "network.protocol.name": "http", "server.address": "127.0.0.1"}
HTTP_SERVER = {"network.transport": "tcp", "network.protocol.name": "http"}


def _run(
    tmp_path: Path, transport: str, capture: bool, launcher: bool = False, python: str = sys.executable
) -> tuple[Path, dict[str, Any], str | None]:
    sink = tmp_path / "sink.sqlite"
    llm_agent.init(service_name="mcp-client", backends=["sqlite"], sink_path=str(sink), capture_content=capture)
    url: str | None = None

    async def main(demo: DemoServer) -> dict[str, Any]:
        nonlocal url
        env = h.server_env(sink, demo, capture)
        if transport == "stdio":
            async with h.stdio_session(env, launcher, python) as session:
                return await h.one_turn(session)
        with h.http_server(env) as url:
            async with h.http_session(url) as session:
                return await h.one_turn(session)

    with DemoServer(latency_scale=0.0) as demo:
        results = asyncio.run(main(demo))
    assert llm_agent.flush(timeout_s=10.0)
    return sink, results, url


def _expected(client_net: dict[str, Any], server_net: dict[str, Any], capture: bool, answer: str) -> list[Any]:
    def mcp(method: str, **attrs: Any) -> dict[str, Any]:
        kind = "TOOL" if method == "tools/call" else "CHAIN"
        return {"mcp.method.name": method, "gen_ai.span.kind": kind, **IDS, **attrs}

    def tool(name: str, arguments: dict[str, Any], **attrs: Any) -> dict[str, Any]:
        content = {"gen_ai.tool.call.arguments": json.dumps(arguments, separators=(",", ":"))} if capture else {}
        return mcp("tools/call", **{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name}, **content,
                   **attrs)  # fmt: skip

    body = {"content": [{"type": "text", "text": answer}], "structuredContent": {"result": answer}}
    result = {"gen_ai.tool.call.result": body} if capture else {}
    failed = {"error.type": "tool_error"}
    lookup = tool("lookup", {"order_id": "42"})
    fail = tool("fail", {"reason": "no stock"}, **failed)
    resource = {"mcp.resource.uri": "orders://recent"}
    prompt = {"gen_ai.prompt.name": "summarise"}
    llm = {"gen_ai.request.model": "gpt-4o-mini", "session.id": h.SESSION, "user.id": "alice"}
    turn = {"llm_agent.trace.name": "turn", "gen_ai.span.kind": "CHAIN", **IDS}
    return [
        (0, "turn", "INTERNAL", "CHAIN", "UNSET", None, turn),
        (1, "tools/list", "CLIENT", "CHAIN", "UNSET", None, mcp("tools/list", **client_net)),
        (2, "tools/list", "SERVER", "CHAIN", "UNSET", None, mcp("tools/list", **server_net)),
        (1, "tools/call lookup", "CLIENT", "TOOL", "UNSET", None, {**lookup, **client_net, **result}),
        (2, "tools/call lookup", "SERVER", "TOOL", "UNSET", None, {**lookup, **server_net, **result}),
        # the LLM call the tool makes, in the server process, below the server's span
        (3, "chat gpt-4o-mini", "CLIENT", "LLM", "UNSET", None, llm),
        (1, "tools/call fail", "CLIENT", "TOOL", "ERROR", "tool_error", {**fail, **client_net}),
        (2, "tools/call fail", "SERVER", "TOOL", "ERROR", "tool_error", {**fail, **server_net}),
        (1, "resources/read", "CLIENT", "CHAIN", "UNSET", None, mcp("resources/read", **client_net, **resource)),
        (2, "resources/read", "SERVER", "CHAIN", "UNSET", None, mcp("resources/read", **server_net, **resource)),
        (1, "prompts/get summarise", "CLIENT", "CHAIN", "UNSET", None, mcp("prompts/get", **client_net, **prompt)),
        (2, "prompts/get summarise", "SERVER", "CHAIN", "UNSET", None, mcp("prompts/get", **server_net, **prompt)),
    ]  # fmt: skip


PAIRS = [
    ("tools/list", "tools/list"),
    ("tools/call lookup", "tools/call lookup"),
    ("tools/call fail", "tools/call fail"),
    ("resources/read", "resources/read"),
    ("prompts/get summarise", "prompts/get summarise"),
]


def _answer(results: dict[str, Any]) -> str:
    return results["lookup"].content[0].text


@pytest.mark.timeout(180)
def test_stdio_server_tools_join_the_callers_trace_with_content(tmp_path: Path) -> None:
    sink, results, _ = _run(tmp_path, "stdio", capture=True)
    assert results["tools"] == ["fail", "flush", "lookup"]
    assert results["fail"].content[0].text.startswith("Error executing tool fail")
    tree = h.wait_for_trace(sink, "turn", 12)
    assert h.view(tree) == _expected(STDIO, STDIO, True, _answer(results))
    # each server span's parent is the client span of its request (the same JSON-RPC id and version)
    assert [(client, server) for client, server, _ in h.pairs(tree)] == PAIRS
    assert len({request_id for *_, request_id in h.pairs(tree)}) == len(PAIRS)
    assert (tree.session_id, tree.user_id) == (h.SESSION, "alice")
    with llm_agent.analysis.open(sink) as store:
        detail = store.session(h.SESSION)
        assert detail is not None
        assert [(t.name, t.spans, t.llm_calls, t.errors) for t in detail.traces] == [("turn", 12, 1, 2)]
        llm = next(s for s in tree.spans if s.span_kind == "LLM")
        assert (detail.summary.input_tokens, detail.summary.output_tokens) == (llm.input_tokens, llm.output_tokens)
        # the transcript lists each tool call once: the server's span is the same call as the client's
        transcript = store.transcript(h.SESSION)
    assert transcript is not None and transcript.content_captured
    [turn] = transcript.turns
    client = {s.name: s.span_id for s in tree.spans if s.kind == "CLIENT"}
    answer = _answer(results)
    assert [c.to_dict() for c in turn.tool_calls] == [
        {"name": "lookup", "call_id": None, "arguments": {"order_id": "42"}, "span_id": client["tools/call lookup"],
         "result": {"content": [{"type": "text", "text": answer}], "structuredContent": {"result": answer}},
         "error_type": None},
        {"name": "fail", "call_id": None, "arguments": {"reason": "no stock"}, "result": None,
         "span_id": client["tools/call fail"], "error_type": "tool_error"},
    ]  # fmt: skip


@pytest.mark.timeout(180)
def test_streamable_http_server_tools_join_the_callers_trace_without_content(tmp_path: Path) -> None:
    sink, results, url = _run(tmp_path, "http", capture=False)
    tree = h.wait_for_trace(sink, "turn", 12)
    assert h.view(tree) == _expected(HTTP_CLIENT, HTTP_SERVER, False, _answer(results))
    assert [(client, server) for client, server, _ in h.pairs(tree)] == PAIRS
    assert url is not None
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    mcp_spans = [s for s in tree.spans if s.kind in ("CLIENT", "SERVER") and s.span_kind != "LLM"]
    assert {s.attributes.get("server.port") for s in mcp_spans if s.kind == "CLIENT"} == {port}
    # the streamable-HTTP session: the server reads it from its header, the client from its transport
    server_sessions = {s.attributes.get("mcp.session.id") for s in mcp_spans if s.kind == "SERVER"}
    assert len(server_sessions) == 1 and None not in server_sessions
    client_sessions = {s.attributes.get("mcp.session.id") for s in mcp_spans if s.kind == "CLIENT"}
    assert client_sessions == server_sessions


@pytest.mark.timeout(180)
def test_a_server_started_by_llm_agent_instrument_joins_the_trace_with_no_code(tmp_path: Path) -> None:
    sink, results, _ = _run(tmp_path, "stdio", capture=False, launcher=True)
    tree = h.wait_for_trace(sink, "turn", 12)
    assert h.view(tree) == _expected(STDIO, STDIO, False, _answer(results))
    assert [(client, server) for client, server, _ in h.pairs(tree)] == PAIRS


@pytest.mark.timeout(180)
def test_a_server_on_the_other_sdk_line_joins_the_trace(tmp_path: Path) -> None:
    """A 2.x client and a 1.x server (or the reverse): the context in ``params._meta`` is the same
    W3C carrier on both lines, whoever injects and extracts it."""
    python = h.other_line_python()
    if python is None:
        pytest.skip("no environment with the other mcp line (.ci/run builds .venv-mcp1)")
    sink, results, _ = _run(tmp_path, "stdio", capture=True, python=str(python))
    tree = h.wait_for_trace(sink, "turn", 12)
    assert h.view(tree) == _expected(STDIO, STDIO, True, _answer(results))
    assert [(client, server) for client, server, _ in h.pairs(tree)] == PAIRS
