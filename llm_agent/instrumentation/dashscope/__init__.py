"""DashScope instrumentation (Alibaba Cloud Model Studio, Qwen): one span per call of both APIs of
the ``dashscope`` SDK (docs/dashscope.md).

- The classic module API: ``Generation.call`` / ``AioGeneration.call`` (streamed or not, with
  ``incremental_output`` either way), ``MultiModalConversation.call`` and its ``Aio`` form,
  ``TextEmbedding.call``, ``TextReRank.call`` / ``AioTextReRank.call``.  They are classmethods,
  patched on their classes.
- The 2.x client (``dashscope.Client`` / ``AsyncClient``): ``chat.completions.create``,
  ``multimodal.chat.create``, ``embeddings.create``, ``multimodal.embeddings.create``,
  ``rerank.create``, patched on the resource classes, so clients made before or after ``init()``
  are covered.
"""

from __future__ import annotations

from typing import Final

from llm_agent.instrumentation._base import PatchingInstrumentor, Target
from llm_agent.instrumentation.dashscope._provider import (
    CLASSIC_EMBEDDING,
    CLASSIC_RERANK,
    CLIENT_CHAT,
    CLIENT_EMBEDDING,
    CLIENT_RERANK,
    GENERATION,
    MULTIMODAL,
    provider,
)

_V2: Final = "dashscope.v2.resources"
#: The methods that make one API call.  Targets absent from the installed SDK are skipped (the
#: 2.x client and the ``Aio`` rerank are new in dashscope 2.x).
TARGETS: Final = (
    Target("dashscope.aigc.generation", "Generation", "call", GENERATION),
    Target("dashscope.aigc.generation", "AioGeneration", "call", GENERATION, is_async=True),
    Target("dashscope.aigc.multimodal_conversation", "MultiModalConversation", "call", MULTIMODAL),
    Target("dashscope.aigc.multimodal_conversation", "AioMultiModalConversation", "call", MULTIMODAL, is_async=True),
    Target("dashscope.embeddings.text_embedding", "TextEmbedding", "call", CLASSIC_EMBEDDING),
    Target("dashscope.rerank.text_rerank", "TextReRank", "call", CLASSIC_RERANK),
    Target("dashscope.rerank.text_rerank", "AioTextReRank", "call", CLASSIC_RERANK, is_async=True),
    Target(f"{_V2}.chat.completions", "Completions", "create", CLIENT_CHAT),
    Target(f"{_V2}.chat.completions", "AsyncCompletions", "create", CLIENT_CHAT, is_async=True),
    Target(f"{_V2}.multimodal.chat", "MultimodalChat", "create", CLIENT_CHAT),
    Target(f"{_V2}.multimodal.chat", "AsyncMultimodalChat", "create", CLIENT_CHAT, is_async=True),
    Target(f"{_V2}.embeddings", "Embeddings", "create", CLIENT_EMBEDDING),
    Target(f"{_V2}.embeddings", "AsyncEmbeddings", "create", CLIENT_EMBEDDING, is_async=True),
    Target(f"{_V2}.multimodal.embeddings", "MultimodalEmbeddings", "create", CLIENT_EMBEDDING),
    Target(f"{_V2}.multimodal.embeddings", "AsyncMultimodalEmbeddings", "create", CLIENT_EMBEDDING, is_async=True),
    Target(f"{_V2}.rerank", "Rerank", "create", CLIENT_RERANK),
    Target(f"{_V2}.rerank", "AsyncRerank", "create", CLIENT_RERANK, is_async=True),
)


class DashScopeInstrumentor(PatchingInstrumentor):
    name = "dashscope"
    library = "dashscope"
    provider = provider
    targets = TARGETS


__all__ = ["DashScopeInstrumentor"]
