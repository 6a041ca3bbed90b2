"""Stream accumulator for Cohere v2 ``chat_stream`` events (used with the shared stream proxies).

The id comes with ``message-start``; the finish reason and the usage only with the last event,
``message-end`` (a stream cut short has no usage: unknown, never 0).  Tool names come with each
``tool-call-start``.  Text, reasoning, the tool plan and tool arguments are kept only when
content is captured.
"""

from __future__ import annotations

from typing import Any

from llm_agent import semconv
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation.cohere._extract import output_messages, read_usage


class ChatStreamAccumulator:
    __slots__ = ("calls", "capture", "id", "limit", "plan", "reason", "texts", "thinking", "tool_names", "usage")

    def __init__(self, capture: bool, limit: int) -> None:
        self.capture = capture
        self.limit = limit
        self.id: str | None = None
        self.reason: str | None = None
        self.usage: Any = None
        self.tool_names: list[str] | None = None
        self.texts: list[str] | None = None
        self.thinking: list[str] | None = None
        self.plan: list[str] | None = None
        #: Captured tool calls in order: [id, name, argument fragments].
        self.calls: list[list[Any]] | None = None

    def add(self, event: Any) -> bool:
        kind = getattr(event, "type", None)
        if kind == "content-delta":  # the most frequent event first
            if self.capture:
                content = getattr(getattr(getattr(event, "delta", None), "message", None), "content", None)
                text = getattr(content, "text", None)
                if type(text) is str:
                    if self.texts is None:
                        self.texts = []
                    self.texts.append(text)
                thinking = getattr(content, "thinking", None)
                if type(thinking) is str:
                    if self.thinking is None:
                        self.thinking = []
                    self.thinking.append(thinking)
        elif kind == "message-start":
            value = getattr(event, "id", None)
            if type(value) is str:
                self.id = value
        elif kind == "tool-call-start":
            call = getattr(getattr(getattr(event, "delta", None), "message", None), "tool_calls", None)
            function = getattr(call, "function", None)
            name = getattr(function, "name", None)
            if type(name) is str:
                if self.tool_names is None:
                    self.tool_names = []
                self.tool_names.append(name)
            if self.capture:
                if self.calls is None:
                    self.calls = []
                first = getattr(function, "arguments", None)
                self.calls.append([getattr(call, "id", None), name, [first] if type(first) is str else []])
        elif kind == "tool-call-delta":
            if self.capture and self.calls:
                calls = getattr(getattr(getattr(event, "delta", None), "message", None), "tool_calls", None)
                fragment = getattr(getattr(calls, "function", None), "arguments", None)
                if type(fragment) is str:
                    self.calls[-1][2].append(fragment)
        elif kind == "tool-plan-delta":
            if self.capture:
                plan = getattr(getattr(getattr(event, "delta", None), "message", None), "tool_plan", None)
                if type(plan) is str:
                    if self.plan is None:
                        self.plan = []
                    self.plan.append(plan)
        elif kind == "message-end":
            delta = getattr(event, "delta", None)
            reason = getattr(delta, "finish_reason", None)
            if type(reason) is str:
                self.reason = reason
            self.usage = getattr(delta, "usage", None)
        return False

    def attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        if self.id is not None:
            attrs[semconv.GEN_AI_RESPONSE_ID] = self.id
        if self.reason is not None:
            attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [self.reason]
        if self.tool_names:
            attrs[semconv.TOOL_CALL_NAMES] = self.tool_names
        if self.capture and (self.texts or self.thinking or self.plan or self.calls):
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json(
                output_messages(self._message(), self.reason), self.limit
            )
        if self.usage is None:
            attrs[semconv.USAGE_MISSING] = True
        else:
            read_usage(self.usage, attrs)
        return attrs

    def _message(self) -> dict[str, Any]:
        """The streamed message rebuilt in the shape of a whole response's (JSON dict)."""
        content: list[dict[str, Any]] = []
        if self.thinking:
            content.append({"type": "thinking", "thinking": "".join(self.thinking)})
        if self.texts:
            content.append({"type": "text", "text": "".join(self.texts)})
        calls = [
            {"id": call_id, "function": {"name": name, "arguments": "".join(fragments)}}
            for call_id, name, fragments in self.calls or ()
        ]
        return {"tool_plan": "".join(self.plan or ()), "content": content, "tool_calls": calls}


__all__ = ["ChatStreamAccumulator"]
