"""Stream accumulator for Mistral's ``CompletionEvent`` stream: the core's chat-chunk reader on
each event's ``data`` chunk, with Mistral's content chunks (text and ``thinking``) and its usage
(in the last chunk; a count the chunk did not carry stays unknown)."""

from __future__ import annotations

from typing import Any

from llm_agent.instrumentation._chat_stream import ChunkAccumulator
from llm_agent.instrumentation.mistralai._extract import message_content, output_messages, usage_counts


class MistralChunks(ChunkAccumulator):
    __slots__ = ()

    def chunk_of(self, item: Any) -> Any:
        return getattr(item, "data", None)

    def delta_content(self, delta: Any) -> tuple[str | None, str | None]:
        return message_content(delta)

    def counts(self, usage: Any) -> tuple[int | None, int | None, int | None, int | None]:
        return usage_counts(usage) or (None, None, None, None)

    def serialise(self, outputs: list[dict[str, Any]], limit: int) -> str:
        return output_messages(outputs, limit)


__all__ = ["MistralChunks"]
