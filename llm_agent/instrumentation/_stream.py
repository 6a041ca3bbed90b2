"""Stream proxies shared by every provider: the span of a streamed call ends exactly once.

A provider supplies an *accumulator* (``add(item) -> hide?`` per chunk/event, ``attributes()``
when the span is built — on the direct span path by an export worker, after the end); this module
owns the lifecycle.  Exit paths, all funnelled into one idempotent
``StreamHandle.finish``:

- exhaustion (``StopIteration`` / ``StopAsyncIteration``) -> span OK;
- an exception raised by the stream -> span ERROR, the exception propagates unchanged;
- ``close()`` (before, during or after iterating), ``with`` / ``async with`` exit -> span OK,
  the app's own exception inside the block propagates unchanged and is not the call's error;
- the stream dropped unconsumed -> finished on garbage collection with
  ``llm_agent.stream.abandoned=true``.

Per chunk the proxy does a counter increment and one accumulator call; everything else
(attribute, method, ``.response``) passes through ``wrapt.ObjectProxy`` untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import wrapt

from llm_agent import _errors, semconv
from llm_agent.instrumentation._spans import PendingSpan, end_span

_now = time.perf_counter_ns


class Accumulator(Protocol):
    """Per-provider state of one stream."""

    def add(self, item: Any) -> bool:
        """Take one chunk/event; return True to hide it from the app (an injected usage chunk)."""
        ...

    def attributes(self) -> dict[str, Any]:
        """The span's end attributes from what was seen (usage, response ids, finish reasons...)."""
        ...


class StreamHandle:
    """The span of one streamed call and its single finaliser.

    Held only by the proxies, so when the app drops them unconsumed this object is collected
    too and ``__del__`` ends the span as abandoned.
    """

    __slots__ = ("accumulator", "add", "chunks", "done", "first_ns", "secrets", "span", "start_ns", "where")

    def __init__(
        self,
        span: PendingSpan,
        accumulator: Accumulator,
        start_ns: int,
        where: str,
        secrets: Callable[[], tuple[str, ...]] | None = None,
    ) -> None:
        self.span = span
        self.accumulator = accumulator
        self.add = accumulator.add  # bound once: the per-chunk path skips the attribute lookup
        self.start_ns = start_ns  # perf_counter_ns at call start, for time to first chunk
        self.first_ns = 0
        self.chunks = 0
        self.done = False
        self.where = where  # error-funnel prefix, e.g. "openai"
        self.secrets = secrets  # the client's credentials, read if the stream fails (Call.secrets)

    def finish(self, exc: BaseException | None = None, abandoned: bool = False, complete: bool = False) -> None:
        """End the span once.  ``complete``: the stream was read to its end (time per chunk known)."""
        if self.done:
            return
        end_ns = _now() if complete else 0  # read first: as close to the last chunk as we can
        self.done = True
        # Chunks after the end (an app iterating on after ``close()``) no longer reach the
        # accumulator, whose attributes are read when the span is built (on the export thread).
        self.add = _after_end
        try:
            attrs: dict[str, Any] = {semconv.STREAM_CHUNKS: self.chunks}
            if self.first_ns:
                attrs[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = (self.first_ns - self.start_ns) / 1e9
            if end_ns and self.chunks > 1:
                # The mean gap between chunks after the first: from the two clock reads the proxy
                # already makes (first chunk, end), not one per chunk on the app's thread.  The
                # metrics consumer records it per stream (time_per_output_chunk).
                attrs[semconv.STREAM_TIME_PER_CHUNK] = (end_ns - self.first_ns) / 1e9 / (self.chunks - 1)
            if abandoned:
                attrs[semconv.STREAM_ABANDONED] = True
            secrets = self.secrets() if exc is not None and self.secrets is not None else ()
            end_span(self.span, attrs, exc, self.late_attributes, secrets)
        except Exception as err:
            _errors.report(f"{self.where}.stream_end", err)

    def late_attributes(self) -> dict[str, Any]:
        """The accumulator's end attributes (usage, ids, finish reasons...); {} if reading failed."""
        try:
            return self.accumulator.attributes()
        except Exception as err:
            _errors.report(f"{self.where}.stream_attributes", err)
            return {}

    def __del__(self) -> None:
        if not self.done:
            try:
                self.finish(abandoned=True)
            except Exception:  # pragma: no cover - never raise from a finaliser
                pass


def _after_end(item: Any) -> bool:
    return False


#: ``inner(stream, method)``: a provider's hook that returns the iterator to read in place of
#: ``stream``'s ``method`` where that method only forwards to it (the SDK's own layer per chunk
#: skipped), else None.  See ``openai/_sdk.py``.
InnerIterator = Callable[[Any, str], Any]


class SyncStreamProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    """A synchronous stream (``openai.Stream``, ``anthropic.Stream``, a generator...) that ends its span."""

    def __init__(self, wrapped: Any, handle: StreamHandle, inner: InnerIterator | None = None) -> None:
        super().__init__(wrapped)
        self._self_handle = handle
        self._self_inner = inner
        self._self_next: Any = None  # the bound next/anext to call, found on first use

    def __iter__(self) -> Iterator[Any]:
        # A ``for`` loop (what apps do) runs through this generator: per chunk that is one
        # generator resume driven by the interpreter's own loop over the stream's iterator,
        # instead of a Python ``__next__`` call that looks up and calls the stream's ``__next__``.
        # ``next(proxy)`` still works (below); both advance the same underlying iterator.
        stream = self.__wrapped__
        inner = self._self_inner
        source = inner(stream, "__iter__") if inner is not None else None
        return _iterate(stream if source is None else source, self._self_handle)

    def __next__(self) -> Any:
        handle = self._self_handle
        next_item = self._self_next
        if next_item is None:
            next_item = self._self_next = _bound(self.__wrapped__, "__next__", self._self_inner)
        while True:
            try:
                item = next_item()
            except StopIteration:
                handle.finish(complete=True)
                raise
            except BaseException as exc:
                handle.finish(exc)
                raise
            # Inlined per-chunk accounting: this runs for every chunk on the app's thread.
            count = handle.chunks
            if not count:
                handle.first_ns = _now()
            handle.chunks = count + 1
            try:
                if not handle.add(item):
                    return item
            except Exception as err:
                _errors.report(f"{handle.where}.stream_chunk", err)
                return item

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._self_handle.finish()

    def __enter__(self) -> Any:
        result = self.__wrapped__.__enter__()
        return self if result is self.__wrapped__ else result

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, tb)
        finally:
            # The app's exception inside ``with`` is not the call's failure: the span ends OK.
            self._self_handle.finish()


def _iterate(stream: Any, handle: StreamHandle) -> Iterator[Any]:
    """``iter(stream)``'s items with the per-chunk accounting of ``SyncStreamProxy.__next__``.

    Each chunk goes to the accumulator at once and is not held: keeping even a few dozen chunks
    alive for a batched read (or for reading them on the export thread) was measured slower in
    the benchmark (the SDK's allocations for the next chunks then land on colder memory), see
    docs/performance.md.
    """
    try:
        for item in stream:
            # Inlined per-chunk accounting: this runs for every chunk on the app's thread.
            count = handle.chunks
            if not count:
                handle.first_ns = _now()
            handle.chunks = count + 1
            try:
                if handle.add(item):  # read per chunk: ``finish`` swaps it
                    continue  # hidden from the app (the usage chunk we asked for)
            except Exception as err:
                _errors.report(f"{handle.where}.stream_chunk", err)
            yield item
    except GeneratorExit:
        # The app left its loop early and the generator was closed: not the end of the stream
        # (the app may iterate on, or close it; else it ends as abandoned).
        raise
    except BaseException as exc:
        handle.finish(exc)
        raise
    handle.finish(complete=True)


class AsyncStreamProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    """An asynchronous stream (``openai.AsyncStream``, an async generator...) that ends its span."""

    def __init__(self, wrapped: Any, handle: StreamHandle, inner: InnerIterator | None = None) -> None:
        super().__init__(wrapped)
        self._self_handle = handle
        self._self_inner = inner
        self._self_next: Any = None  # the bound next/anext to call, found on first use

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        handle = self._self_handle
        next_item = self._self_next
        if next_item is None:
            next_item = self._self_next = _bound(self.__wrapped__, "__anext__", self._self_inner)
        while True:
            try:
                item = await next_item()
            except StopAsyncIteration:
                handle.finish(complete=True)
                raise
            except BaseException as exc:
                handle.finish(exc)
                raise
            # Inlined per-chunk accounting: this runs for every chunk on the app's thread.
            count = handle.chunks
            if not count:
                handle.first_ns = _now()
            handle.chunks = count + 1
            try:
                if not handle.add(item):
                    return item
            except Exception as err:
                _errors.report(f"{handle.where}.stream_chunk", err)
                return item

    async def close(self) -> Any:
        try:
            return await self.__wrapped__.close()
        finally:
            self._self_handle.finish()

    async def aclose(self) -> Any:
        """An async generator's ``aclose()`` (google-genai's streams are async generators)."""
        try:
            return await self.__wrapped__.aclose()
        finally:
            self._self_handle.finish()

    async def __aenter__(self) -> Any:
        result = await self.__wrapped__.__aenter__()
        return self if result is self.__wrapped__ else result

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(exc_type, exc, tb)
        finally:
            self._self_handle.finish()


def _bound(stream: Any, method: str, inner: InnerIterator | None) -> Any:
    """``stream``'s bound ``method``, or the inner iterator's where the provider's hook finds one."""
    source = inner(stream, method) if inner is not None else None
    return getattr(stream if source is None else source, method)


def handle_of(obj: Any) -> StreamHandle | None:
    """The handle behind one of our stream proxies (None for anything else)."""
    if isinstance(obj, (SyncStreamProxy, AsyncStreamProxy)):
        return obj._self_handle  # type: ignore[no-any-return]
    return None


def finish_helper_stream(helper: Any) -> None:
    """End the span under an SDK helper stream (``ChatCompletionStream``, ``ResponseStream``...).

    Those helpers close the HTTP response directly rather than through the raw stream they
    iterate, so their ``close()`` is patched to call this with the helper object.
    """
    handle = handle_of(getattr(helper, "_raw_stream", None))
    if handle is not None:
        handle.finish()


__all__ = [
    "Accumulator",
    "AsyncStreamProxy",
    "StreamHandle",
    "SyncStreamProxy",
    "finish_helper_stream",
    "handle_of",
]
