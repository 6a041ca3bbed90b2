"""Anthropic instrumentation: one span per Messages API call of every call shape (docs/anthropic.md).

Patched at the class level of the SDK's resources, so clients created before or after ``init()``
are covered and so are ``with_raw_response`` / ``with_streaming_response`` (they call the same
bound methods).  ``messages.stream(...)`` posts on its own when its manager is entered, so it is
patched too; ``messages.count_tokens`` is not an LLM call and makes no span.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Final

import wrapt

from llm_agent import semconv
from llm_agent.instrumentation._base import Instrumentor
from llm_agent.instrumentation.anthropic._patch import (
    async_wrapper,
    quiet_sdk_tracer,
    state,
    stream_manager_wrapper,
    sync_wrapper,
)

_CHAT: Final = semconv.OP_CHAT
_TEXT: Final = semconv.OP_TEXT_COMPLETION
#: (module, class, method, operation or None for a stream manager, async?).  Targets absent from
#: the installed SDK are skipped (legacy ``completions`` is gone from anthropic 2.x).
TARGETS: Final[tuple[tuple[str, str, str, str | None, bool], ...]] = (
    ("anthropic.resources.messages.messages", "Messages", "create", _CHAT, False),
    ("anthropic.resources.messages.messages", "AsyncMessages", "create", _CHAT, True),
    ("anthropic.resources.messages.messages", "Messages", "parse", _CHAT, False),
    ("anthropic.resources.messages.messages", "AsyncMessages", "parse", _CHAT, True),
    ("anthropic.resources.messages.messages", "Messages", "stream", None, False),
    ("anthropic.resources.messages.messages", "AsyncMessages", "stream", None, True),
    ("anthropic.resources.beta.messages.messages", "Messages", "create", _CHAT, False),
    ("anthropic.resources.beta.messages.messages", "AsyncMessages", "create", _CHAT, True),
    ("anthropic.resources.beta.messages.messages", "Messages", "parse", _CHAT, False),
    ("anthropic.resources.beta.messages.messages", "AsyncMessages", "parse", _CHAT, True),
    ("anthropic.resources.beta.messages.messages", "Messages", "stream", None, False),
    ("anthropic.resources.beta.messages.messages", "AsyncMessages", "stream", None, True),
    ("anthropic.resources.messages", "Messages", "create", _CHAT, False),  # 0.x layout
    ("anthropic.resources.messages", "AsyncMessages", "create", _CHAT, True),
    ("anthropic.resources.messages", "Messages", "stream", None, False),
    ("anthropic.resources.messages", "AsyncMessages", "stream", None, True),
    ("anthropic.resources.completions", "Completions", "create", _TEXT, False),
    ("anthropic.resources.completions", "AsyncCompletions", "create", _TEXT, True),
)


def _class(module_name: str, class_name: str) -> Any:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, class_name, None)


class AnthropicInstrumentor(Instrumentor):
    name = "anthropic"
    library = "anthropic"

    def __init__(self) -> None:
        super().__init__()
        self._patched: list[tuple[Any, str, Any]] = []  # (class, attribute, original)

    def _patch(self, cls: Any, attribute: str, wrapper: Any) -> None:
        original = cls.__dict__.get(attribute)
        if original is None or isinstance(original, wrapt.FunctionWrapper):
            return  # absent in this SDK version, or already wrapped (a re-export of the same class)
        wrapt.wrap_function_wrapper(cls, attribute, wrapper)
        self._patched.append((cls, attribute, original))

    def _instrument(self, module: ModuleType) -> None:
        state.enabled = True
        for module_name, class_name, method, operation, is_async in TARGETS:
            cls = _class(module_name, class_name)
            if cls is None:
                continue
            if operation is None:
                wrapper = stream_manager_wrapper
            else:
                wrapper = async_wrapper(operation) if is_async else sync_wrapper(operation)
            self._patch(cls, method, wrapper)
        base = _class("anthropic._base_client", "BaseClient")
        original = base.__dict__.get("_tracer") if base is not None else None
        if isinstance(original, property):
            base._tracer = quiet_sdk_tracer(original)
            self._patched.append((base, "_tracer", original))

    def _uninstrument(self, module: ModuleType) -> None:
        state.enabled = False
        while self._patched:
            cls, attribute, original = self._patched.pop()
            setattr(cls, attribute, original)


__all__ = ["AnthropicInstrumentor"]
