"""Stream accumulator for Anthropic's Messages events (used with the shared stream proxies).

Usage arrives in two places: ``message_start`` carries the input side (and a provisional output
count), ``message_delta`` the cumulative output count and, on newer API versions, the input side
again; a later non-null value wins.  Text deltas are kept only when content is captured.
"""

from __future__ import annotations

from typing import Any

from llm_agent import semconv
from llm_agent.instrumentation import _content as c
from llm_agent.instrumentation.anthropic._extract import _tok, usage_attributes


class MessageAccumulator:
    __slots__ = (
        "cache_creation",
        "cache_read",
        "capture",
        "id",
        "input_tokens",
        "limit",
        "model",
        "output_tokens",
        "reason",
        "texts",
        "thinking",
        "thinking_texts",
        "tool_args",
        "tool_names",
    )

    def __init__(self, capture: bool, limit: int) -> None:
        self.capture = capture
        self.limit = limit
        self.id: str | None = None
        self.model: str | None = None
        self.reason: str | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.cache_read: int | None = None
        self.cache_creation: int | None = None
        self.thinking: int | None = None
        self.tool_names: list[str] | None = None
        self.texts: list[str] | None = None
        self.thinking_texts: list[str] | None = None
        self.tool_args: dict[int, list[str]] | None = None

    def _take_usage(self, usage: Any) -> None:
        if usage is None:
            return
        for attr, field in (
            ("input_tokens", "input_tokens"),
            ("output_tokens", "output_tokens"),
            ("cache_read", "cache_read_input_tokens"),
            ("cache_creation", "cache_creation_input_tokens"),
        ):
            value = _tok(getattr(usage, field, None))
            if value is not None:
                setattr(self, attr, value)
        value = _tok(getattr(getattr(usage, "output_tokens_details", None), "thinking_tokens", None))
        if value is not None:
            self.thinking = value

    def add(self, event: Any) -> bool:
        kind = getattr(event, "type", None)
        if kind == "content_block_delta":  # the most frequent event first
            if self.capture:
                delta = getattr(event, "delta", None)
                dtype = getattr(delta, "type", None)
                if dtype == "text_delta":
                    if self.texts is None:
                        self.texts = []
                    self.texts.append(getattr(delta, "text", "") or "")
                elif dtype == "thinking_delta":
                    if self.thinking_texts is None:
                        self.thinking_texts = []
                    self.thinking_texts.append(getattr(delta, "thinking", "") or "")
                elif dtype == "input_json_delta" and self.tool_args is not None:
                    parts = self.tool_args.get(getattr(event, "index", -1))
                    if parts is not None:
                        parts.append(getattr(delta, "partial_json", "") or "")
        elif kind == "message_start":
            message = getattr(event, "message", None)
            self.id = getattr(message, "id", None)
            self.model = getattr(message, "model", None)
            self._take_usage(getattr(message, "usage", None))
        elif kind == "content_block_start":
            block = getattr(event, "content_block", None)
            if getattr(block, "type", None) == "tool_use":
                name = getattr(block, "name", None)
                if type(name) is str:
                    if self.tool_names is None:
                        self.tool_names = []
                    self.tool_names.append(name)
                    if self.capture:
                        if self.tool_args is None:
                            self.tool_args = {}
                        call_id = getattr(block, "id", None)
                        self.tool_args[getattr(event, "index", -1)] = [name, call_id if type(call_id) is str else ""]
        elif kind == "message_delta":
            reason = getattr(getattr(event, "delta", None), "stop_reason", None)
            if type(reason) is str:
                self.reason = reason
            self._take_usage(getattr(event, "usage", None))
        elif kind == "completion":  # legacy Text Completions stream
            if self.id is None:
                self.id = getattr(event, "id", None)
                self.model = getattr(event, "model", None)
            reason = getattr(event, "stop_reason", None)
            if type(reason) is str:
                self.reason = reason
            if self.capture:
                if self.texts is None:
                    self.texts = []
                self.texts.append(getattr(event, "completion", "") or "")
        return False

    def attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        if type(self.id) is str:
            attrs[semconv.GEN_AI_RESPONSE_ID] = self.id
        if type(self.model) is str:
            attrs[semconv.GEN_AI_RESPONSE_MODEL] = self.model
        if self.reason is not None:
            attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [self.reason]
        if self.tool_names:
            attrs[semconv.TOOL_CALL_NAMES] = self.tool_names
        if self.capture and (self.texts or self.tool_args or self.thinking_texts):
            parts = [c.reasoning("".join(self.thinking_texts))] if self.thinking_texts else []
            if self.texts:
                parts.append(c.text("".join(self.texts)))
            # The input's JSON fragments joined, then parsed: an object, as in a whole response.
            parts += [
                c.tool_call(p[1] or None, p[0], "".join(p[2:]) or "{}")
                for _, p in sorted((self.tool_args or {}).items())
            ]
            out = c.output_message("assistant", parts, self.reason)
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = c.content_attribute([out], self.limit)
        usage_attributes(
            self.input_tokens, self.output_tokens, self.cache_read, self.cache_creation, self.thinking, attrs
        )
        return attrs


__all__ = ["MessageAccumulator"]
