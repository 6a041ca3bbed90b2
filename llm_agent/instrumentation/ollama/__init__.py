"""Ollama instrumentation: one span per ``chat``, ``generate``, ``embed`` (and the deprecated
``embeddings``) call of ``Client``/``AsyncClient`` and of the module functions (docs/ollama.md).

The module functions (``ollama.chat``...) are methods of a ``Client`` bound at import, so patching
the class alone would miss them: they are re-bound to the patched methods (and restored by
``uninstrument()``).  A function imported by name before ``instrument()``
(``from ollama import chat``) keeps the unpatched method.
"""

from __future__ import annotations

import sys
from typing import Final

from llm_agent.instrumentation._base import PatchingInstrumentor, Target
from llm_agent.instrumentation.ollama._provider import CHAT, EMBED, EMBEDDINGS, GENERATE, provider
from llm_agent.instrumentation.ollama._sdk import MODULE_FUNCTIONS, default_client

_CLIENT: Final = "ollama._client"
TARGETS: Final = tuple(
    Target(_CLIENT, cls, method, op, is_async=cls == "AsyncClient")
    for cls in ("Client", "AsyncClient")
    for method, op in (("chat", CHAT), ("generate", GENERATE), ("embed", EMBED), ("embeddings", EMBEDDINGS))
)


class OllamaInstrumentor(PatchingInstrumentor):
    name = "ollama"
    library = "ollama"
    provider = provider
    targets = TARGETS

    def patch_more(self) -> None:
        module = sys.modules.get(self.library)
        client = default_client(module)
        if client is None:
            return
        for name in MODULE_FUNCTIONS:
            current = getattr(module, name, None)
            # Only the SDK's own binding is replaced (not a function the app put there itself).
            if getattr(current, "__self__", None) is client:
                self.replace(module, name, getattr(client, name))


__all__ = ["OllamaInstrumentor"]
