"""Cohere instrumentation: one span per v2 API call — chat, chat_stream, embed, rerank (docs/cohere.md).

The methods are defined on ``cohere.v2.client.V2Client`` / ``AsyncV2Client``, which ``ClientV2`` /
``AsyncClientV2`` (and ``Client().v2``) inherit, so the class-level patch covers clients created
after ``instrument()``.  ``ClientV2.__init__`` binds ``self.chat`` (and, by default,
``self.chat_stream``) to the methods the class had then, so for a client created before
``instrument()`` the raw client's ``chat`` is patched too; such a client's ``chat_stream`` is not
traced (docs/cohere.md).  ``AsyncV2Client.chat_stream`` is an async generator function: calling it
returns the stream at once, so it is wrapped as a synchronous call whose result is a stream.
"""

from __future__ import annotations

from typing import Final

from llm_agent.instrumentation._base import PatchingInstrumentor, Target
from llm_agent.instrumentation.cohere._provider import CHAT, CHAT_STREAM, EMBED, RAW_CHAT, RERANK, provider

_V2: Final = "cohere.v2.client"
_RAW: Final = "cohere.v2.raw_client"
TARGETS: Final = (
    Target(_V2, "V2Client", "chat", CHAT),
    Target(_V2, "V2Client", "chat_stream", CHAT_STREAM),
    Target(_V2, "V2Client", "embed", EMBED),
    Target(_V2, "V2Client", "rerank", RERANK),
    Target(_V2, "AsyncV2Client", "chat", CHAT, is_async=True),
    Target(_V2, "AsyncV2Client", "chat_stream", CHAT_STREAM),  # returns an async generator
    Target(_V2, "AsyncV2Client", "embed", EMBED, is_async=True),
    Target(_V2, "AsyncV2Client", "rerank", RERANK, is_async=True),
    # Under ``chat`` (passed through when called from it): clients made before ``instrument()``
    # and ``with_raw_response.chat``.
    Target(_RAW, "RawV2Client", "chat", RAW_CHAT),
    Target(_RAW, "AsyncRawV2Client", "chat", RAW_CHAT, is_async=True),
)


class CohereInstrumentor(PatchingInstrumentor):
    name = "cohere"
    library = "cohere"
    provider = provider
    targets = TARGETS


__all__ = ["CohereInstrumentor"]
