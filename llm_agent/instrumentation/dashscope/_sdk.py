"""Every internal of the ``dashscope`` SDK that the DashScope instrumentation reads, in one place.

Each read has a fallback (an absent internal makes the instrumentation do less, never fail the
app), and each is checked against the installed SDK by ``tests/contract/test_sdk_internals.py``,
which names the internal that moved:

- ``dashscope.base_http_api_url``: the module-level base URL the classic API (``Generation.call``...)
  posts to when the call gives no ``base_address`` (server.address/port).
- ``resource._client``: the 2.x ``Client`` a resource (``client.chat.completions``...) belongs to,
  and that client's ``config.base_url`` / ``config.protocol_base_url``.
- ``ChatStream._merge`` / ``ChatStream._server_cumulative``: whether a 2.x stream's chunks are
  cumulative snapshots (the whole text so far) rather than deltas.
- ``ChatStream``/``AsyncChatStream`` helpers (``text_stream``..., async ones through ``_text_stream``...)
  are run with the stream proxy as ``self`` (``_stream.ChatStreamProxy``).
- ``ChatStream``/``AsyncChatStream`` are iterables without ``__next__``/``__anext__``: the proxy
  reads the iterator they hand out.
"""

from __future__ import annotations

import sys
from typing import Any, Final

from llm_agent.instrumentation._base import find_type

#: Where the 2.x client's chat streams live.
CHAT_MODULE: Final = "dashscope.v2.resources.chat.completions"


class _SdkTypes:
    __slots__ = ("async_chat_stream", "chat_stream")

    def __init__(self, chat_stream: type, async_chat_stream: type) -> None:
        self.chat_stream = chat_stream
        self.async_chat_stream = async_chat_stream


_types_cache: _SdkTypes | None = None


def sdk_types() -> _SdkTypes:
    """The 2.x client's stream types (``Absent`` where this SDK version has no 2.x client)."""
    global _types_cache
    if _types_cache is None:
        _types_cache = _SdkTypes(find_type(CHAT_MODULE, "ChatStream"), find_type(CHAT_MODULE, "AsyncChatStream"))
    return _types_cache


def classic_base_url() -> Any:
    """``dashscope.base_http_api_url`` (a string), None if unknown."""
    module = sys.modules.get("dashscope")
    return getattr(module, "base_http_api_url", None)


def resource_client(resource: Any) -> Any:
    """The 2.x client a resource belongs to (None if unknown)."""
    return getattr(resource, "_client", None)


def client_base_url(client: Any, chat: bool) -> Any:
    """The URL a 2.x client posts to: its protocol's for chat, the service root otherwise."""
    config = getattr(client, "config", None)
    if chat:
        url = getattr(config, "protocol_base_url", None)
        if url is not None:
            return url
    return getattr(config, "base_url", None)


def cumulative_chunks(stream: Any) -> bool:
    """Whether a 2.x chat stream yields cumulative snapshots (its ``_merge``/``_server_cumulative``)."""
    return bool(getattr(stream, "_merge", False) or getattr(stream, "_server_cumulative", False))


def inner_iterator(stream: Any, method: str) -> Any:
    """The iterator a 2.x chat stream hands out, for the proxy's ``__next__``/``__anext__``: the
    streams are iterables (``__iter__``/``__aiter__``), not iterators."""
    if method == "__anext__" and not hasattr(stream, "__anext__"):
        return stream.__aiter__()
    if method == "__next__" and not hasattr(stream, "__next__"):
        return iter(stream)
    return None


__all__ = [
    "classic_base_url",
    "client_base_url",
    "cumulative_chunks",
    "inner_iterator",
    "resource_client",
    "sdk_types",
]
