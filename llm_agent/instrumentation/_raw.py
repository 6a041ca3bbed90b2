"""Raw responses (``with_raw_response`` / ``with_streaming_response``): their span ends once.

Provider-neutral: the Stainless-generated SDKs (openai, anthropic, and the others built the same
way) share these response shapes; what a parsed body is, the provider's ``wrap_result`` decides.

A non-streamed ``with_raw_response`` result needs none of this (its body is already read, so its
span ends on return).  The others are faithful ``wrapt.ObjectProxy`` objects whose ``parse()``
feeds the span (a parsed stream is handed back inside our stream proxy) and whose ``close()`` ends
it; ``RawState.__del__`` ends it as abandoned if the app drops the response untouched.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import wrapt

from llm_agent import _errors, semconv
from llm_agent.instrumentation._spans import end_span
from llm_agent.instrumentation._stream import handle_of

if TYPE_CHECKING:
    from llm_agent.instrumentation._call import Call


def json_body(raw: Any) -> Any:
    """The JSON body of a raw response when it has been read; None otherwise."""
    http = getattr(raw, "http_response", None)
    try:
        content = http.content  # httpx raises ResponseNotRead while the body is still streaming
    except Exception:
        return None
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


class RawState:
    """The span of a raw response; ended once, by parse(), close() or garbage collection."""

    __slots__ = ("call", "done", "stream_proxy")

    def __init__(self, call: Call) -> None:
        self.call = call
        self.done = False
        self.stream_proxy: Any = None

    def parsed(self, result: Any) -> Any:
        """Feed ``parse()``'s result to the span; returns what the app gets."""
        if self.done:
            return self.stream_proxy if self.stream_proxy is not None else result
        self.done = True
        try:
            value = self.call.provider.wrap_result(self.call, result)
        except Exception as err:
            _errors.report(f"{self.call.provider.name}.raw_parse", err)
            try:
                self.call.span.end()
            except Exception:
                pass
            return result
        if handle_of(value) is not None:
            self.stream_proxy = value  # a later parse() returns the same stream
        return value

    def closed(self, raw: Any) -> None:
        if self.done:
            # Closing the response also ends a stream parsed from it that the app left unfinished.
            handle = handle_of(self.stream_proxy)
            if handle is not None:
                handle.finish()
            return
        self.done = True
        try:
            self.call.end_with(json_body(raw))
        except Exception as err:
            _errors.report(f"{self.call.provider.name}.raw_close", err)

    def __del__(self) -> None:
        if not self.done:
            self.done = True
            try:
                end_span(self.call.span, {semconv.STREAM_ABANDONED: True, semconv.USAGE_MISSING: True})
            except Exception:  # pragma: no cover - never raise from a finaliser
                pass


class LegacyRawProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    """``with_raw_response`` of a streamed call: ``parse()`` gives the (proxied) stream."""

    def __init__(self, wrapped: Any, state: RawState) -> None:
        super().__init__(wrapped)
        self._self_state = state

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_state.parsed(self.__wrapped__.parse(*args, **kwargs))


class RawProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    """``with_streaming_response`` (sync): the body is read lazily, so the span ends on
    ``parse()``, ``close()`` (the context manager's exit) or collection."""

    def __init__(self, wrapped: Any, state: RawState) -> None:
        super().__init__(wrapped)
        self._self_state = state

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_state.parsed(self.__wrapped__.parse(*args, **kwargs))

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._self_state.closed(self.__wrapped__)


class AsyncRawProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    """``with_streaming_response`` (async)."""

    def __init__(self, wrapped: Any, state: RawState) -> None:
        super().__init__(wrapped)
        self._self_state = state

    async def parse(self, *args: Any, **kwargs: Any) -> Any:
        return self._self_state.parsed(await self.__wrapped__.parse(*args, **kwargs))

    async def close(self) -> Any:
        try:
            return await self.__wrapped__.close()
        finally:
            self._self_state.closed(self.__wrapped__)
