"""DashScope stream accumulator: classic ``Generation.call(stream=True)`` responses and 2.x chunks.

Two chunk shapes reach the app, and the span must count each stream once:

- cumulative (the classic API without ``incremental_output``, the 2.x client's merged streams):
  every chunk repeats the whole text so far *and* the usage so far, so the last chunk is the
  answer and its usage the call's — nothing is summed;
- incremental (``incremental_output=True``): each chunk holds only the new text, while the usage
  (on the native protocol) is still the running total.

Usage is therefore always the last usage seen, never a sum.  Per chunk the accumulator keeps
references (cheap: it runs on the app's thread); texts are joined only with content capture on.
A classic stream reports an API error as a chunk with a ``status_code`` (no exception): that ends
the span as an error with the chunk's ``code`` and the app still gets the chunk.
"""

from __future__ import annotations

from typing import Any

from llm_agent._util import ErrorResult
from llm_agent.instrumentation._stream import AsyncStreamProxy, StreamHandle, SyncStreamProxy
from llm_agent.instrumentation.dashscope._extract import (
    HTTP_OK,
    choices_of,
    error_of,
    finish_reason,
    message_attributes,
    response_id,
    sent_counts,
    usage_attributes,
)
from llm_agent.instrumentation.dashscope._extract import read_field as _g


class _Choice:
    """One choice of an incremental stream, joined from its deltas."""

    __slots__ = ("calls", "content", "reason", "reasoning", "role")

    def __init__(self) -> None:
        self.role: Any = None
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.calls: dict[int, dict[str, Any]] = {}  # tool call index -> {"id", "name", "arguments"}
        self.reason: str | None = None

    def add(self, delta: Any, capture: bool) -> None:
        if self.role is None:
            self.role = _g(delta, "role")
        if capture:
            for key, pieces in (("content", self.content), ("reasoning_content", self.reasoning)):
                piece = _g(delta, key)
                if type(piece) is str and piece:
                    pieces.append(piece)
        for position, call in enumerate(_g(delta, "tool_calls") or ()):
            index = _g(call, "index")
            slot = self.calls.setdefault(index if type(index) is int else position, {"arguments": ""})
            function = _g(call, "function")
            for key, value in (("id", _g(call, "id")), ("name", _g(function, "name"))):
                if type(value) is str and value:
                    slot[key] = value
            if capture:
                arguments = _g(function, "arguments")
                if type(arguments) is str and arguments:
                    before = slot["arguments"]
                    # native chunks repeat the arguments so far, OpenAI-protocol ones send fragments
                    slot["arguments"] = arguments if arguments.startswith(before) else before + arguments

    def message(self) -> dict[str, Any]:
        calls = [
            {"id": c.get("id"), "function": {"name": c.get("name"), "arguments": c["arguments"]}}
            for _, c in sorted(self.calls.items())
        ]
        return {
            "role": self.role or "assistant",
            "content": "".join(self.content),
            "reasoning_content": "".join(self.reasoning),
            "tool_calls": calls,
        }


class ChunkAccumulator:
    """The state of one DashScope stream (see the module docstring)."""

    __slots__ = ("capture", "classic", "cumulative", "first", "handle", "incremental", "last", "limit", "usage")

    def __init__(self, capture: bool, limit: int, cumulative: bool) -> None:
        self.capture = capture
        self.limit = limit
        self.cumulative = cumulative
        #: The span's handle, to end it as an error at a classic error chunk (set by the provider).
        self.handle: StreamHandle | None = None
        self.first: Any = None  # the first chunk (its request id, model)
        self.classic = False  # the classic API's dict responses, else the 2.x client's models
        self.last: dict[int, tuple[Any, Any]] = {}  # cumulative: choice index -> (message, reason)
        self.incremental: dict[int, _Choice] = {}
        self.usage: Any = None  # the last usage the server sent

    def add(self, item: Any) -> bool:
        if self.first is None:
            self.first = item
            self.classic = isinstance(item, dict)
        values = None if self.classic else getattr(item, "__dict__", None)
        if values is None:
            return self._add_classic(item)
        # A 2.x chunk (a pydantic model): its fields read from ``__dict__``, the cheapest way on
        # this per-chunk path; its ``usage`` is None unless the server sent one.
        usage = values.get("usage")
        if usage is not None:
            self.usage = usage
        for position, choice in enumerate(values.get("choices") or ()):
            fields = getattr(choice, "__dict__", None) or {}
            index = fields.get("index")
            delta = fields.get("delta")
            self._choice(
                index if type(index) is int else position,
                delta if delta is not None else fields.get("message"),
                finish_reason(fields.get("finish_reason")),
            )
        return False

    def _add_classic(self, item: Any) -> bool:
        status = _g(item, "status_code")
        if status is not None and status != HTTP_OK and self.handle is not None:
            error = error_of(item)
            if error is not None:
                self.handle.finish(ErrorResult(*error))
                return False
        usage = _g(item, "usage")
        if usage is not None and sent_counts(usage):
            self.usage = usage
        for index, message, reason in choices_of(item):
            self._choice(index, message, reason)
        return False

    def _choice(self, index: int, message: Any, reason: str | None) -> None:
        if self.cumulative:
            previous = self.last.get(index)
            # the last chunk may carry no finish reason again: keep the one seen
            self.last[index] = (message, reason if reason is not None else previous and previous[1])
            return
        choice = self.incremental.get(index)
        if choice is None:
            choice = self.incremental[index] = _Choice()
        if message is not None:
            choice.add(message, self.capture)
        if reason is not None:
            choice.reason = reason

    def attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        if self.first is not None:
            response_id(self.first, attrs)
        if self.cumulative:
            choices = [self.last[i] for i in sorted(self.last)]
        else:
            choices = [(c.message(), c.reason) for _, c in sorted(self.incremental.items())]
        message_attributes(choices, self.capture, self.limit, attrs)
        usage_attributes(self.usage, attrs)
        return attrs


def _helper(name: str) -> property:
    def read(proxy: Any) -> Any:
        # The SDK's own helper, run with the proxy as ``self``: it iterates the proxy, so the
        # chunks reach the accumulator and the span ends with the stream.
        helper = getattr(type(proxy.__wrapped__), name, None)
        if isinstance(helper, property) and helper.fget is not None:
            return helper.fget(proxy)
        return getattr(proxy.__wrapped__, name)  # not the property it was: the SDK's own, as is

    return property(read, doc=f"The SDK's ``{name}``, read through the instrumented stream.")


class ChatStreamProxy(SyncStreamProxy):
    """A 2.x ``ChatStream``: its helpers (``text_stream``, ``get_final_message()``...) iterate the
    proxy instead of the bare stream, so using them ends the span with the whole answer."""

    text_stream = _helper("text_stream")
    reasoning_stream = _helper("reasoning_stream")
    tool_call_stream = _helper("tool_call_stream")

    def get_final_message(self) -> Any:
        return type(self.__wrapped__).get_final_message(self)


class AsyncChatStreamProxy(AsyncStreamProxy):
    """A 2.x ``AsyncChatStream``, likewise: its helper properties return ``self._text_stream()``
    (and the like), async generators over ``self``, so those run with the proxy as ``self``."""

    text_stream = _helper("text_stream")
    reasoning_stream = _helper("reasoning_stream")
    tool_call_stream = _helper("tool_call_stream")

    def _text_stream(self) -> Any:
        return type(self.__wrapped__)._text_stream(self)

    def _reasoning_stream(self) -> Any:
        return type(self.__wrapped__)._reasoning_stream(self)

    def _tool_call_stream(self) -> Any:
        return type(self.__wrapped__)._tool_call_stream(self)

    async def get_final_message(self) -> Any:
        return await type(self.__wrapped__).get_final_message(self)


__all__ = ["AsyncChatStreamProxy", "ChatStreamProxy", "ChunkAccumulator"]
