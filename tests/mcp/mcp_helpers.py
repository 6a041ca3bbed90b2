"""Driving a real MCP server process (tests/mcp/mcp_server.py) from an instrumented client, and
reading what both processes wrote into one SQLite sink back through ``llm_agent.analysis``."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import llm_agent
from llm_agent._demo.server import DemoServer
from llm_agent.analysis import TraceTree

ROOT = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = ROOT / "tests" / "mcp" / "mcp_server.py"
#: The SDK line under test: 1.x injects and extracts through us, 2.x traces itself.
MCP_MAJOR = int(version("mcp").split(".")[0])
#: Bounds for a server process to come up and for its spans to reach the sink (never waited out
#: when things work: each wait polls and returns as soon as the condition holds).
SERVER_START_TIMEOUT_S = 30.0
SINK_TIMEOUT_S = 30.0


def server_env(sink: Path, demo: DemoServer, capture: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_AGENT_", "OTEL_"))}
    env.update(
        LLM_AGENT_SINK_PATH=str(sink),
        LLM_AGENT_BACKENDS="sqlite",
        LLM_AGENT_CAPTURE_CONTENT="true" if capture else "false",
        DEMO_BASE_URL=demo.base_url,
        PYTHONPATH=str(ROOT),
    )
    return env


def other_line_python() -> Path | None:
    """An interpreter with the other SDK line (``.venv-mcp1`` for 1.x, ``.venv`` for 2.x, as
    ``.ci/run`` builds them), or None when there is none."""
    venv = ROOT / (".venv-mcp1" if MCP_MAJOR >= 2 else ".venv")
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    if not python.exists():
        return None
    probe = subprocess.run([str(python), "-c", "from importlib.metadata import version; print(version('mcp'))"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    major = probe.stdout.strip().split(".")[0]
    return python if probe.returncode == 0 and major.isdigit() and int(major) != MCP_MAJOR else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def http_server(env: dict[str, str]) -> Iterator[str]:
    """The test server on streamable HTTP, in its own process; yields its MCP endpoint URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(SERVER_SCRIPT), "http", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"MCP server did not start: {proc.stderr.read().decode()[-3000:]}")  # type: ignore[union-attr]
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()  # uvicorn stops gracefully on SIGTERM; the script then shuts llm_agent down
        try:
            proc.wait(timeout=SINK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.asynccontextmanager
async def stdio_session(
    env: dict[str, str], launcher: bool = False, python: str = sys.executable
) -> AsyncIterator[Any]:
    """A session with the test server on stdio; ``launcher``: started by ``llm-agent-instrument``
    instead of initialising llm_agent itself; ``python``: the interpreter (and so the SDK line) it runs on."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    args = [str(SERVER_SCRIPT)]
    if launcher:
        args = ["-m", "llm_agent.auto.launcher", python, *args]
        env = {**env, "MCP_TEST_INIT": "0", "OTEL_SERVICE_NAME": "mcp-test-server"}
    params = StdioServerParameters(command=python, args=args, env=env, cwd=str(ROOT))
    with open(os.devnull, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as streams, ClientSession(streams[0], streams[1]) as session:
            await session.initialize()
            yield session


@contextlib.asynccontextmanager
async def http_session(url: str) -> AsyncIterator[Any]:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with streamable_http_client(url) as streams, ClientSession(streams[0], streams[1]) as session:
        await session.initialize()
        yield session


async def one_turn(session: Any) -> dict[str, Any]:
    """The turn the tests look at: every request kind, in one session and trace; then a flush of
    the server's spans outside it.  Returns what the calls returned."""
    results: dict[str, Any] = {}
    with llm_agent.session(SESSION, user_id="alice"), llm_agent.trace("turn"):
        results["tools"] = sorted(tool.name for tool in (await session.list_tools()).tools)
        results["lookup"] = await session.call_tool("lookup", {"order_id": "42"})
        results["fail"] = await session.call_tool("fail", {"reason": "no stock"})
        results["resource"] = await session.read_resource("orders://recent")
        results["prompt"] = await session.get_prompt("summarise", {"topic": "orders"})
    await session.call_tool("flush", {})
    return results


SESSION = "sess-mcp"


def wait_for_trace(sink: Path, trace_name: str, spans: int) -> TraceTree:
    """Session ``SESSION``'s trace named ``trace_name`` once it has ``spans`` spans (the server
    process writes its own into the sink on its own schedule)."""
    deadline = time.monotonic() + SINK_TIMEOUT_S
    while True:
        tree = _find(sink, trace_name)
        if tree is not None and len(tree.spans) >= spans:
            return tree
        if time.monotonic() > deadline:
            got = [s.name for s in tree.spans] if tree is not None else None
            raise AssertionError(f"trace {trace_name!r} has {got}, expected {spans} spans")
        time.sleep(0.1)


def _find(sink: Path, trace_name: str) -> TraceTree | None:
    if not sink.exists():
        return None
    store = llm_agent.analysis.open(sink)
    try:
        detail = store.session(SESSION)
        for summary in detail.traces if detail is not None else ():
            if summary.name == trace_name:
                return store.trace(summary.trace_id)
    finally:
        store.close()
    return None


#: Attributes whose values differ by SDK line or run, compared by rule instead of by value.
_VARYING = ("jsonrpc.request.id", "mcp.protocol.version", "mcp.session.id", "server.port")


def view(tree: TraceTree) -> list[tuple[Any, ...]]:
    """Each span as (depth, name, OTel kind, gen_ai.span.kind, status, error.type, MCP attributes),
    depth-first in start order; the LLM span's attributes are the OpenAI tests' business."""
    rows = []
    for span in tree.spans:
        attrs = {k: v for k, v in span.attributes.items() if k not in _VARYING}
        if span.span_kind == "LLM":
            attrs = {k: attrs[k] for k in ("session.id", "user.id", "gen_ai.request.model") if k in attrs}
        if "gen_ai.tool.call.result" in attrs:
            attrs["gen_ai.tool.call.result"] = json.loads(attrs["gen_ai.tool.call.result"])
        rows.append((span.depth, span.name, span.kind, span.span_kind, span.status, span.error_type, attrs))
    return rows


def pairs(tree: TraceTree) -> list[tuple[str, str, str]]:
    """(client span, its server child, what they share) per request: the same JSON-RPC request id
    and protocol version on both sides of each request."""
    by_id = {s.span_id: s for s in tree.spans}
    out = []
    for span in tree.spans:
        parent = by_id.get(span.parent_span_id or "")
        if span.kind == "SERVER" and parent is not None and parent.kind == "CLIENT":
            for key in ("jsonrpc.request.id", "mcp.protocol.version"):
                assert span.attributes.get(key) == parent.attributes.get(key) is not None, (span.name, key)
            out.append((parent.name, span.name, parent.attributes["jsonrpc.request.id"]))
    return out
