"""The ``mcp`` SDK internals the MCP instrumentation reads (llm_agent/instrumentation/mcp/_sdk.py)
are where it expects them in the installed release — the 2.x line here, the 1.x line when
test_mcp_1x.py re-runs this directory — so a release that moves one fails here, by name, with what
it costs (tests/contract/test_sdk_internals.py does the same for the provider SDKs)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from importlib.metadata import version
from typing import Any, NamedTuple

import pytest

pytest.importorskip("mcp.client.session")  # not "mcp": without the SDK, tests/mcp is a namespace package of that name

from llm_agent.instrumentation.mcp import _sdk

TWO = _sdk.self_tracing()


class Internal(NamedTuple):
    what: str
    check: Callable[[], bool]
    consequence: str


def _attr(module: str, *path: str) -> Any:
    obj: Any = importlib.import_module(module)
    for name in path:
        obj = getattr(obj, name)
    return obj


def _parameters(fn: Any) -> list[str]:
    return list(inspect.signature(fn).parameters)


COMMON = [
    Internal("mcp.client.session.ClientSession.call_tool(name, arguments)",
             lambda: _parameters(_attr(_sdk.CLIENT_MODULE, "ClientSession", "call_tool"))[1:3] == ["name", "arguments"],
             "the tool's name and arguments are read from the wrong arguments"),
    Internal("mcp.client.session.ClientSession.read_resource(uri) / get_prompt(name)",
             lambda: _parameters(_attr(_sdk.CLIENT_MODULE, "ClientSession", "read_resource"))[1] == "uri"
             and _parameters(_attr(_sdk.CLIENT_MODULE, "ClientSession", "get_prompt"))[1] == "name",
             "no mcp.resource.uri / gen_ai.prompt.name on the client spans"),
    Internal("mcp.client.stdio.stdio_client / mcp.server.stdio.stdio_server",
             lambda: callable(_attr("mcp.client.stdio", "stdio_client"))
             and callable(_attr("mcp.server.stdio", "stdio_server")),
             "no network.transport on stdio spans"),
    Internal("mcp.client.streamable_http.StreamableHTTPTransport(...).session_id",
             lambda: "session_id" in _attr(*_sdk.HTTP_TRANSPORT, "__init__").__code__.co_names,
             "no mcp.session.id on a streamable-HTTP client's spans"),
    Internal("mcp.client.streamable_http.streamable_http_client(url)",
             lambda: _parameters(_attr("mcp.client.streamable_http", "streamable_http_client"))[0] == "url",
             "no network.transport, server.address or server.port on streamable-HTTP client spans"),
]  # fmt: skip

V1 = [
    Internal("mcp.shared.session.BaseSession.send_request(request) and its _request_id counter",
             lambda: _parameters(_attr(_sdk.SESSION_MODULE, "BaseSession", "send_request"))[1] == "request"
             and "_request_id" in _attr(_sdk.SESSION_MODULE, "BaseSession", "__init__").__code__.co_names,
             "no context in params._meta: the server's spans start traces of their own"),
    Internal("mcp.shared.session.RequestResponder.respond(response) and .request_id / .message_metadata",
             lambda: _parameters(_attr(_sdk.SESSION_MODULE, "RequestResponder", "respond"))[1] == "response"
             and {"request_id", "message_metadata"} <= set(
                 _attr(_sdk.SESSION_MODULE, "RequestResponder", "__init__").__code__.co_varnames),
             "the server span misses the outcome (isError, JSON-RPC errors, the captured result)"),
    Internal("mcp.server.lowlevel.server.Server._handle_request(message, req, session, ...)",
             lambda: _parameters(_attr(_sdk.LOWLEVEL_MODULE, "Server", "_handle_request"))[1:4]
             == ["message", "req", "session"],
             "no server span: the handler's spans are not in the caller's trace"),
    Internal("mcp.types.RequestParams.Meta keeps extra fields (traceparent)",
             lambda: _attr("mcp.types", "RequestParams", "Meta").model_config.get("extra") == "allow",
             "the caller's context is dropped before the handler sees it"),
]  # fmt: skip

V2 = [
    Internal("mcp.shared.jsonrpc_dispatcher.otel_span(name, kind=, attributes=) starting each request's span",
             lambda: _parameters(_attr(_sdk.DISPATCHER_MODULE, "otel_span"))[:2] == ["name", "kind"]
             and "otel_span" in inspect.getsource(
                 _attr(_sdk.DISPATCHER_MODULE, "JSONRPCDispatcher", "send_raw_request")),
             "a second client span per request next to ours (the SDK's own)"),
    Internal("mcp.server._otel.OpenTelemetryMiddleware.__call__(ctx, call_next)",
             lambda: _parameters(_attr(_sdk.SERVER_OTEL_MODULE, _sdk.SERVER_OTEL_CLASS, "__call__"))[1:]
             == ["ctx", "call_next"],
             "the SDK's server span lacks the ARMS kind, transport and content, and its handler the caller's baggage"),
    Internal("mcp.client.session.ClientSession.protocol_version",
             lambda: isinstance(_attr(_sdk.CLIENT_MODULE, "ClientSession", "protocol_version"), property),
             "no mcp.protocol.version on the client spans"),
    Internal("mcp.server.context.ServerRequestContext.method/params/meta/request/session",
             lambda: {"method", "params", "meta", "request", "session"}
             <= set(_attr("mcp.server.context", "ServerRequestContext").__dataclass_fields__),
             "the adopted server span misses its attributes"),
]  # fmt: skip

INTERNALS = COMMON + (V2 if TWO else V1)


@pytest.mark.parametrize("internal", INTERNALS, ids=[i.what for i in INTERNALS])
def test_mcp_internal_is_where_we_read_it(internal: Internal) -> None:
    try:
        found = internal.check()
    except (ImportError, AttributeError, IndexError, TypeError, OSError) as exc:
        found, why = False, f"{type(exc).__name__}: {exc}"
    else:
        why = "not as expected"
    assert found, (
        f"mcp {version('mcp')}: the internal {internal.what} moved ({why}). Without it: {internal.consequence}. "
        "Update instrumentation/mcp/_sdk.py."
    )


def test_the_line_is_detected_by_the_sdks_shape() -> None:
    assert TWO == (int(version("mcp").split(".")[0]) >= 2)
