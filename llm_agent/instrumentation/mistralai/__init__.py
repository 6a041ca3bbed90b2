"""Mistral AI instrumentation: one span per chat or embeddings call of the ``mistralai`` SDK
(docs/mistralai.md).

Patched at the class level of the SDK's resources, so clients created before or after ``init()``
are covered; ``chat.parse`` and ``chat.parse_stream`` call ``complete``/``stream`` and so make one
span each.  The SDK's own tracing hook is quieted for the calls we trace.
"""

from __future__ import annotations

from typing import Final

from llm_agent.instrumentation._base import PatchingInstrumentor, Target
from llm_agent.instrumentation.mistralai._provider import CHAT, CHAT_STREAM, EMBEDDINGS, provider, quiet_sdk_tracing
from llm_agent.instrumentation.mistralai._sdk import TRACING_HOOK, TRACING_METHOD

#: The 3.x layout (``mistralai.client``).
_CHAT: Final = "mistralai.client.chat"
_EMBEDDINGS: Final = "mistralai.client.embeddings"
#: Resource methods that make one API call.
TARGETS: Final = (
    Target(_CHAT, "Chat", "complete", CHAT),
    Target(_CHAT, "Chat", "complete_async", CHAT, is_async=True),
    Target(_CHAT, "Chat", "stream", CHAT_STREAM),
    Target(_CHAT, "Chat", "stream_async", CHAT_STREAM, is_async=True),
    Target(_EMBEDDINGS, "Embeddings", "create", EMBEDDINGS),
    Target(_EMBEDDINGS, "Embeddings", "create_async", EMBEDDINGS, is_async=True),
)


class MistralInstrumentor(PatchingInstrumentor):
    name = "mistralai"
    #: ``mistralai`` itself is a namespace package, whose import fires no post-import hook; the
    #: 3.x client package does (patching then imports the resource modules it patches).
    library = "mistralai.client"
    provider = provider
    targets = TARGETS

    def patch_more(self) -> None:
        # patched when the app's import of the SDK loads it (as it does today), never imported by us
        self.wrap_on_import(*TRACING_HOOK, TRACING_METHOD, quiet_sdk_tracing)


__all__ = ["MistralInstrumentor"]
