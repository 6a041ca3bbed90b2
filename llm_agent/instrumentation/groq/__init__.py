"""Groq instrumentation: one span per chat completion or embeddings call (docs/groq.md).

Patched at the class level of the SDK's resources, so clients created before or after ``init()``
are covered, and so are ``with_raw_response`` / ``with_streaming_response`` (they call the same
bound methods).
"""

from __future__ import annotations

from typing import Final

from llm_agent.instrumentation._base import PatchingInstrumentor, Target
from llm_agent.instrumentation.groq._provider import CHAT, EMBEDDINGS, provider

_CHAT_MODULE: Final = "groq.resources.chat.completions"
#: Resource methods that make one API call.
TARGETS: Final = (
    Target(_CHAT_MODULE, "Completions", "create", CHAT),
    Target(_CHAT_MODULE, "AsyncCompletions", "create", CHAT, is_async=True),
    Target("groq.resources.embeddings", "Embeddings", "create", EMBEDDINGS),
    Target("groq.resources.embeddings", "AsyncEmbeddings", "create", EMBEDDINGS, is_async=True),
)


class GroqInstrumentor(PatchingInstrumentor):
    name = "groq"
    library = "groq"
    provider = provider
    targets = TARGETS


__all__ = ["GroqInstrumentor"]
