"""Streams that send their request only when first iterated (Cohere's ``chat_stream``, Ollama's
``stream=True`` results): the generator the SDK returns has not posted anything yet.

An error raised by the first ``next()`` — the API's error response, a refused connection — is
then the call's failure, as it would be for a non-stream call (``Call.fail``: the request side
and ``error.type``, no chunk count or usage), not the failure of a stream that had started.
Everything after the first chunk, and every exit path before it (``close()`` before iterating,
the stream dropped), is the shared stream proxies' (``_stream``), ending the span once.

The time to first chunk is counted from the first ``next()``, when the request is sent, not from
the call that made the generator.  The layer costs one generator resume per chunk; the exception,
the items and the SDK's own ``close()``/``aclose()`` of its generator pass through unchanged.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from llm_agent.instrumentation._call import Call
from llm_agent.instrumentation._stream import AsyncStreamProxy, StreamHandle, SyncStreamProxy

_now = time.perf_counter_ns


def lazy_stream(call: Call, stream: Any) -> Any:
    """The app's stream for ``stream`` (a generator or async generator not started yet)."""
    handle = call.stream_handle()
    if hasattr(stream, "__anext__"):
        return AsyncStreamProxy(_async_items(call, handle, stream), handle)
    return SyncStreamProxy(_items(call, handle, stream), handle)


def _failed_at_start(call: Call, handle: StreamHandle, exc: BaseException) -> None:
    # The stream's handle must not end the span too (it would add a chunk count and unknown usage).
    handle.done = True
    call.fail(exc)


def _items(call: Call, handle: StreamHandle, stream: Iterator[Any]) -> Iterator[Any]:
    handle.start_ns = _now()  # the request is sent now
    try:
        first = next(stream)
    except StopIteration:
        return
    except BaseException as exc:
        _failed_at_start(call, handle, exc)
        raise
    yield first
    yield from stream  # closing this generator closes the SDK's (``yield from`` delegates it)


async def _async_items(call: Call, handle: StreamHandle, stream: Any) -> AsyncIterator[Any]:
    handle.start_ns = _now()  # the request is sent now
    try:
        first = await stream.__anext__()
    except StopAsyncIteration:
        return
    except BaseException as exc:
        _failed_at_start(call, handle, exc)
        raise
    try:
        yield first
        async for item in stream:
            yield item
    finally:
        # ``aclose()`` of this generator must reach the SDK's (its HTTP response is closed there).
        await stream.aclose()


__all__ = ["lazy_stream"]
