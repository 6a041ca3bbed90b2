"""OpenAI instrumentation: one span per call of every supported call shape (docs/openai.md).

Patched at the class level of the SDK's resources, so clients created before or after
``init()`` are covered, and so are ``with_raw_response`` / ``with_streaming_response`` (they call
the same bound methods) and the ``.stream()`` helpers (they call ``create(stream=True)``).
``parse()`` posts on its own in every supported SDK version, so it is patched as well.
"""

from __future__ import annotations

from typing import Final

from llm_agent.instrumentation._base import PatchingInstrumentor, Target
from llm_agent.instrumentation.openai._provider import (
    CHAT,
    COMPLETION,
    EMBEDDINGS,
    RESPONSES,
    async_helper_close_wrapper,
    helper_close_wrapper,
    provider,
)

_CHAT_MODULE: Final = "openai.resources.chat.completions"
_RESPONSES_MODULE: Final = "openai.resources.responses"
#: Resource methods that make one API call.
TARGETS: Final = (
    Target(_CHAT_MODULE, "Completions", "create", CHAT),
    Target(_CHAT_MODULE, "AsyncCompletions", "create", CHAT, is_async=True),
    Target(_CHAT_MODULE, "Completions", "parse", CHAT),
    Target(_CHAT_MODULE, "AsyncCompletions", "parse", CHAT, is_async=True),
    Target("openai.resources.completions", "Completions", "create", COMPLETION),
    Target("openai.resources.completions", "AsyncCompletions", "create", COMPLETION, is_async=True),
    Target("openai.resources.embeddings", "Embeddings", "create", EMBEDDINGS),
    Target("openai.resources.embeddings", "AsyncEmbeddings", "create", EMBEDDINGS, is_async=True),
    Target(_RESPONSES_MODULE, "Responses", "create", RESPONSES),
    Target(_RESPONSES_MODULE, "AsyncResponses", "create", RESPONSES, is_async=True),
    Target(_RESPONSES_MODULE, "Responses", "parse", RESPONSES),
    Target(_RESPONSES_MODULE, "AsyncResponses", "parse", RESPONSES, is_async=True),
)
#: (module, class, async?) — the ``.stream()`` helpers' stream objects, whose ``close()`` bypasses
#: the raw stream they iterate.
HELPER_STREAMS: Final = (
    ("openai.lib.streaming.chat", "ChatCompletionStream", False),
    ("openai.lib.streaming.chat", "AsyncChatCompletionStream", True),
    ("openai.lib.streaming.responses", "ResponseStream", False),
    ("openai.lib.streaming.responses", "AsyncResponseStream", True),
)


class OpenAIInstrumentor(PatchingInstrumentor):
    name = "openai"
    library = "openai"
    provider = provider
    targets = TARGETS

    def patch_more(self) -> None:
        for module_name, class_name, is_async in HELPER_STREAMS:
            self.wrap_on_import(
                module_name, class_name, "close", async_helper_close_wrapper if is_async else helper_close_wrapper
            )


__all__ = ["OpenAIInstrumentor"]
