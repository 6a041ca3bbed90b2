"""Stream accumulators for Bedrock's two event streams (used with the shared stream proxies).

``converse_stream`` yields one dict per event (``messageStart``, ``contentBlockStart``,
``contentBlockDelta``, ``contentBlockStop``, ``messageStop``, ``metadata``); usage is in
``metadata``, the stop reason in ``messageStop``.

``invoke_model_with_response_stream`` yields ``{"chunk": {"bytes": b"..."}}``, the bytes being the
model's native JSON event.  Bedrock's own count is in the last chunk's
``amazon-bedrock-invocationMetrics``; it wins over the model's native counts (which are the
fallback should the stream stop before it) because it is what Bedrock bills and it is there for
every model family.  A chunk that can only hold generated text is not parsed at all unless content
is captured: per chunk that is two byte-string searches instead of a JSON parse.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Final

from llm_agent import semconv
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation._stream import SyncStreamProxy
from llm_agent.instrumentation.bedrock._response import (
    NO_USAGE,
    REASON_KEYS,
    Usage,
    converse_usage,
    merge,
    output_message,
    usage_attributes,
    usage_of,
)

#: Byte markers of a native stream chunk that carries nothing but generated text (Claude, Nova).
TEXT_ONLY_MARKERS: Final = (b'"content_block_delta"', b'"contentBlockDelta"')
METRICS_KEY: Final = "amazon-bedrock-invocationMetrics"
_METRICS_MARKER: Final = METRICS_KEY.encode()
#: Generated-text keys of the native stream events: Titan, Llama, Cohere.
TEXT_KEYS: Final = ("outputText", "generation", "text")


class EventStreamProxy(SyncStreamProxy):
    """The shared stream proxy, faithful to what botocore's ``EventStream`` is not.

    ``EventStream`` is iterable but neither an iterator nor a context manager; the shared proxy
    defines ``__next__``/``__enter__`` for the SDKs whose streams are.  Here they fail as Python
    fails on the bare ``EventStream`` (same exception type and message), unless a botocore release
    adds them, in which case they are the shared proxy's.
    """

    def __next__(self) -> Any:
        if not hasattr(type(self.__wrapped__), "__next__"):
            raise TypeError(f"'{type(self.__wrapped__).__name__}' object is not an iterator")
        return super().__next__()

    def __enter__(self) -> Any:
        if not hasattr(type(self.__wrapped__), "__enter__"):
            if sys.version_info < (3, 11):
                raise AttributeError("__enter__")
            raise TypeError(f"'{type(self.__wrapped__).__name__}' object does not support the context manager protocol")
        return super().__enter__()


class _Base:
    """What both accumulators collect: a stop reason, tool calls, captured text, usage."""

    __slots__ = ("capture", "limit", "reason", "texts", "tool_args", "tool_names", "usage")

    def __init__(self, capture: bool, limit: int) -> None:
        self.capture = capture
        self.limit = limit
        self.reason: str | None = None
        self.usage: Usage = NO_USAGE
        # Three small containers per stream (not per chunk); texts and arguments only fill when
        # content is captured.
        self.tool_names: list[str] = []
        self.texts: list[str] = []
        self.tool_args: dict[Any, list[str]] = {}  # block index -> [name, argument parts...]

    def _text(self, text: Any) -> None:
        if type(text) is str:
            self.texts.append(text)

    def _tool_start(self, index: Any, name: Any) -> None:
        if type(name) is str:
            self.tool_names.append(name)
            if self.capture:
                self.tool_args[index] = [name]

    def _tool_delta(self, index: Any, part: Any) -> None:
        parts = self.tool_args.get(index)
        if parts is not None and type(part) is str:
            parts.append(part)

    def _reason(self, value: Any) -> None:
        if type(value) is str:
            self.reason = value

    def extra(self, attrs: dict[str, Any]) -> None:
        """Family-specific end attributes (response id, model)."""

    def attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        self.extra(attrs)
        if self.reason is not None:
            attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [self.reason]
        if self.tool_names:
            attrs[semconv.TOOL_CALL_NAMES] = self.tool_names
        if self.capture and (self.texts or self.tool_args):
            calls = [{"name": p[0], "arguments": "".join(p[1:])} for p in self.tool_args.values()]
            out = output_message("".join(self.texts), calls, self.reason)
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json([out], self.limit)
        usage_attributes(self.usage, attrs)
        return attrs


class ConverseAccumulator(_Base):
    """``converse_stream`` events."""

    __slots__ = ()

    def add(self, event: Any) -> bool:
        delta = event.get("contentBlockDelta")  # the most frequent event first
        if delta is not None:
            if self.capture:
                inner = delta.get("delta") or {}
                if "text" in inner:
                    self._text(inner["text"])
                elif "toolUse" in inner:
                    self._tool_delta(delta.get("contentBlockIndex"), (inner["toolUse"] or {}).get("input"))
            return False
        start = event.get("contentBlockStart")
        if start is not None:
            use = (start.get("start") or {}).get("toolUse")
            if type(use) is dict:
                self._tool_start(start.get("contentBlockIndex"), use.get("name"))
        elif "messageStop" in event:
            self._reason((event["messageStop"] or {}).get("stopReason"))
        elif "metadata" in event:
            self.usage = converse_usage((event["metadata"] or {}).get("usage"))
        return False


class InvokeStreamAccumulator(_Base):
    """``invoke_model_with_response_stream`` chunks, any model family."""

    __slots__ = ("id", "metrics", "model")

    def __init__(self, capture: bool, limit: int) -> None:
        super().__init__(capture, limit)
        self.id: str | None = None
        self.model: str | None = None
        self.metrics: Usage = NO_USAGE

    def add(self, event: Any) -> bool:
        chunk = event.get("chunk")
        data = chunk.get("bytes") if type(chunk) is dict else None
        if type(data) is not bytes:
            return False
        if not self.capture and _METRICS_MARKER not in data:
            for marker in TEXT_ONLY_MARKERS:
                if marker in data:
                    return False
        try:
            native = json.loads(data)
        except ValueError:
            return False
        if type(native) is dict:
            self._native(native)
        return False

    def _native(self, event: dict[str, Any]) -> None:
        metrics = event.get(METRICS_KEY)
        if type(metrics) is dict:
            self.metrics = merge(
                usage_of(
                    {
                        "inputTokens": metrics.get("inputTokenCount"),
                        "outputTokens": metrics.get("outputTokenCount"),
                        "cacheReadInputTokenCount": metrics.get("cacheReadInputTokenCount"),
                        "cacheWriteInputTokenCount": metrics.get("cacheWriteInputTokenCount"),
                    }
                ),
                self.metrics,
            )
        kind = event.get("type")
        if kind is not None:  # Claude's Messages events
            self._claude(kind, event)
            return
        for key in ("contentBlockDelta", "contentBlockStart", "messageStop", "metadata"):  # Nova
            if key in event:
                self._nova(key, event[key])
                return
        for key in TEXT_KEYS:  # Titan, Llama, Cohere
            if self.capture and type(event.get(key)) is str:
                self._text(event[key])
                break
        outputs = event.get("outputs")  # Mistral
        if isinstance(outputs, list):
            for item in outputs:
                if type(item) is dict:
                    if self.capture:
                        self._text(item.get("text"))
                    self._reason(item.get("stop_reason"))
        for key in REASON_KEYS:
            self._reason(event.get(key))
        self.usage = merge(usage_of({**event, "outputTokens": event.get("totalOutputTextTokenCount")}), self.usage)

    def _claude(self, kind: Any, event: dict[str, Any]) -> None:
        if kind == "content_block_delta":
            delta = event.get("delta") or {}
            if delta.get("type") == "text_delta":
                self._text(delta.get("text"))
            elif delta.get("type") == "input_json_delta":
                self._tool_delta(event.get("index"), delta.get("partial_json"))
        elif kind == "message_start":
            message = event.get("message") or {}
            if type(message.get("id")) is str:
                self.id = message["id"]
            if type(message.get("model")) is str:
                self.model = message["model"]
            self.usage = merge(usage_of(message.get("usage")), self.usage)
        elif kind == "content_block_start":
            block = event.get("content_block") or {}
            if block.get("type") == "tool_use":
                self._tool_start(event.get("index"), block.get("name"))
        elif kind == "message_delta":
            self._reason((event.get("delta") or {}).get("stop_reason"))
            self.usage = merge(usage_of(event.get("usage")), self.usage)

    def _nova(self, key: str, value: Any) -> None:
        if type(value) is not dict:
            return
        if key == "contentBlockDelta":
            delta = value.get("delta") or {}
            if "text" in delta:
                self._text(delta["text"])
            elif "toolUse" in delta:
                self._tool_delta(value.get("contentBlockIndex"), (delta["toolUse"] or {}).get("input"))
        elif key == "contentBlockStart":
            use = (value.get("start") or {}).get("toolUse")
            if type(use) is dict:
                self._tool_start(value.get("contentBlockIndex"), use.get("name"))
        elif key == "messageStop":
            self._reason(value.get("stopReason"))
        else:
            self.usage = merge(usage_of(value.get("usage")), self.usage)

    def extra(self, attrs: dict[str, Any]) -> None:
        if self.id is not None:
            attrs[semconv.GEN_AI_RESPONSE_ID] = self.id
        if self.model is not None:
            attrs[semconv.GEN_AI_RESPONSE_MODEL] = self.model
        self.usage = merge(self.metrics, self.usage)


__all__ = ["ConverseAccumulator", "EventStreamProxy", "InvokeStreamAccumulator"]
