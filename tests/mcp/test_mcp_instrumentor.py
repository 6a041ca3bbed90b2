"""The MCP instrumentor in one process: a real server and client over the SDK's in-memory
transport.  instrument()/uninstrument() are idempotent and reversible; one span per request on
either side (on 2.x none of the SDK's own client spans next to ours); JSON-RPC errors and
exceptions recorded and re-raised unchanged; the app's request and results untouched.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("mcp.client.session")  # not "mcp": without the SDK, tests/mcp is a namespace package of that name

import wrapt

import llm_agent
from llm_agent.instrumentation import get_instrumentor
from llm_agent.instrumentation.mcp import _sdk
from llm_agent.testing import SpanCapture, capture_spans
from tests.mcp.mcp_helpers import MCP_MAJOR

try:  # mcp 2.x
    from mcp.server.mcpserver import MCPServer as Server
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import FastMCP as Server

server = Server("inproc")


@server.tool()
def echo(text: str) -> str:
    return f"echo: {text}"


@server.resource("notes://one")
def note() -> str:
    return "one"


async def _with_session(work: Any) -> Any:
    """Run ``work(session)`` against ``server`` over the SDK's in-memory transport."""
    if MCP_MAJOR >= 2:
        from mcp.client import Client

        async with Client(server) as client:
            return await work(client.session)
    from mcp.shared.memory import create_connected_server_and_client_session

    async with create_connected_server_and_client_session(server._mcp_server) as session:
        return await work(session)


def _rows(capture: SpanCapture) -> list[tuple[str, str, str | None]]:
    """(name, kind, parent's name) of every MCP request span, the SDK's and ours alike, in end order;
    the 2.x in-process client's discovery handshake aside (it is not a request the app made)."""
    llm_agent.flush()
    records = capture.records
    names = {r.span_id: r.name for r in records}
    return [
        (r.name, r.kind, names.get(r.parent_span_id or ""))
        for r in records
        if "discover" not in r.name and "initialize" not in r.name
    ]


@pytest.fixture
def spans() -> Iterator[SpanCapture]:
    with capture_spans(capture_content=True) as capture:
        yield capture


def _patched() -> dict[str, Any]:
    """What the instrumentor replaces, as it stands now."""
    from mcp.client.session import ClientSession

    found: dict[str, Any] = {"call_tool": ClientSession.__dict__["call_tool"]}
    if _sdk.self_tracing():
        found["otel_span"] = sys.modules[_sdk.DISPATCHER_MODULE].__dict__["otel_span"]
    else:
        from mcp.shared.session import BaseSession

        found["send_request"] = BaseSession.__dict__["send_request"]
    return found


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Identity, not ``==``: a wrapt wrapper compares equal to what it wraps."""
    return a.keys() == b.keys() and all(a[k] is b[k] for k in a)


def test_instrument_is_idempotent_and_uninstrument_restores_the_sdk() -> None:
    inst = get_instrumentor("mcp")
    inst.uninstrument()
    original = _patched()
    assert not any(isinstance(v, wrapt.FunctionWrapper) or getattr(v, "_llm_agent_mcp", False)
                   for v in original.values())  # fmt: skip
    llm_agent.instrument("mcp")
    once = _patched()
    llm_agent.instrument("mcp")
    assert _same(_patched(), once)  # the second call is a no-op: nothing wrapped twice
    assert isinstance(once["call_tool"], wrapt.FunctionWrapper)
    assert once["call_tool"].__wrapped__ is original["call_tool"]
    llm_agent.uninstrument("mcp")
    assert _same(_patched(), original)
    llm_agent.uninstrument("mcp")
    assert _same(_patched(), original)
    llm_agent.instrument("mcp")
    again = _patched()
    assert again.keys() == once.keys() and not any(again[k] is original[k] for k in again)


def test_one_span_per_request_on_each_side(spans: SpanCapture) -> None:
    async def work(session: Any) -> Any:
        await session.list_tools()
        return await session.call_tool("echo", {"text": "hi"})

    result = asyncio.run(_with_session(work))
    assert result.content[0].text == "echo: hi"
    # no "MCP send ..." span of the 2.x SDK's: ours stands for it
    assert _rows(spans) == [
        ("tools/list", "SERVER", "tools/list"),
        ("tools/list", "CLIENT", None),
        ("tools/call echo", "SERVER", "tools/call echo"),
        ("tools/call echo", "CLIENT", None),
    ]
    client = spans.by_name("tools/call echo")
    by_kind = {r.kind: r for r in client}
    assert by_kind["CLIENT"].attributes["gen_ai.tool.call.arguments"] == '{"text":"hi"}'
    assert by_kind["SERVER"].attributes["gen_ai.tool.call.arguments"] == '{"text":"hi"}'
    assert by_kind["SERVER"].parent_span_id == by_kind["CLIENT"].span_id


def test_uninstrumented_requests_make_no_spans_of_ours(spans: SpanCapture) -> None:
    llm_agent.uninstrument("mcp")

    async def work(session: Any) -> Any:
        return await session.call_tool("echo", {"text": "hi"})

    result = asyncio.run(_with_session(work))
    assert result.content[0].text == "echo: hi"
    rows = _rows(spans)
    assert all(r[0].startswith("MCP send") or r[1] == "SERVER" for r in rows)  # only the 2.x SDK's own
    # 2.x's in-memory client sends directly (no span of its own); its server still traces itself
    expected = [("tools/call echo", "SERVER", None), ("tools/list", "SERVER", None)] if MCP_MAJOR >= 2 else []
    assert sorted(rows) == expected
    llm_agent.instrument("mcp")


def test_a_json_rpc_error_is_recorded_and_raised_unchanged(spans: SpanCapture) -> None:
    if MCP_MAJOR >= 2:
        from mcp.shared.exceptions import MCPError as Error
    else:
        from mcp.shared.exceptions import McpError as Error

    async def work(session: Any) -> Any:
        try:
            await session.read_resource("notes://missing")
        except Error as exc:  # the SDK's own exception, as the SDK raised it
            return exc
        raise AssertionError("no error raised")

    raised = asyncio.run(_with_session(work))
    assert type(raised) is Error
    code = str(raised.error.code)
    client = next(r for r in spans.by_name("resources/read") if r.kind == "CLIENT")
    assert (client.status, client.error_type) == ("ERROR", code)
    assert client.attributes["rpc.response.status_code"] == code
    assert client.attributes["mcp.resource.uri"] == "notes://missing"
    server_side = next(r for r in spans.by_name("resources/read") if r.kind == "SERVER")
    assert (server_side.status, server_side.error_type) == ("ERROR", code)
    assert server_side.parent_span_id == client.span_id


@server.tool()
def boom(reason: str) -> str:
    raise RuntimeError(f"boom: {reason}")


@pytest.mark.parametrize("capture", [True, False])
def test_a_failing_tool_is_a_tool_error_its_text_only_with_content(capture: bool) -> None:
    async def work(session: Any) -> Any:
        await session.list_tools()
        return await session.call_tool("boom", {"reason": "sk-not-a-key"})

    with capture_spans(capture_content=capture) as capture_:
        result = asyncio.run(_with_session(work))
        llm_agent.flush()
        spans = {r.kind: r for r in capture_.by_name("tools/call boom")}
    assert _tool_error(result) is True
    text = result.content[0].text
    for kind in ("CLIENT", "SERVER"):
        record = spans[kind]
        assert (record.status, record.error_type) == ("ERROR", "tool_error")
        assert record.attributes["error.type"] == "tool_error"
        assert "gen_ai.tool.call.result" not in record.attributes  # a result only when the call succeeded
        # the tool's text (secrets scrubbed) only with content; 2.x's server span has the SDK's own status
        described = capture and not (kind == "SERVER" and MCP_MAJOR >= 2)
        assert record.status_message == (text.replace("sk-not-a-key", "[REDACTED]") if described else None)
        assert ("gen_ai.tool.call.arguments" in record.attributes) is capture


def _tool_error(result: Any) -> Any:
    return getattr(result, "isError", getattr(result, "is_error", None))


def test_a_raw_request_carries_the_context_and_the_apps_request_is_untouched(spans: SpanCapture) -> None:
    from mcp import types

    request = types.ClientRequest(types.ListToolsRequest(method="tools/list")) if MCP_MAJOR < 2 else None

    async def work(session: Any) -> Any:
        with llm_agent.trace("raw"):
            if request is not None:
                return await session.send_request(request, types.ListToolsResult)
            return await session.send_request(types.ListToolsRequest(), types.ListToolsResult)

    result = asyncio.run(_with_session(work))
    assert sorted(t.name for t in result.tools) == ["boom", "echo"]
    if request is not None:
        assert request.root.params is None  # the context went out in a copy of the dump, not in the app's object
    by_name = {r.name: r for r in spans.records}
    # over a JSON-RPC transport 2.x keeps its own span for a raw request; in process it has none
    parent = by_name.get("MCP send tools/list", by_name["raw"])
    server_span = next(r for r in spans.records if r.name == "tools/list" and r.kind == "SERVER")
    assert server_span.parent_span_id == parent.span_id
    assert server_span.trace_id == by_name["raw"].trace_id


def test_init_finds_and_instruments_mcp_when_installed() -> None:
    agent = llm_agent.init(backends=["memory"])
    assert "mcp" in agent.instrumented
    assert isinstance(_patched()["call_tool"], wrapt.FunctionWrapper)
