"""Every internal of the ``openai`` SDK that the OpenAI instrumentation reads, in one place.

Each read has a fallback (an absent internal makes the instrumentation do less, never fail the
app), and each is checked against the installed SDK by ``tests/contract/test_sdk_internals.py``,
which names the internal that moved:

- ``openai._legacy_response.LegacyAPIResponse`` and ``openai._response.APIResponse`` /
  ``AsyncAPIResponse``: the results of ``with_raw_response`` / ``with_streaming_response``
  (public only as return types); without them those results are returned with the span ended
  from what is readable.
- ``LegacyAPIResponse._stream``: whether a raw response wraps a stream.
- ``Stream._iterator`` and the forwarding ``__iter__``/``__next__``/``__anext__`` of the
  generated stream classes (compared by bytecode): the stream proxy reads the inner iterator
  itself, one per-chunk layer instead of two; any other code is iterated as it is.
- ``resource._client``: the client a resource belongs to (its ``base_url``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from llm_agent.instrumentation._base import find_type


class _SdkTypes:
    __slots__ = ("api_response", "async_api_response", "async_stream", "base_model", "legacy_response", "stream")


_types_cache: _SdkTypes | None = None


def sdk_types() -> _SdkTypes:
    global _types_cache
    if _types_cache is None:
        import openai

        types = _SdkTypes()
        # () / _Absent when an SDK version does not have one: that check is then simply skipped.
        types.base_model = getattr(openai, "BaseModel", ())
        types.stream = openai.Stream
        types.async_stream = openai.AsyncStream
        types.legacy_response = find_type("openai._legacy_response", "LegacyAPIResponse")
        types.api_response = find_type("openai._response", "APIResponse")
        types.async_api_response = find_type("openai._response", "AsyncAPIResponse")
        _types_cache = types
    return _types_cache


def is_stream_response(raw: Any) -> bool:
    """Whether a ``LegacyAPIResponse`` wraps a stream (its ``_stream`` flag)."""
    return bool(getattr(raw, "_stream", False))


def client_base_url(resource: Any) -> Any:
    """The ``base_url`` of the client a resource belongs to (None if unknown)."""
    return getattr(getattr(resource, "_client", None), "base_url", None)


# --- skipping the SDK's forwarding layer --------------------------------------------------------
# The OpenAI SDK's ``Stream.__iter__`` is ``for item in self._iterator: yield item``
# and their ``__next__``/``__anext__`` return ``self._iterator.__next__()`` / await its
# ``__anext__()``: a layer that only forwards, resumed once per chunk.  Our proxy has a per-chunk
# layer of its own, so where a stream class's method is exactly that forwarding code (the same
# bytecode, names and constants as the references below) the proxy reads ``_iterator`` itself: the
# app gets the same items, exceptions and end, and the chunk loop has one layer, not two.  A class
# whose methods differ in any way (Anthropic's, which notify an observer per item; another SDK
# version; a subclass) is iterated as it is.


def _reference_iter(self: Any) -> Iterator[Any]:  # the SDK's code, to the letter (no yield from)
    for item in self._iterator:  # noqa: UP028
        yield item


def _reference_next(self: Any) -> Any:
    return self._iterator.__next__()


async def _reference_anext(self: Any) -> Any:
    return await self._iterator.__anext__()


_forwards: dict[tuple[type, str], bool] = {}


def _forwarding(cls: type, method: str, reference: Any) -> bool:
    """Whether ``cls.method`` is the SDK's forwarding code (cached per class and method)."""
    key = (cls, method)
    known = _forwards.get(key)
    if known is None:
        code = getattr(getattr(cls, method, None), "__code__", None)
        ref = reference.__code__
        known = code is not None and all(
            getattr(code, attr) == getattr(ref, attr)
            for attr in ("co_code", "co_names", "co_consts", "co_varnames", "co_flags", "co_argcount")
        )
        if len(_forwards) > 256:  # stream classes are few; this only bounds a pathological case
            _forwards.clear()
        _forwards[key] = known
    return known


#: The reference each proxied method is compared with.
_REFERENCES: Final = {"__iter__": _reference_iter, "__next__": _reference_next, "__anext__": _reference_anext}


def inner_iterator(stream: Any, method: str) -> Any:
    """``stream._iterator`` where ``type(stream).method`` only forwards to it, else None.

    The stream proxies' ``inner`` hook (``instrumentation/_stream.py``) for OpenAI's streams.
    """
    reference = _REFERENCES.get(method)
    if reference is None or not _forwarding(type(stream), method, reference):
        return None
    return getattr(stream, "_iterator", None)


__all__ = ["client_base_url", "inner_iterator", "is_stream_response", "sdk_types"]
