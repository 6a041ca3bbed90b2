"""Every internal of the ``ollama`` SDK that the Ollama instrumentation reads, in one place.

Each read has a fallback (an absent internal makes the instrumentation do less, never fail the
app), and each is checked against the installed SDK by ``tests/contract/test_sdk_internals.py``:

- ``Client._client`` / ``AsyncClient._client``: the httpx client, whose ``base_url`` gives
  ``server.address``/``server.port``.
- ``ollama._client``: the ``Client`` made at import, whose bound methods are the module
  functions (``ollama.chat``...): they are re-bound to the patched methods so that they are traced.
"""

from __future__ import annotations

from typing import Any, Final

#: The module functions that are bound methods of the import-time client, and are traced.
MODULE_FUNCTIONS: Final = ("chat", "generate", "embed", "embeddings")


def client_base_url(client: Any) -> Any:
    """The httpx ``URL`` a ``Client``/``AsyncClient`` posts to; None if unknown."""
    return getattr(getattr(client, "_client", None), "base_url", None)


def default_client(module: Any) -> Any:
    """The ``Client`` the module functions are bound to (None if this SDK version has none)."""
    client = getattr(module, "_client", None)
    return client if type(client).__name__ == "Client" else None


__all__ = ["MODULE_FUNCTIONS", "client_base_url", "default_client"]
