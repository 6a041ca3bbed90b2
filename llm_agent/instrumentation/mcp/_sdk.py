"""Every ``mcp`` SDK internal the MCP instrumentation reads, with the releases that have it.

Two lines of the SDK behave differently (docs/mcp.md):

- **1.x** (``mcp.shared.session.BaseSession``; 1.9 .. 1.30 tested) traces nothing: we inject
  the W3C context into each request's ``params._meta`` and extract it on the server ourselves.
- **2.x** (``mcp.shared.jsonrpc_dispatcher``; 2.0 .. 2.3 tested) traces itself: a CLIENT span
  per outbound request (``otel_span`` in the dispatcher, which injects the context into
  ``params._meta``), and a SERVER span per inbound message (``OpenTelemetryMiddleware``).  There
  we start no second span and inject nothing: our client span stands in for the dispatcher's
  (it injects ours), and the server's span is adopted (kinds, content) from inside its scope.

Each reader returns None when the internal is absent, so a release that moved it runs with a
span that lacks that attribute, never with a failure.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Final

#: Where our internal errors are reported from (``_errors.report``): ``mcp.client``, ``mcp.server``, ...
WHERE: Final = "mcp"
#: The dispatcher of the self-tracing line (2.x): its module-level ``otel_span`` starts the
#: CLIENT span of every outbound request.
DISPATCHER_MODULE: Final = "mcp.shared.jsonrpc_dispatcher"
#: 2.x: the server middleware that starts the SERVER span of every inbound message.
SERVER_OTEL_MODULE: Final = "mcp.server._otel"
SERVER_OTEL_CLASS: Final = "OpenTelemetryMiddleware"
#: 1.x: where requests are sent (``send_request``) and answered (``RequestResponder.respond``).
SESSION_MODULE: Final = "mcp.shared.session"
#: 1.x: the low-level server's per-request dispatch (``Server._handle_request``).
LOWLEVEL_MODULE: Final = "mcp.server.lowlevel.server"
CLIENT_MODULE: Final = "mcp.client.session"
#: The transports whose streams we tag (module, function, network transport), and the modules
#: that bind them by name at import (``from mcp.server.stdio import stdio_server``), which the
#: ``mcp`` package's own import runs before any hook of ours can.
CLIENT_TRANSPORTS: Final = (
    ("mcp.client.stdio", "stdio_client", "pipe"),
    ("mcp", "stdio_client", "pipe"),
    ("mcp.client.streamable_http", "streamable_http_client", "tcp"),
    ("mcp.client.streamable_http", "streamablehttp_client", "tcp"),  # 1.x's older name
    ("mcp.client.sse", "sse_client", "tcp"),
)
#: The streamable-HTTP client transport object (both lines), whose ``session_id`` is the MCP session.
HTTP_TRANSPORT: Final = ("mcp.client.streamable_http", "StreamableHTTPTransport")
SERVER_TRANSPORTS: Final = (
    ("mcp.server.stdio", "stdio_server", "pipe"),
    ("mcp", "stdio_server", "pipe"),
    ("mcp.server.mcpserver.server", "stdio_server", "pipe"),  # 2.x MCPServer.run_stdio_async
    ("mcp.server.fastmcp.server", "stdio_server", "pipe"),  # 1.x FastMCP.run_stdio_async
)


def self_tracing() -> bool:
    """Whether the installed SDK traces itself (the 2.x line): its dispatcher module exists."""
    try:
        return importlib.util.find_spec(DISPATCHER_MODULE) is not None
    except (ImportError, ValueError):
        return False


def next_request_id(session: Any) -> Any:
    """1.x: the JSON-RPC id ``BaseSession.send_request`` is about to use (its counter, read before
    the call: the method reads and bumps it before its first ``await``)."""
    value = getattr(session, "_request_id", None)
    return value if isinstance(value, int) else None


def write_stream(session: Any) -> Any:
    """The stream a session writes to: 1.x ``BaseSession._write_stream``; 2.x the dispatcher's."""
    stream = getattr(session, "_write_stream", None)
    if stream is None:
        stream = getattr(getattr(session, "_dispatcher", None), "_write_stream", None)
    return stream


def protocol_version(session: Any) -> str | None:
    """The negotiated protocol version a 2.x client session knows (1.x: None; we note it at
    ``initialize``)."""
    try:
        value = getattr(session, "protocol_version", None)
    except Exception:
        return None
    return value if isinstance(value, str) else None


def request_params(request: Any) -> Any:
    """A 1.x request's params model (``ClientRequest`` is a RootModel around the typed request)."""
    return getattr(getattr(request, "root", request), "params", None)


def request_method(request: Any) -> str | None:
    value = getattr(getattr(request, "root", request), "method", None)
    return value if isinstance(value, str) else None


def meta_carrier(params: Any) -> dict[str, Any] | None:
    """The ``_meta`` of a request's params as a plain dict (1.x: ``RequestParams.Meta``, whose
    extra fields hold ``traceparent``; a dict in 2.x)."""
    meta = params.get("_meta") if isinstance(params, dict) else getattr(params, "meta", None)
    if meta is None:
        return None
    if isinstance(meta, dict):
        return meta
    extra = getattr(meta, "model_extra", None)
    return dict(extra) if isinstance(extra, dict) else None


def http_request(responder: Any) -> Any:
    """1.x server: the HTTP request a message arrived on (streamable HTTP, SSE), else None."""
    metadata = getattr(responder, "message_metadata", None)
    return getattr(metadata, "request_context", None)


def client_protocol_version(server_session: Any) -> str | None:
    """1.x server: the protocol version the client asked for at ``initialize``."""
    params = getattr(server_session, "client_params", None)
    value = getattr(params, "protocolVersion", None)
    return value if isinstance(value, str) else None


def header(request: Any, name: str) -> str | None:
    """A header of a Starlette request, or None."""
    try:
        value = request.headers.get(name)
    except Exception:
        return None
    return value if isinstance(value, str) and value else None


__all__ = [
    "CLIENT_MODULE",
    "CLIENT_TRANSPORTS",
    "DISPATCHER_MODULE",
    "HTTP_TRANSPORT",
    "LOWLEVEL_MODULE",
    "SERVER_OTEL_CLASS",
    "SERVER_OTEL_MODULE",
    "SERVER_TRANSPORTS",
    "SESSION_MODULE",
    "WHERE",
    "client_protocol_version",
    "header",
    "http_request",
    "meta_carrier",
    "next_request_id",
    "protocol_version",
    "request_method",
    "request_params",
    "self_tracing",
    "write_stream",
]
