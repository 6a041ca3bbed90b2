"""The ``invoke_model`` response body: a faithful proxy that ends the span when the app is done.

``invoke_model`` returns the model's JSON as a botocore ``StreamingBody`` under ``"body"``, which
only the app may read (reading it ahead would take it from the app, and copying it into memory
for the app would change what it gets).  So the proxy keeps a copy of the bytes as the app reads
them, and the span ends when the app is done with the body:

- it has read all of it (``read()``, the last ``read(n)``, ``iter_chunks``/``iter_lines``/``for``)
  -> usage, stop reason, response id from the body, Bedrock's token-count headers for what the
  body lacks;
- ``close()`` or ``with`` exit after a partial read, or the body dropped unread (garbage
  collection, then also ``llm_agent.stream.abandoned``) -> the headers' token counts;
- a read that raises (a timeout) -> span ERROR, the exception propagates unchanged.

The bytes are parsed when the span is built (on the direct span path by an export worker), not on
the app's thread.  Beyond ``MAX_COPY_BYTES`` the copy stops and only the headers are used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

import wrapt

from llm_agent import _errors, semconv
from llm_agent.instrumentation._spans import PendingSpan, end_span
from llm_agent.instrumentation.bedrock._request import parse_json
from llm_agent.instrumentation.bedrock._response import Usage, invoke_response
from llm_agent.instrumentation.bedrock._sdk import body_complete

#: Largest body copied for reading usage (bytes); an embedding of a few thousand floats is far below.
MAX_COPY_BYTES: Final = 8 * 1024 * 1024
_WHERE: Final = "bedrock"


class BodyState:
    """The span of one ``invoke_model`` call while the app holds its body; ends it once."""

    __slots__ = ("capture", "done", "headers", "limit", "parts", "size", "span")

    def __init__(self, span: PendingSpan, headers: Usage, capture: bool, limit: int) -> None:
        self.span = span
        self.headers = headers
        self.capture = capture
        self.limit = limit
        self.parts: list[bytes] | None = []
        self.size = 0
        self.done = False

    def take(self, data: Any) -> None:
        parts = self.parts
        if parts is not None and type(data) is bytes and data:
            self.size += len(data)
            if self.size > MAX_COPY_BYTES:
                self.parts = None
            else:
                parts.append(data)

    def finish(self, complete: bool, exc: BaseException | None = None, abandoned: bool = False) -> None:
        if self.done:
            return
        self.done = True
        parts = self.parts if complete else None
        self.parts = None
        try:
            attrs = {semconv.STREAM_ABANDONED: True} if abandoned else None
            end_span(self.span, attrs, exc, self._reader(parts))
        except Exception as err:
            _errors.report(f"{_WHERE}.body_end", err)

    def _reader(self, parts: list[bytes] | None) -> Callable[[], dict[str, Any]]:
        headers, capture, limit = self.headers, self.capture, self.limit

        def read() -> dict[str, Any]:
            try:
                data = parse_json(b"".join(parts)) if parts else None
                return invoke_response(data, headers, capture, limit)
            except Exception as err:
                _errors.report(f"{_WHERE}.response", err)
                return {}

        return read

    def __del__(self) -> None:
        if not self.done:
            try:
                self.finish(False, abandoned=True)
            except Exception:  # pragma: no cover - never raise from a finaliser
                pass


class BodyProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    """A ``StreamingBody`` that copies what the app reads and ends the span when it is done.

    ``iter_chunks``/``iter_lines``/``__iter__``/``__next__`` run botocore's own code with the
    proxy as ``self``, so every byte they deliver goes through ``read`` here.  ``with body as raw``
    hands out botocore's raw stream, as ``StreamingBody`` does; reads from it are not seen, and the
    span ends at the block's exit with the headers' counts.
    """

    def __init__(self, wrapped: Any, state: BodyState) -> None:
        super().__init__(wrapped)
        self._self_state = state

    def read(self, amt: int | None = None) -> Any:
        try:
            chunk = self.__wrapped__.read(amt)
        except BaseException as exc:
            self._self_state.finish(False, exc)
            raise
        self._seen(chunk, None, amt is None or not chunk)
        return chunk

    def readinto(self, b: Any) -> Any:
        try:
            count = self.__wrapped__.readinto(b)
        except BaseException as exc:
            self._self_state.finish(False, exc)
            raise
        self._seen(b, count, not count)
        return count

    def _seen(self, data: Any, count: int | None, at_end: bool) -> None:
        """Copy what the app just read (``count`` bytes of a ``readinto`` buffer, else ``data``
        itself); end the span once the app has had every byte."""
        state = self._self_state
        if state.done:
            return
        try:
            state.take(data if count is None else bytes(memoryview(data)[:count]))
            if at_end or body_complete(self.__wrapped__):
                state.finish(True)
        except Exception as err:
            _errors.report(f"{_WHERE}.body_read", err)

    def readlines(self) -> Any:
        lines = self.__wrapped__.readlines()
        state = self._self_state
        for line in lines:
            state.take(line)
        state.finish(True)
        return lines

    def iter_chunks(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        return type(self.__wrapped__).iter_chunks(self, *args, **kwargs)  # type: ignore[no-any-return]

    def iter_lines(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        return type(self.__wrapped__).iter_lines(self, *args, **kwargs)  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[Any]:
        return type(self.__wrapped__).__iter__(self)  # type: ignore[no-any-return]

    def __next__(self) -> Any:
        return type(self.__wrapped__).__next__(self)

    next = __next__

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._self_state.finish(False)

    def __enter__(self) -> Any:
        return self.__wrapped__.__enter__()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(exc_type, exc, tb)
        finally:
            self._self_state.finish(False)


__all__ = ["MAX_COPY_BYTES", "BodyProxy", "BodyState"]
