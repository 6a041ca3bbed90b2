"""Every internal of the ``cohere`` SDK that the Cohere instrumentation reads, in one place.

Each read has a fallback (an absent internal makes the instrumentation do less, never fail the
app), and each is checked against the installed SDK by ``tests/contract/test_sdk_internals.py``:

- ``V2Client._raw_client._client_wrapper.get_base_url()``: the URL the client posts to (for
  ``server.address``/``server.port``); ``ClientV2`` reaches the same wrapper through its combined
  raw client.
"""

from __future__ import annotations

from typing import Any


def client_base_url(client: Any) -> Any:
    """The base URL (a string) a ``V2Client``/``AsyncV2Client`` posts to; None if unknown."""
    wrapper = getattr(client, "_client_wrapper", None)
    if wrapper is None:
        wrapper = getattr(getattr(client, "_raw_client", None), "_client_wrapper", None)
    get = getattr(wrapper, "get_base_url", None)
    return get() if callable(get) else None


__all__ = ["client_base_url"]
