"""Every internal of the ``groq`` SDK that the Groq instrumentation reads, in one place.

Each read has a fallback (an absent internal makes the instrumentation do less, never fail the
app), and each is checked against the installed SDK by ``tests/contract/test_sdk_internals.py``,
which names the internal that moved:

- ``groq._response.APIResponse`` / ``AsyncAPIResponse``: the results of ``with_raw_response`` /
  ``with_streaming_response`` (public only as return types), and their ``_is_sse_stream`` flag.
- ``resource._client``: the client a resource belongs to (its ``base_url``).
"""

from __future__ import annotations

from typing import Any

from llm_agent.instrumentation._base import find_type


class _SdkTypes:
    __slots__ = ("api_response", "async_api_response", "async_stream", "base_model", "stream")
    api_response: type
    async_api_response: type
    async_stream: type
    base_model: Any  # a type, or () where the SDK has none (an isinstance check then never matches)
    stream: type


_types_cache: _SdkTypes | None = None


def sdk_types() -> _SdkTypes:
    global _types_cache
    if _types_cache is None:
        import groq

        types = _SdkTypes()
        types.base_model = getattr(groq, "BaseModel", ())
        types.stream = groq.Stream
        types.async_stream = groq.AsyncStream
        types.api_response = find_type("groq._response", "APIResponse")
        types.async_api_response = find_type("groq._response", "AsyncAPIResponse")
        _types_cache = types
    return _types_cache


def is_sse_stream(raw: Any) -> bool:
    """Whether a raw response's body is an event stream (its ``_is_sse_stream`` flag)."""
    return bool(getattr(raw, "_is_sse_stream", False))


def client_base_url(resource: Any) -> Any:
    """The ``base_url`` of the client a resource belongs to (None if unknown)."""
    return getattr(getattr(resource, "_client", None), "base_url", None)


__all__ = ["client_base_url", "is_sse_stream", "sdk_types"]
