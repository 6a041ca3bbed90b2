"""Which transport a session runs over: its streams tagged when the transport opens them.

A ``ClientSession``/``ServerSession`` is built on a pair of memory streams and knows nothing of
the transport behind them.  The transports (``stdio_client``, ``streamable_http_client``,
``stdio_server``, ...) are async context managers yielding those streams, so we wrap each and
note, per write stream (weakly: a closed session's streams are not kept alive), what the
conventions record: ``network.transport``, ``network.protocol.name``, ``server.address`` and
``server.port``, and the streamable-HTTP session id callback (``mcp.session.id``).
"""

from __future__ import annotations

import contextvars
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import wrapt

from llm_agent import _errors, semconv
from llm_agent.instrumentation.mcp import _sdk


@dataclass
class Transport:
    network: str  # the conventions' network.transport value: "pipe" (stdio) or "tcp" (HTTP)
    http: bool
    address: str | None = None
    port: int | None = None
    #: Reads the streamable-HTTP session id (assigned by the server at ``initialize``), once known.
    session_id: Callable[[], Any] | None = None

    def attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {semconv.NETWORK_TRANSPORT: self.network}
        if self.http:
            attrs[semconv.NETWORK_PROTOCOL_NAME] = semconv.NETWORK_PROTOCOL_HTTP
        if self.address is not None:
            attrs[semconv.SERVER_ADDRESS] = self.address
            if self.port is not None:
                attrs[semconv.SERVER_PORT] = self.port
        sid = self.mcp_session_id()
        if sid is not None:
            attrs[semconv.MCP_SESSION_ID] = sid
        return attrs

    def mcp_session_id(self) -> str | None:
        if self.session_id is None:
            return None
        try:
            value = self.session_id()
        except Exception:
            return None
        return value if isinstance(value, str) and value else None


_by_stream: weakref.WeakKeyDictionary[Any, Transport] = weakref.WeakKeyDictionary()
#: The transport opened last in this context: for a session whose streams we cannot see (2.x's
#: server session), as the tasks that serve a transport are started inside its ``async with``.
_opened: contextvars.ContextVar[Transport | None] = contextvars.ContextVar("llm_agent_mcp_transport", default=None)


def of(stream: Any) -> Transport | None:
    """The transport a write stream belongs to (else the one opened in this context), if a
    wrapped transport opened it."""
    if stream is not None:
        try:
            found = _by_stream.get(stream)
        except TypeError:  # a stream type that cannot be weakly referenced
            found = None
        if found is not None:
            return found
    return _opened.get()


def _url_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str | None, int | None]:
    url = kwargs.get("url", args[0] if args else None)
    if not isinstance(url, str):
        return None, None
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None, None
    return parts.hostname, port


class _TaggingContext(wrapt.ObjectProxy):  # type: ignore[misc]
    """The transport's own context manager, noting its streams on entry; otherwise untouched."""

    def __init__(self, wrapped: Any, network: str, address: str | None, port: int | None) -> None:
        super().__init__(wrapped)
        self._self_tag = (network, address, port)
        self._self_token: contextvars.Token[Transport | None] | None = None

    async def __aenter__(self) -> Any:
        network, address, port = self._self_tag
        transport = Transport(network, network == semconv.NETWORK_TRANSPORT_TCP, address, port)
        # Set before the transport starts its tasks, so that they (and whatever the SDK runs in
        # their context: 2.x runs handlers in the reader task's) see it too.
        self._self_token = _opened.set(transport)
        try:
            streams = await self.__wrapped__.__aenter__()
        except BaseException:
            self._reset()
            raise
        try:
            values = tuple(streams)
            if len(values) > 2 and callable(values[2]):  # streamable HTTP (1.x): the session id callback
                transport.session_id = values[2]
            _by_stream[values[1]] = transport
        except TypeError:
            pass  # a stream that cannot be weakly referenced (2.x's ContextSendStream): the context tells
        except Exception as exc:
            _errors.report(f"{_sdk.WHERE}.transport", exc)
        return streams

    def _reset(self) -> None:
        token, self._self_token = self._self_token, None
        if token is not None:
            try:
                _opened.reset(token)
            except ValueError:  # left in another context than it was entered in: nothing to undo here
                pass

    async def __aexit__(self, *exc_info: Any) -> Any:
        self._reset()
        return await self.__wrapped__.__aexit__(*exc_info)


def http_transport_init(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``StreamableHTTPTransport.__init__``, built inside ``streamable_http_client``: the session
    id it will hold, for the transport being opened (2.x yields no callback for it; 1.x does too)."""
    result = wrapped(*args, **kwargs)
    try:
        opened = _opened.get()
        if opened is not None and opened.http and opened.session_id is None:
            opened.session_id = lambda: getattr(instance, "session_id", None)
    except Exception as exc:
        _errors.report(f"{_sdk.WHERE}.transport", exc)
    return result


def wrapper_for(network: str) -> Callable[..., Any]:
    """A wrapt wrapper for a transport function whose streams run over ``network``."""

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        context = wrapped(*args, **kwargs)
        try:
            address, port = _url_of(args, kwargs) if network == semconv.NETWORK_TRANSPORT_TCP else (None, None)
            return _TaggingContext(context, network, address, port)
        except Exception as exc:
            _errors.report(f"{_sdk.WHERE}.transport", exc)
            return context

    return wrapper


__all__ = ["Transport", "http_transport_init", "of", "wrapper_for"]
