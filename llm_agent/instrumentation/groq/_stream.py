"""Stream accumulator for Groq's chat chunks: the core's chat-chunk reader, with Groq's usage
(the last chunk's ``x_groq.usage``; ``usage`` itself where a server sends it) and its reasoning
deltas."""

from __future__ import annotations

from typing import Any

from llm_agent.instrumentation._chat_stream import ChunkAccumulator
from llm_agent.instrumentation.groq._extract import message_content, output_messages


class GroqChunks(ChunkAccumulator):
    __slots__ = ()

    def usage_of(self, chunk: Any) -> Any:
        usage = getattr(chunk, "usage", None)
        if usage is None:
            usage = getattr(getattr(chunk, "x_groq", None), "usage", None)
        return usage

    def delta_content(self, delta: Any) -> tuple[str | None, str | None]:
        return message_content(delta)

    def serialise(self, outputs: list[dict[str, Any]], limit: int) -> str:
        return output_messages(outputs, limit)


__all__ = ["GroqChunks"]
