"""``server.address``/``server.port`` (and the provider they imply) of a client, cached per client URL.

Every provider asks on every call, and parsing a URL costs more than the rest of the request
side, so the answer is cached by the identity of the URL object the client holds (the entry keeps
the object, so its id cannot be reused while cached) and of the settings in force.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Final

from llm_agent import semconv
from llm_agent.config import Settings

#: The port a URL without one uses, by scheme.
DEFAULT_PORTS: Final = {"https": 443, "http": 80}
#: Most client URLs remembered; the cache is emptied beyond that (it only saves time).
SERVER_CACHE_SIZE: Final = 256

#: ``(url, settings) -> (provider, server attributes)``: how one provider reads a URL.
ServerReader = Callable[[Any, Settings], "tuple[str, dict[str, Any]]"]


def url_attributes(url: Any) -> dict[str, Any]:
    """``server.address``/``server.port`` of an httpx-style URL object (``.host``/``.port``/``.scheme``)."""
    attrs: dict[str, Any] = {}
    host = getattr(url, "host", None)
    if isinstance(host, str) and host:
        attrs[semconv.SERVER_ADDRESS] = host
        port = getattr(url, "port", None)
        if not isinstance(port, int):
            port = DEFAULT_PORTS.get(getattr(url, "scheme", ""))
        if port is not None:
            attrs[semconv.SERVER_PORT] = port
    return attrs


class ServerCache:
    """``read(url, settings)``'s answers per URL object: one dict lookup per call on a hit."""

    __slots__ = ("_entries", "_lock", "read")

    def __init__(self, read: ServerReader) -> None:
        self.read = read
        # id(url) -> (url, settings, provider, attributes)
        self._entries: dict[int, tuple[Any, Settings, str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, url: Any, settings: Settings) -> tuple[str, dict[str, Any]]:
        """(provider, a fresh dict of the server attributes) for ``url``."""
        hit = self._entries.get(id(url))
        if hit is not None and hit[0] is url and hit[1] is settings:
            return hit[2], dict(hit[3])
        provider, attrs = self.read(url, settings)
        with self._lock:
            if len(self._entries) >= SERVER_CACHE_SIZE:
                self._entries.clear()
            self._entries[id(url)] = (url, settings, provider, attrs)
        return provider, dict(attrs)

    def request_side(
        self,
        url: Any,
        settings: Settings,
        request: dict[str, Any],
        provider_name: str | None = None,
        stream: bool = False,
        kind: str | None = None,
    ) -> dict[str, Any]:
        """A call's request-side attributes, as every provider writes them: ``url``'s server
        attributes (when there is a URL), the ``request`` attributes, ``gen_ai.request.stream``
        for a stream, the provider's name and, with the ARMS names on, the span kind."""
        attrs = self.get(url, settings)[1] if url is not None else {}
        attrs.update(request)
        if stream:
            attrs[semconv.GEN_AI_REQUEST_STREAM] = True
        if provider_name is not None:
            attrs[semconv.GEN_AI_PROVIDER_NAME] = provider_name
        if kind is not None and settings.arms_compat:
            attrs[semconv.ARMS_SPAN_KIND] = kind
        return attrs

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


__all__ = ["DEFAULT_PORTS", "ServerCache", "url_attributes"]
