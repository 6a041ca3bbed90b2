"""Anthropic instrumentation: one span per Messages API call of every call shape (docs/anthropic.md).

Patched at the class level of the SDK's resources, so clients created before or after ``init()``
are covered and so are ``with_raw_response`` / ``with_streaming_response`` (they call the same
bound methods).  ``messages.stream(...)`` posts on its own when its manager is entered, so it is
patched too; ``messages.count_tokens`` is not an LLM call and makes no span.
"""

from __future__ import annotations

from types import ModuleType
from typing import Final

from llm_agent.instrumentation._base import PatchingInstrumentor, Target
from llm_agent.instrumentation.anthropic._provider import (
    CHAT,
    TEXT_COMPLETION,
    provider,
    quiet_sdk_tracer,
    stream_manager_wrapper,
)
from llm_agent.instrumentation.anthropic._sdk import BASE_CLIENT, TRACER_PROPERTY, tracer_property

_MESSAGES: Final = "anthropic.resources.messages.messages"
_BETA: Final = "anthropic.resources.beta.messages.messages"
_LEGACY: Final = "anthropic.resources.messages"  # the 0.x layout
#: Resource methods that make one API call.  Targets absent from the installed SDK are skipped
#: (legacy ``completions`` is gone from anthropic 2.x).
TARGETS: Final = (
    *(
        target
        for module in (_MESSAGES, _BETA, _LEGACY)
        for target in (
            Target(module, "Messages", "create", CHAT),
            Target(module, "AsyncMessages", "create", CHAT, is_async=True),
            Target(module, "Messages", "parse", CHAT),
            Target(module, "AsyncMessages", "parse", CHAT, is_async=True),
        )
    ),
    Target("anthropic.resources.completions", "Completions", "create", TEXT_COMPLETION),
    Target("anthropic.resources.completions", "AsyncCompletions", "create", TEXT_COMPLETION, is_async=True),
)
#: (module, class) of the resources whose ``stream()`` returns a manager that posts when entered.
STREAM_MANAGERS: Final = tuple(
    (module, cls) for module in (_MESSAGES, _BETA, _LEGACY) for cls in ("Messages", "AsyncMessages")
)


class AnthropicInstrumentor(PatchingInstrumentor):
    name = "anthropic"
    library = "anthropic"
    provider = provider
    targets = TARGETS

    def patch_more(self) -> None:
        for module_name, class_name in STREAM_MANAGERS:
            self.wrap_on_import(module_name, class_name, "stream", stream_manager_wrapper)
        # ``anthropic._base_client`` comes with ``import anthropic``: patched then, never imported by us
        self.on_import(BASE_CLIENT[0], self._quiet_tracer)

    def _quiet_tracer(self, module: ModuleType) -> None:
        found = tracer_property()
        if found is not None:
            base, original = found
            self.replace(base, TRACER_PROPERTY, quiet_sdk_tracer(original))


__all__ = ["AnthropicInstrumentor"]
