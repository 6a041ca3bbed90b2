"""Stream accumulators for OpenAI: chat/legacy-completion chunks and Responses API events.

``add`` runs once per chunk on the app's thread, so it only looks at what changes the span:
ids and model once, usage, finish reasons and tool-call names; text deltas are kept only when
content is captured.
"""

from __future__ import annotations

from typing import Any

from llm_agent import semconv
from llm_agent.instrumentation import _content as c
from llm_agent.instrumentation.openai._response import _g, responses_attributes, usage_attributes


class ChatAccumulator:
    """``ChatCompletionChunk`` (chat) and ``Completion`` chunks (legacy completions)."""

    __slots__ = (
        "capture",
        "fingerprint",
        "hide_usage_chunk",
        "id",
        "limit",
        "model",
        "quick",
        "reasons",
        "service_tier",
        "texts",
        "tool_args",
        "tool_ids",
        "tool_names",
        "usage",
    )

    def __init__(self, capture: bool, limit: int, hide_usage_chunk: bool) -> None:
        self.capture = capture
        self.limit = limit
        self.hide_usage_chunk = hide_usage_chunk
        self.id: str | None = None
        self.model: str | None = None
        self.fingerprint: str | None = None
        self.service_tier: str | None = None
        self.usage: Any = None
        self.reasons: dict[int, str] | None = None
        self.tool_names: list[str] | None = None
        self.texts: dict[int, list[str]] | None = None
        self.tool_args: dict[tuple[int, int], list[str]] | None = None
        self.tool_ids: dict[tuple[int, int], str] | None = None
        #: Whether ``add`` may recognise a chunk that carries only a text delta by its first
        #: lines; never again once a chunk of another shape than the SDK's was seen.
        self.quick = True

    def add(self, chunk: Any) -> bool:
        # Once the first chunk gave the ids (the full path reads them only while ``id`` is None).
        if self.quick and self.id is not None:
            # Nearly every chunk of a stream carries only a text delta of its one choice: four
            # attribute reads and an unpacking tell that, instead of the full reading below (its
            # getattr calls and checks cost ~1 µs per chunk in a real stream, where the SDK's
            # parsing between chunks leaves the caches cold).  The full path reads the same
            # fields and would record nothing from such a chunk but its text, when captured.
            try:
                if chunk.usage is None:
                    choices = chunk.choices
                    (choice,) = choices
                    if choice.finish_reason is None:
                        delta = choice.delta
                        if delta.tool_calls is None:
                            # (the full path reads no text from a chunk whose choices are no list)
                            if self.capture and type(choices) is list:
                                self._text(choice, delta.content)
                            return False
            except ValueError:
                pass  # not exactly one choice (the full path reads them all)
            except Exception:
                # Not the SDK's chunk shape (a dict, a missing field): read every chunk in full.
                self.quick = False
        return self._add(chunk)

    def _add(self, chunk: Any) -> bool:
        # Plain getattr: stream chunks are always the SDK's models; anything else reads as empty.
        if self.id is None:
            self.id = getattr(chunk, "id", None)
            self.model = getattr(chunk, "model", None)
            self.fingerprint = getattr(chunk, "system_fingerprint", None)
            self.service_tier = getattr(chunk, "service_tier", None)
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = usage
        choices = getattr(chunk, "choices", None)
        if not choices:
            # The usage-only chunk that ``stream_options.include_usage`` adds: hidden when we asked.
            return usage is not None and self.hide_usage_chunk
        if type(choices) is not list:  # malformed chunk: nothing we can read, and never an error
            return False
        for choice in choices:
            reason = getattr(choice, "finish_reason", None)
            if type(reason) is str:
                if self.reasons is None:
                    self.reasons = {}
                self.reasons[_index(choice)] = reason
            delta = getattr(choice, "delta", None)
            if delta is None:  # legacy completions chunk
                if self.capture:
                    self._text(choice, getattr(choice, "text", None))
                continue
            tool_calls = getattr(delta, "tool_calls", None)
            if tool_calls:
                self._tools(choice, tool_calls)
            if self.capture:
                self._text(choice, getattr(delta, "content", None))
        return False

    def _text(self, choice: Any, text: Any) -> None:
        if not text or type(text) is not str:
            return
        if self.texts is None:
            self.texts = {}
        self.texts.setdefault(_index(choice), []).append(text)

    def _tools(self, choice: Any, tool_calls: Any) -> None:
        if type(tool_calls) is not list:
            return
        for call in tool_calls:
            fn = getattr(call, "function", None)
            name = getattr(fn, "name", None)
            if name and type(name) is str:
                if self.tool_names is None:
                    self.tool_names = []
                self.tool_names.append(name)
            if self.capture:
                args = getattr(fn, "arguments", None)
                if self.tool_args is None:
                    self.tool_args = {}
                key = (_index(choice), _index(call))
                parts = self.tool_args.setdefault(key, [""])
                if name and type(name) is str and parts[0] == "":
                    parts[0] = name
                if args and type(args) is str:
                    parts.append(args)
                call_id = getattr(call, "id", None)
                if call_id and type(call_id) is str:  # sent with the call's first chunk only
                    if self.tool_ids is None:
                        self.tool_ids = {}
                    self.tool_ids[key] = call_id

    def attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        if type(self.id) is str:
            attrs[semconv.GEN_AI_RESPONSE_ID] = self.id
        if type(self.model) is str:
            attrs[semconv.GEN_AI_RESPONSE_MODEL] = self.model
        if type(self.fingerprint) is str:
            attrs[semconv.GEN_AI_OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = self.fingerprint
        if type(self.service_tier) is str:
            attrs[semconv.GEN_AI_OPENAI_RESPONSE_SERVICE_TIER] = self.service_tier
        if self.reasons:
            attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [self.reasons[i] for i in sorted(self.reasons)]
        if self.tool_names:
            attrs[semconv.TOOL_CALL_NAMES] = self.tool_names
        if self.capture and (self.texts or self.tool_args):
            indexes = sorted(set(self.texts or ()) | {k[0] for k in self.tool_args or ()})
            outputs = []
            ids = self.tool_ids or {}
            for index in indexes:
                text = "".join((self.texts or {}).get(index, []))
                parts = [c.text(text)] if text else []
                # The arguments' fragments joined, then parsed: an object, as in a whole response.
                parts += [
                    c.tool_call(ids.get(key), pieces[0], "".join(pieces[1:]))
                    for key, pieces in sorted((self.tool_args or {}).items())
                    if key[0] == index
                ]
                outputs.append(c.output_message("assistant", parts, (self.reasons or {}).get(index)))
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = c.content_attribute(outputs, self.limit)
        usage_attributes(self.usage, attrs)
        return attrs


def _index(obj: Any) -> int:
    """A choice's or tool call's ``index``; 0 when missing or not an integer."""
    value = getattr(obj, "index", 0)
    return value if type(value) is int else 0


_TERMINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})
_START_EVENTS = frozenset({"response.created", "response.in_progress", "response.queued"})


class ResponsesAccumulator:
    """Responses API stream events: the terminal event carries the whole ``Response``."""

    __slots__ = ("capture", "final", "limit", "partial")

    def __init__(self, capture: bool, limit: int) -> None:
        self.capture = capture
        self.limit = limit
        self.partial: Any = None  # the Response snapshot of response.created (id, model)
        self.final: Any = None

    def add(self, event: Any) -> bool:
        kind = getattr(event, "type", None)
        if type(kind) is not str:  # malformed event: ignored, recorded as unknown
            return False
        if kind in _TERMINAL_EVENTS:
            self.final = getattr(event, "response", None)
        elif kind in _START_EVENTS and self.partial is None:
            self.partial = getattr(event, "response", None)
        return False

    def attributes(self) -> dict[str, Any]:
        if self.final is not None:
            return responses_attributes(self.final, self.capture, self.limit)
        attrs: dict[str, Any] = {}
        if self.partial is not None:
            value = _g(self.partial, "id")
            if type(value) is str:
                attrs[semconv.GEN_AI_RESPONSE_ID] = value
            value = _g(self.partial, "model")
            if type(value) is str:
                attrs[semconv.GEN_AI_RESPONSE_MODEL] = value
        attrs[semconv.USAGE_MISSING] = True
        return attrs


__all__ = ["ChatAccumulator", "ResponsesAccumulator"]
