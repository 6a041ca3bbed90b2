"""The Model Context Protocol SDK (``mcp``): client requests as spans, and the server's handlers in
the caller's trace, over stdio and streamable HTTP (docs/mcp.md).

Not an LLM provider: nothing here goes through the provider core.  The patching base
(``PatchingInstrumentor``) still gives the lazy, idempotent and reversible patching: each SDK
module is patched when the app imports it.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any, ClassVar

from llm_agent.instrumentation._base import PatchingInstrumentor
from llm_agent.instrumentation.mcp import _client, _sdk, _server, _transport


class _NoProvider:
    """The patching base switches its provider on and off; the MCP side has none."""

    enabled = False


def _client_session_class() -> Any:
    module = sys.modules.get(_sdk.CLIENT_MODULE)
    return getattr(module, "ClientSession", None)


def _is_client_session(instance: Any) -> bool:
    """Whether ``instance`` is a ``ClientSession``: the class looked up per call, since the client
    module may be imported after the session module is patched."""
    cls = _client_session_class()
    return cls is not None and isinstance(instance, cls)


class MCPInstrumentor(PatchingInstrumentor):
    name = "mcp"
    library = "mcp"
    provider: ClassVar[Any] = _NoProvider()

    def patch_more(self) -> None:
        for spec in _client.METHODS:
            self.wrap_on_import(_sdk.CLIENT_MODULE, "ClientSession", spec.attribute, _client.method_wrapper(spec))
        if _sdk.self_tracing():
            # 2.x traces itself: our client span stands in for its dispatcher's, its server span is adopted.
            self.on_import(_sdk.DISPATCHER_MODULE, self._replace_dispatcher_span)
            self.wrap_on_import(_sdk.SERVER_OTEL_MODULE, _sdk.SERVER_OTEL_CLASS, "__call__", _server.middleware_wrapper)
        else:
            self.wrap_on_import(_sdk.CLIENT_MODULE, "ClientSession", "initialize", _client.initialize_wrapper)
            self.wrap_on_import(
                _sdk.SESSION_MODULE, "BaseSession", "send_request", _client.send_request_wrapper(_is_client_session)
            )
            self.wrap_on_import(_sdk.SESSION_MODULE, "RequestResponder", "respond", _server.respond_wrapper)
            self.wrap_on_import(_sdk.LOWLEVEL_MODULE, "Server", "_handle_request", _server.handle_request_wrapper)
        self.wrap_on_import(*_sdk.HTTP_TRANSPORT, "__init__", _transport.http_transport_init)
        for module_name, function, network in (*_sdk.CLIENT_TRANSPORTS, *_sdk.SERVER_TRANSPORTS):
            self._wrap_transport(module_name, function, network)

    def _wrap_transport(self, module_name: str, function: str, network: str) -> None:
        def patch(module: ModuleType) -> None:
            if callable(module.__dict__.get(function)):
                self.wrap(module, function, _transport.wrapper_for(network))

        self.on_import(module_name, patch)

    def _replace_dispatcher_span(self, module: ModuleType) -> None:
        original = module.__dict__.get("otel_span")
        if callable(original) and not getattr(original, "_llm_agent_mcp", False):
            replacement = _client.dispatcher_otel_span(original)
            replacement._llm_agent_mcp = True  # type: ignore[attr-defined]
            self.replace(module, "otel_span", replacement)


__all__ = ["MCPInstrumentor"]
