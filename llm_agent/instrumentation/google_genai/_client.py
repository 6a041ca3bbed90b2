"""Per-client attributes: ``gen_ai.provider.name`` and ``server.address``/``server.port``.

Decided from the client's own state (``_sdk.is_vertex``/``_sdk.base_url``), not from how it was
constructed, and cached per (backend flag, base URL): parsing the URL is the costly part, and a
client's pair does not change after construction.
"""

from __future__ import annotations

import threading
from typing import Any, Final
from urllib.parse import urlsplit

from llm_agent import semconv
from llm_agent.instrumentation.google_genai import _sdk

PROVIDER_GEMINI: Final = semconv.PROVIDER_GCP_GEMINI
PROVIDER_VERTEX: Final = semconv.PROVIDER_GCP_VERTEX_AI
_DEFAULT_PORTS: Final = {"https": 443, "http": 80}
#: Most distinct (flag, base URL) pairs remembered; the cache is emptied beyond that.
CACHE_SIZE: Final = 256

_cache: dict[tuple[Any, str | None], dict[str, Any]] = {}
_lock = threading.Lock()


def client_attributes(resource: Any) -> dict[str, Any]:
    """The provider and server attributes of a ``Models``/``AsyncModels`` resource (a fresh dict)."""
    client = _sdk.api_client(resource)
    url = _sdk.base_url(client)
    flag = getattr(client, "vertexai", None)
    key = (flag if flag is None or type(flag) is bool else id(flag), url)
    hit = _cache.get(key)
    if hit is None:
        hit = _compute(client, url)
        with _lock:
            if len(_cache) >= CACHE_SIZE:
                _cache.clear()
            _cache[key] = hit
    return dict(hit)


def _compute(client: Any, url: str | None) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        semconv.GEN_AI_PROVIDER_NAME: PROVIDER_VERTEX if _sdk.is_vertex(client, url) else PROVIDER_GEMINI
    }
    if url is None:
        return attrs
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return attrs
    if host:
        attrs[semconv.SERVER_ADDRESS] = host
        if port is not None:
            attrs[semconv.SERVER_PORT] = port
    return attrs


__all__ = ["PROVIDER_GEMINI", "PROVIDER_VERTEX", "client_attributes"]
