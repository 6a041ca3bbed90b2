"""Stream accumulator for Ollama's ``chat``/``generate`` streams (used with the shared stream proxies).

Every chunk is a whole ``ChatResponse``/``GenerateResponse`` with a piece of the text; the last
(``done=True``) carries the finish reason, the counts and the durations.  A stream cut short has
no ``done`` chunk: its usage is unknown, never 0.  Tool calls come whole, in one chunk each.
Text and reasoning are kept only when content is captured.
"""

from __future__ import annotations

from typing import Any

from llm_agent import semconv
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation.ollama._extract import final_attributes, output_messages


class OllamaStreamAccumulator:
    __slots__ = ("calls", "capture", "chat", "final", "limit", "model", "texts", "thinking", "tool_names")

    def __init__(self, capture: bool, limit: int, chat: bool) -> None:
        self.capture = capture
        self.limit = limit
        self.chat = chat  # chat chunks hold a ``message``; generate chunks ``response``/``thinking``
        self.model: Any = None
        self.final: Any = None  # the ``done`` chunk
        self.tool_names: list[str] | None = None
        self.calls: list[Any] | None = None
        self.texts: list[str] | None = None
        self.thinking: list[str] | None = None

    def add(self, chunk: Any) -> bool:
        if self.model is None:
            self.model = getattr(chunk, "model", None)
        source = getattr(chunk, "message", None) if self.chat else chunk
        if self.chat:
            calls = getattr(source, "tool_calls", None)
            if calls:
                for call in calls:
                    name = getattr(getattr(call, "function", None), "name", None)
                    if type(name) is str:
                        if self.tool_names is None:
                            self.tool_names = []
                        self.tool_names.append(name)
                    if self.capture:
                        if self.calls is None:
                            self.calls = []
                        self.calls.append(call)
        if self.capture:
            text = getattr(source, "content" if self.chat else "response", None)
            if type(text) is str and text:
                if self.texts is None:
                    self.texts = []
                self.texts.append(text)
            thinking = getattr(source, "thinking", None)
            if type(thinking) is str and thinking:
                if self.thinking is None:
                    self.thinking = []
                self.thinking.append(thinking)
        if getattr(chunk, "done", None) is True:
            self.final = chunk
        return False

    def attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        if self.final is None:
            if type(self.model) is str and self.model:
                attrs[semconv.GEN_AI_RESPONSE_MODEL] = self.model
            attrs[semconv.USAGE_MISSING] = True
        else:
            final_attributes(self.final, attrs)
        if self.tool_names:
            attrs[semconv.TOOL_CALL_NAMES] = self.tool_names
        if self.capture and (self.texts or self.thinking or self.calls):
            message = {
                "content": "".join(self.texts or ()),
                "thinking": "".join(self.thinking or ()),
                "tool_calls": self.calls,
            }
            reason = getattr(self.final, "done_reason", None)
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json(output_messages(message, reason), self.limit)
        return attrs


__all__ = ["OllamaStreamAccumulator"]
