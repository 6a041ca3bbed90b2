"""OpenAI instrumentation: one span per call of every supported call shape (docs/openai.md).

Patched at the class level of the SDK's resources, so clients created before or after
``init()`` are covered, and so are ``with_raw_response`` / ``with_streaming_response`` (they call
the same bound methods) and the ``.stream()`` helpers (they call ``create(stream=True)``).
``parse()`` posts on its own in every supported SDK version, so it is patched as well.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Final

import wrapt

from llm_agent.instrumentation._base import Instrumentor
from llm_agent.instrumentation.openai._patch import (
    CHAT,
    COMPLETION,
    EMBEDDINGS,
    RESPONSES,
    Op,
    async_helper_close_wrapper,
    async_wrapper,
    helper_close_wrapper,
    state,
    sync_wrapper,
)

#: (module, class, method, operation, async?) — resource methods that make one API call.
TARGETS: Final[tuple[tuple[str, str, str, Op, bool], ...]] = (
    ("openai.resources.chat.completions", "Completions", "create", CHAT, False),
    ("openai.resources.chat.completions", "AsyncCompletions", "create", CHAT, True),
    ("openai.resources.chat.completions", "Completions", "parse", CHAT, False),
    ("openai.resources.chat.completions", "AsyncCompletions", "parse", CHAT, True),
    ("openai.resources.completions", "Completions", "create", COMPLETION, False),
    ("openai.resources.completions", "AsyncCompletions", "create", COMPLETION, True),
    ("openai.resources.embeddings", "Embeddings", "create", EMBEDDINGS, False),
    ("openai.resources.embeddings", "AsyncEmbeddings", "create", EMBEDDINGS, True),
    ("openai.resources.responses", "Responses", "create", RESPONSES, False),
    ("openai.resources.responses", "AsyncResponses", "create", RESPONSES, True),
    ("openai.resources.responses", "Responses", "parse", RESPONSES, False),
    ("openai.resources.responses", "AsyncResponses", "parse", RESPONSES, True),
)
#: (module, class, async?) — the ``.stream()`` helpers' stream objects, whose ``close()`` bypasses
#: the raw stream they iterate.
HELPER_STREAMS: Final[tuple[tuple[str, str, bool], ...]] = (
    ("openai.lib.streaming.chat", "ChatCompletionStream", False),
    ("openai.lib.streaming.chat", "AsyncChatCompletionStream", True),
    ("openai.lib.streaming.responses", "ResponseStream", False),
    ("openai.lib.streaming.responses", "AsyncResponseStream", True),
)


def _class(module_name: str, class_name: str) -> Any:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None  # an SDK version without this API
    return getattr(module, class_name, None)


class OpenAIInstrumentor(Instrumentor):
    name = "openai"
    library = "openai"

    def __init__(self) -> None:
        super().__init__()
        self._patched: list[tuple[Any, str, Any]] = []  # (class, attribute, original)

    def _patch(self, cls: Any, attribute: str, wrapper: Any) -> None:
        original = cls.__dict__.get(attribute)
        if original is None or isinstance(original, wrapt.FunctionWrapper):
            return  # absent in this SDK version, or already wrapped (never wrap twice)
        wrapt.wrap_function_wrapper(cls, attribute, wrapper)
        self._patched.append((cls, attribute, original))

    def _instrument(self, module: ModuleType) -> None:
        state.enabled = True
        for module_name, class_name, method, op, is_async in TARGETS:
            cls = _class(module_name, class_name)
            if cls is not None:
                self._patch(cls, method, async_wrapper(op) if is_async else sync_wrapper(op))
        for module_name, class_name, is_async in HELPER_STREAMS:
            cls = _class(module_name, class_name)
            if cls is not None:
                self._patch(cls, "close", async_helper_close_wrapper if is_async else helper_close_wrapper)

    def _uninstrument(self, module: ModuleType) -> None:
        state.enabled = False
        while self._patched:
            cls, attribute, original = self._patched.pop()
            setattr(cls, attribute, original)


__all__ = ["OpenAIInstrumentor"]
