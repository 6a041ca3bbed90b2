"""One lifecycle matrix for every provider: every call shape ends its span exactly once.

A provider's tests declare *how* to make each kind of call and *what* span each should give (a
``LifecycleCases`` subclass, handed to the matrix by a ``lifecycle`` fixture), and subclass
``LifecycleMatrix`` to get the whole matrix:

- sync/async x stream/non-stream x success/API error (x the provider's own ``variants``, such
  as OpenAI's ``with_raw_response``): the app gets the SDK's result or exception unchanged, the
  server is called once, and the one span carries exactly the declared attributes;
- every stream exit path, sync and async: exhaustion (then ``close()`` again), an error raised by
  the stream mid-way, ``break`` then ``close()``, ``close()`` before iterating, a ``with`` block
  (and the app's own exception inside it), and the stream dropped unconsumed (garbage collection).

    class TestGeminiLifecycle(LifecycleMatrix):
        @pytest.fixture
        def lifecycle(self, server):
            return GeminiCases(server)

The ``spans`` fixture (a ``llm_agent.testing.SpanCapture`` with the provider instrumented) comes
from the provider's conftest.  Attributes are compared whole, without the time to first chunk
(timing; checked for presence instead).
"""

from __future__ import annotations

import gc
from typing import Any, ClassVar

import pytest

from llm_agent.testing import SpanCapture

TTFT = "gen_ai.response.time_to_first_chunk"
CHUNKS = "llm_agent.stream.chunks"
MISSING = "llm_agent.usage.missing"
ABANDONED = "llm_agent.stream.abandoned"


class AppError(Exception):
    """The app's own failure inside a ``with`` block: not the call's."""


class LifecycleCases:
    """What a provider declares.  Every method has to be given except where a default is shown."""

    #: The exception the SDK raises for the API error ``arrange("error")`` sets up, and its
    #: ``error.type`` on the span.
    error: type[BaseException]
    error_type: str
    #: The exception iterating the stream of ``arrange("broken_stream")`` raises after one chunk.
    stream_error: type[BaseException]
    stream_error_type: str
    #: How many items the app gets from the stream of ``arrange("stream")``.
    chunks: int
    #: Extra variants of every call (e.g. ``("raw",)`` for OpenAI's ``with_raw_response``).
    variants: ClassVar[tuple[str, ...]] = ("plain",)
    #: Whether the streams are context managers (``with`` / ``async with``).
    streams_are_context_managers: ClassVar[bool] = True
    #: The name of the async stream's close coroutine (``close``, or ``aclose`` for async generators).
    async_close: ClassVar[str] = "close"

    def arrange(self, outcome: str) -> None:
        """Make the next call meet ``outcome``: "ok", "error", "stream" or "broken_stream"."""
        raise NotImplementedError

    def call(self, is_async: bool, stream: bool, variant: str = "plain") -> Any:
        """Make the call (async: return the awaitable); for ``variant`` return what the app reads
        the result from (e.g. the parsed result of a raw response — awaitables are awaited)."""
        raise NotImplementedError

    def requests(self) -> int:
        """How many requests the server has received."""
        raise NotImplementedError

    def check_result(self, result: Any, stream: bool) -> None:
        """Assert the app got the SDK's own result (a non-stream call)."""

    # --- the expected span attributes -----------------------------------------------------------
    def request(self, stream: bool) -> dict[str, Any]:
        """What the request side gives (every span has these)."""
        raise NotImplementedError

    def response(self) -> dict[str, Any]:
        """What a whole non-stream response adds."""
        raise NotImplementedError

    def full_stream(self) -> dict[str, Any]:
        """What a whole stream adds (``llm_agent.stream.chunks`` aside)."""
        raise NotImplementedError

    def first_chunk(self) -> dict[str, Any]:
        """What the stream's first chunk alone adds (with ``llm_agent.usage.missing`` if no usage yet)."""
        raise NotImplementedError


async def maybe(value: Any) -> Any:
    return await value if hasattr(value, "__await__") else value


async def consume(stream: Any, is_async: bool | None = None) -> list[Any]:
    """The stream's items: iterated as the call shape says (``is_async``), else as it looks (a
    LiteLLM stream is both a sync and an async iterator, whichever call made it)."""
    if is_async or (is_async is None and hasattr(stream, "__aiter__")):
        return [item async for item in stream]
    return list(stream)


async def first(stream: Any, is_async: bool | None = None) -> Any:
    if is_async or (is_async is None and hasattr(stream, "__aiter__")):
        async for item in stream:
            return item
    else:
        for item in stream:
            return item
    raise AssertionError("the stream was empty")


async def close(cases: LifecycleCases, stream: Any, is_async: bool) -> None:
    if is_async:
        await getattr(stream, cases.async_close)()
    else:
        stream.close()


def attributes(spans: SpanCapture) -> dict[str, Any]:
    """The one span's attributes, lists as tuples, without the time to first chunk."""
    record = spans.one()
    out = {key: tuple(value) if isinstance(value, list) else value for key, value in record.attributes.items()}
    out.pop(TTFT, None)
    return out


class LifecycleMatrix:
    """Subclass in a provider's tests with a ``lifecycle`` fixture giving its ``LifecycleCases``."""

    @pytest.fixture(params=[False, True], ids=["sync", "async"])
    def is_async(self, request: Any) -> bool:
        return bool(request.param)

    @pytest.mark.parametrize("stream", [False, True], ids=["nonstream", "stream"])
    @pytest.mark.parametrize("fails", [False, True], ids=["ok", "error"])
    async def test_call(
        self, spans: SpanCapture, lifecycle: LifecycleCases, is_async: bool, stream: bool, fails: bool
    ) -> None:
        for variant in lifecycle.variants:
            spans.clear()
            before = lifecycle.requests()
            lifecycle.arrange("error" if fails else "stream" if stream else "ok")
            request = lifecycle.request(stream)
            if fails:
                with pytest.raises(lifecycle.error) as caught:
                    result = await maybe(lifecycle.call(is_async, stream, variant))
                    if stream:
                        await consume(result, is_async)
                record = spans.one()
                assert (record.status, record.error_type) == ("ERROR", lifecycle.error_type), variant
                assert attributes(spans) == {**request, "error.type": lifecycle.error_type}
                assert record.events[0]["attributes"]["exception.message"] == str(caught.value), variant
            else:
                result = await maybe(lifecycle.call(is_async, stream, variant))
                if stream:
                    assert len(await consume(result, is_async)) == lifecycle.chunks, variant
                    expected = {**request, **lifecycle.full_stream(), CHUNKS: lifecycle.chunks}
                    assert TTFT in spans.one().attributes, variant
                else:
                    lifecycle.check_result(result, stream)
                    expected = {**request, **lifecycle.response()}
                assert spans.one().status == "UNSET", variant
                assert attributes(spans) == expected
            assert lifecycle.requests() == before + 1, variant  # the app's call ran exactly once

    # --- stream exit paths ------------------------------------------------------------------------
    async def _stream(self, lifecycle: LifecycleCases, is_async: bool, outcome: str = "stream") -> Any:
        lifecycle.arrange(outcome)
        return await maybe(lifecycle.call(is_async, True))

    def _started(self, lifecycle: LifecycleCases, chunks: int) -> dict[str, Any]:
        """A stream's span after only ``chunks`` (0 or 1) chunks were read."""
        base = {**lifecycle.request(True), CHUNKS: chunks}
        return {**base, **lifecycle.first_chunk()} if chunks else {**base, MISSING: True}

    async def test_exit_exhaustion_then_close(
        self, spans: SpanCapture, lifecycle: LifecycleCases, is_async: bool
    ) -> None:
        stream = await self._stream(lifecycle, is_async)
        assert len(await consume(stream, is_async)) == lifecycle.chunks
        await close(lifecycle, stream, is_async)  # closing after exhaustion does not end it twice
        assert attributes(spans) == {**lifecycle.request(True), **lifecycle.full_stream(), CHUNKS: lifecycle.chunks}
        assert spans.one().status == "UNSET"

    async def test_exit_error_raised_by_the_stream(
        self, spans: SpanCapture, lifecycle: LifecycleCases, is_async: bool
    ) -> None:
        stream = await self._stream(lifecycle, is_async, "broken_stream")
        seen: list[Any] = []
        with pytest.raises(lifecycle.stream_error):
            if is_async:
                async for item in stream:
                    seen.append(item)
            else:
                for item in stream:
                    seen.append(item)
        assert len(seen) == 1
        record = spans.one()
        assert (record.status, record.error_type) == ("ERROR", lifecycle.stream_error_type)
        assert attributes(spans) == {**self._started(lifecycle, 1), "error.type": lifecycle.stream_error_type}

    async def test_exit_break_then_close(self, spans: SpanCapture, lifecycle: LifecycleCases, is_async: bool) -> None:
        stream = await self._stream(lifecycle, is_async)
        await first(stream, is_async)
        assert spans.records == []  # still open: the app may iterate on
        await close(lifecycle, stream, is_async)
        assert attributes(spans) == self._started(lifecycle, 1)
        assert spans.one().ttft_s is not None

    async def test_exit_close_without_iterating(
        self, spans: SpanCapture, lifecycle: LifecycleCases, is_async: bool
    ) -> None:
        stream = await self._stream(lifecycle, is_async)
        await close(lifecycle, stream, is_async)
        await close(lifecycle, stream, is_async)  # idempotent
        assert attributes(spans) == self._started(lifecycle, 0)
        assert spans.one().ttft_s is None

    async def test_exit_with_block(self, spans: SpanCapture, lifecycle: LifecycleCases, is_async: bool) -> None:
        if not lifecycle.streams_are_context_managers:
            pytest.skip("this provider's streams are not context managers")
        stream = await self._stream(lifecycle, is_async)
        if is_async:
            async with stream as entered:
                assert entered is stream  # the proxy, not the SDK's object behind it
                items = [item async for item in entered]
        else:
            with stream as entered:
                assert entered is stream
                items = list(entered)
        assert len(items) == lifecycle.chunks
        assert attributes(spans) == {**lifecycle.request(True), **lifecycle.full_stream(), CHUNKS: lifecycle.chunks}

    async def test_exit_app_exception_inside_with(
        self, spans: SpanCapture, lifecycle: LifecycleCases, is_async: bool
    ) -> None:
        if not lifecycle.streams_are_context_managers:
            pytest.skip("this provider's streams are not context managers")
        stream = await self._stream(lifecycle, is_async)
        error = AppError("app bug")
        with pytest.raises(AppError) as caught:
            if is_async:
                async with stream as entered:
                    async for _ in entered:
                        raise error
            else:
                with stream as entered:
                    for _ in entered:
                        raise error
        assert caught.value is error  # unchanged
        assert spans.one().status == "UNSET"  # the app's failure is not the call's
        assert attributes(spans) == self._started(lifecycle, 1)

    async def test_exit_abandoned_is_ended_on_gc(
        self, spans: SpanCapture, lifecycle: LifecycleCases, is_async: bool
    ) -> None:
        stream = await self._stream(lifecycle, is_async)
        assert spans.records == []  # still open
        del stream
        gc.collect()
        assert attributes(spans) == {**self._started(lifecycle, 0), ABANDONED: True}


__all__ = ["AppError", "LifecycleCases", "LifecycleMatrix", "attributes", "consume", "maybe"]
