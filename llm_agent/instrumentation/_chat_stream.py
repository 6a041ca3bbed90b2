"""The stream accumulator of the chat-completions chunk shape several SDKs share (Groq, Mistral):
``choices[].delta`` with text, reasoning and tool-call fragments, a ``finish_reason`` per choice,
usage in the last chunk.

``add`` runs once per chunk on the app's thread, so it only reads what changes the span: ids and
model once, finish reasons, tool-call names, the usage; text, reasoning and tool arguments are kept
only when content is captured.  A provider subclass says where its SDK differs: the chunk inside
an event (``chunk_of``), where the usage arrives (``usage_of``), how a delta's content reads
(``delta_content``), how usage counts read (``counts``) and how output messages serialise
(``serialise``: its ``_extract.output_messages``, the one call site of that attribute).
"""

from __future__ import annotations

from typing import Any

from llm_agent import semconv
from llm_agent.instrumentation._chat import output_message, set_usage, tool_call_part, usage_counts


def _index(obj: Any) -> int:
    """A choice's or tool call's ``index``; 0 when missing or not an integer (an SDK's unset)."""
    value = getattr(obj, "index", 0)
    return value if type(value) is int else 0


class ChunkAccumulator:
    __slots__ = ("calls", "capture", "id", "limit", "model", "reasoning", "reasons", "texts", "tool_names", "usage")

    def __init__(self, capture: bool, limit: int) -> None:
        self.capture = capture
        self.limit = limit
        self.id: str | None = None
        self.model: str | None = None
        self.usage: Any = None
        self.reasons: dict[int, str] | None = None
        self.tool_names: list[str] | None = None
        self.texts: dict[int, list[str]] | None = None
        self.reasoning: dict[int, list[str]] | None = None
        #: (choice, call index) -> [id, name, argument fragments...], captured only.
        self.calls: dict[tuple[int, Any], list[Any]] | None = None  # in arrival order

    # --- where a provider's SDK differs -------------------------------------------------------------
    def chunk_of(self, item: Any) -> Any:
        """The chunk inside one streamed item (the item itself by default)."""
        return item

    def usage_of(self, chunk: Any) -> Any:
        """The usage a chunk carries (None for most chunks)."""
        return getattr(chunk, "usage", None)

    def delta_content(self, delta: Any) -> tuple[str | None, str | None]:
        """(text, reasoning) of a delta."""
        text = getattr(delta, "content", None)
        return (text if type(text) is str else None), None

    def counts(self, usage: Any) -> tuple[int | None, int | None, int | None, int | None]:
        return usage_counts(usage)

    def serialise(self, outputs: list[dict[str, Any]], limit: int) -> str:
        raise NotImplementedError

    # --- per chunk ------------------------------------------------------------------------------------
    def add(self, item: Any) -> bool:
        chunk = self.chunk_of(item)
        if self.id is None:
            value = getattr(chunk, "id", None)
            self.id = value if type(value) is str else None
            value = getattr(chunk, "model", None)
            self.model = value if type(value) is str else None
        usage = self.usage_of(chunk)
        if usage is not None:
            self.usage = usage
        choices = getattr(chunk, "choices", None)
        if type(choices) is not list:
            return False
        for choice in choices:
            index = _index(choice)
            reason = getattr(choice, "finish_reason", None)
            if type(reason) is str:
                if self.reasons is None:
                    self.reasons = {}
                self.reasons[index] = reason
            delta = getattr(choice, "delta", None)
            if delta is None:
                continue
            tool_calls = getattr(delta, "tool_calls", None)
            if type(tool_calls) is list:
                self._tools(index, tool_calls)
            if self.capture:
                text, reasoning = self.delta_content(delta)
                if text:
                    if self.texts is None:
                        self.texts = {}
                    self.texts.setdefault(index, []).append(text)
                if reasoning:
                    if self.reasoning is None:
                        self.reasoning = {}
                    self.reasoning.setdefault(index, []).append(reasoning)
        return False

    def _tools(self, choice: int, tool_calls: list[Any]) -> None:
        for position, call in enumerate(tool_calls):
            fn = getattr(call, "function", None)
            name = getattr(fn, "name", None)
            if type(name) is str and name:
                if self.tool_names is None:
                    self.tool_names = []
                self.tool_names.append(name)
            if not self.capture:
                continue
            if self.calls is None:
                self.calls = {}
            # OpenAI-style fragments carry the call's index (the first one its id and name, the
            # rest argument text); Mistral sends whole calls, with an index that defaults to 0.
            index = getattr(call, "index", None)
            key: tuple[int, Any] = (choice, index if type(index) is int else position)
            entry = self.calls.get(key)
            call_id = getattr(call, "id", None)
            if entry is not None and type(name) is str and name and entry[1] is not None and call_id != entry[0]:
                key = (choice, ("call", len(self.calls)))  # another whole call at the same index
                entry = None
            if entry is None:
                entry = self.calls[key] = [call_id, None]
            if type(name) is str and name:
                entry[1] = name
            args = getattr(fn, "arguments", None)
            if type(args) is str:
                entry.append(args)
            elif isinstance(args, dict):
                entry.append(args)  # an SDK that sends parsed arguments: kept as the object

    # --- when the span is built -----------------------------------------------------------------------
    def attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        if self.id is not None:
            attrs[semconv.GEN_AI_RESPONSE_ID] = self.id
        if self.model is not None:
            attrs[semconv.GEN_AI_RESPONSE_MODEL] = self.model
        if self.reasons:
            attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [self.reasons[i] for i in sorted(self.reasons)]
        if self.tool_names:
            attrs[semconv.TOOL_CALL_NAMES] = self.tool_names
        if self.capture and (self.texts or self.reasoning or self.calls):
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = self.serialise(self._outputs(), self.limit)
        set_usage(self.counts(self.usage) if self.usage is not None else None, attrs)
        return attrs

    def _outputs(self) -> list[dict[str, Any]]:
        texts = self.texts or {}
        reasoning = self.reasoning or {}
        calls = self.calls or {}
        indexes = sorted(set(texts) | set(reasoning) | {choice for choice, _ in calls})
        outputs = []
        for index in indexes:
            parts = [
                tool_call_part(entry[0], entry[1], _joined(entry[2:]))
                for (choice, _), entry in calls.items()
                if choice == index
            ]
            text = "".join(texts.get(index, ())) or None
            thought = "".join(reasoning.get(index, ())) or None
            outputs.append(output_message(text, thought, parts, (self.reasons or {}).get(index)))
        return outputs


def _joined(fragments: list[Any]) -> Any:
    """A tool call's argument fragments: the JSON text joined, or the one object an SDK sent."""
    if len(fragments) == 1 and isinstance(fragments[0], dict):
        return fragments[0]
    return "".join(f for f in fragments if type(f) is str)


__all__ = ["ChunkAccumulator"]
