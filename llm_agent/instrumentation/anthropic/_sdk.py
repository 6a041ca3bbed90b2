"""Every internal of the ``anthropic`` SDK that the Anthropic instrumentation reads, in one place.

Each read has a fallback (an absent internal makes the instrumentation do less, never fail the
app), and each is checked against the installed SDK by ``tests/contract/test_sdk_internals.py``,
which names the internal that moved:

- ``anthropic._response.APIResponse`` / ``AsyncAPIResponse``: the results of
  ``with_raw_response`` / ``with_streaming_response`` (public only as return types), and their
  ``_is_sse_stream`` flag.
- ``anthropic._base_client.BaseClient._tracer``: the property through which anthropic 2.x traces
  its own requests (quieted while our wrapper runs, so one call is not two LLM spans).
- ``MessageStreamManager.__api_request`` (name-mangled): the deferred request a
  ``messages.stream(...)`` manager posts when entered.
- ``resource._client``: the client a resource belongs to (its ``base_url`` and class).
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent.instrumentation._base import find_class, find_type


class _SdkTypes:
    __slots__ = ("api_response", "async_api_response", "async_stream", "stream")


_types_cache: _SdkTypes | None = None


def sdk_types() -> _SdkTypes:
    global _types_cache
    if _types_cache is None:
        import anthropic

        types = _SdkTypes()
        types.stream = anthropic.Stream
        types.async_stream = anthropic.AsyncStream
        types.api_response = find_type("anthropic._response", "APIResponse")
        types.async_api_response = find_type("anthropic._response", "AsyncAPIResponse")
        _types_cache = types
    return _types_cache


def is_sse_stream(raw: Any) -> bool:
    """Whether a raw response's body is an event stream (its ``_is_sse_stream`` flag)."""
    return bool(getattr(raw, "_is_sse_stream", False))


def resource_client(resource: Any) -> Any:
    """The client a resource belongs to (None if unknown)."""
    return getattr(resource, "_client", None)


#: Where anthropic 2.x keeps the tracer it traces its own requests with.
BASE_CLIENT: Final = ("anthropic._base_client", "BaseClient")
TRACER_PROPERTY: Final = "_tracer"
#: The end of the name-mangled attribute holding a stream manager's deferred request.
_REQUEST_SLOT_SUFFIX: Final = "__api_request"


def tracer_property() -> tuple[Any, property] | None:
    """(``BaseClient``, its ``_tracer`` property) where this SDK version has them."""
    base = find_class(*BASE_CLIENT)
    if base is None:
        return None
    original = base.__dict__.get(TRACER_PROPERTY)
    return (base, original) if isinstance(original, property) else None


def request_slot(manager: Any) -> str | None:
    """The name-mangled ``__api_request`` attribute of a ``(Beta)(Async)MessageStreamManager``."""
    for name in vars(manager):
        if name.endswith(_REQUEST_SLOT_SUFFIX):
            return name
    return None


__all__ = ["is_sse_stream", "request_slot", "resource_client", "sdk_types", "tracer_property"]
