"""Stream accumulator for LiteLLM's ``CustomStreamWrapper`` chunks (``ModelResponseStream``).

Usage reaches a LiteLLM stream in one of two ways:

- with ``stream_options={"include_usage": True}`` (the app's, or ours with ``inject_stream_usage``)
  a last chunk without choices carries it in ``usage`` (hidden from the app when we asked for it);
- otherwise LiteLLM hangs the usage the provider reported on the finishing chunk's
  ``_hidden_params["usage"]`` — an ``UnreportedUsage`` when the provider reported none.  It is read
  when that chunk arrives: at the end of the stream LiteLLM replaces it with its own tokenizer
  estimate, which is not the provider's count (unknown stays unknown, never an estimate).
"""

from __future__ import annotations

from typing import Any

from llm_agent import semconv
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation.litellm._extract import _arguments, usage_attributes
from llm_agent.instrumentation.litellm._sdk import hidden_params, sdk_types


class ChatAccumulator:
    __slots__ = (
        "capture",
        "extra",
        "hide_usage_chunk",
        "id",
        "limit",
        "model",
        "reasoning",
        "reasons",
        "texts",
        "tool_args",
        "tool_names",
        "usage",
    )

    def __init__(self, capture: bool, limit: int, hide_usage_chunk: bool, extra: dict[str, Any] | None) -> None:
        self.capture = capture
        self.limit = limit
        self.hide_usage_chunk = hide_usage_chunk
        #: End attributes known when the stream was returned (a Router call's served provider).
        self.extra = extra
        self.id: str | None = None
        self.model: str | None = None
        self.usage: Any = None
        self.reasons: dict[int, str] | None = None
        self.tool_names: list[str] | None = None
        self.texts: dict[int, list[str]] | None = None
        self.reasoning: dict[int, list[str]] | None = None
        self.tool_args: dict[tuple[int, int], list[Any]] | None = None  # (choice, call) -> [id, name, *parts]

    def add(self, chunk: Any) -> bool:
        if self.id is None:
            self.id = getattr(chunk, "id", None)
            self.model = getattr(chunk, "model", None)
        usage = getattr(chunk, "usage", None)
        choices = getattr(chunk, "choices", None)
        if usage is not None:
            self.usage = usage
            if not choices:  # the usage-only chunk ``include_usage`` adds: hidden when we asked for it
                return self.hide_usage_chunk
        if type(choices) is not list:
            return False
        for choice in choices:
            index = _index(choice)
            reason = getattr(choice, "finish_reason", None)
            if type(reason) is str:
                if self.reasons is None:
                    self.reasons = {}
                self.reasons[index] = reason
                if self.usage is None:
                    self._reported_usage(chunk)
            delta = getattr(choice, "delta", None)
            calls = getattr(delta, "tool_calls", None)
            if calls:
                self._tools(index, calls)
            if self.capture:
                self._keep(index, getattr(delta, "content", None), "texts")
                self._keep(index, getattr(delta, "reasoning_content", None), "reasoning")
        return False

    def _reported_usage(self, chunk: Any) -> None:
        usage = (hidden_params(chunk) or {}).get("usage")
        if usage is not None and not isinstance(usage, sdk_types().unreported_usage):
            self.usage = usage

    def _keep(self, index: int, text: Any, slot: str) -> None:
        if type(text) is not str or not text:
            return
        kept = getattr(self, slot)
        if kept is None:
            kept = {}
            setattr(self, slot, kept)
        kept.setdefault(index, []).append(text)

    def _tools(self, index: int, calls: Any) -> None:
        if type(calls) is not list:
            return
        for call in calls:
            fn = getattr(call, "function", None)
            name = getattr(fn, "name", None)
            if type(name) is str and name:
                if self.tool_names is None:
                    self.tool_names = []
                self.tool_names.append(name)
            if self.capture:
                if self.tool_args is None:
                    self.tool_args = {}
                parts = self.tool_args.setdefault((index, _index(call)), [None, None])
                call_id = getattr(call, "id", None)
                if parts[0] is None and type(call_id) is str:
                    parts[0] = call_id
                if parts[1] is None and type(name) is str and name:
                    parts[1] = name
                args = getattr(fn, "arguments", None)
                if type(args) is str and args:
                    parts.append(args)

    def attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = dict(self.extra) if self.extra else {}
        if type(self.id) is str:
            attrs[semconv.GEN_AI_RESPONSE_ID] = self.id
        if type(self.model) is str and self.model:
            attrs[semconv.GEN_AI_RESPONSE_MODEL] = self.model
        if self.reasons:
            attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [self.reasons[i] for i in sorted(self.reasons)]
        if self.tool_names:
            attrs[semconv.TOOL_CALL_NAMES] = self.tool_names
        if self.capture and (self.texts or self.reasoning or self.tool_args):
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json(self._outputs(), self.limit)
        if self.usage is None:
            attrs[semconv.USAGE_MISSING] = True
        else:
            usage_attributes(self.usage, attrs)
        return attrs

    def _outputs(self) -> list[dict[str, Any]]:
        texts, reasoning, tools = self.texts or {}, self.reasoning or {}, self.tool_args or {}
        indexes = sorted(set(texts) | set(reasoning) | {key[0] for key in tools})
        outputs = []
        for index in indexes:
            parts: list[dict[str, Any]] = []
            if index in reasoning:
                parts.append({"type": "reasoning", "content": "".join(reasoning[index])})
            if index in texts:
                parts.append({"type": "text", "content": "".join(texts[index])})
            for (i, _), call in sorted(tools.items(), key=lambda item: item[0]):
                if i == index:
                    arguments = _arguments("".join(call[2:])) if len(call) > 2 else None
                    parts.append({"type": "tool_call", "id": call[0], "name": call[1], "arguments": arguments})
            reason = (self.reasons or {}).get(index)
            outputs.append({"role": "assistant", "parts": parts, "finish_reason": reason})
        return outputs


def _index(obj: Any) -> int:
    value = getattr(obj, "index", 0)
    return value if type(value) is int else 0


__all__ = ["ChatAccumulator"]
