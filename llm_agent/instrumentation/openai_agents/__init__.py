"""OpenAI Agents SDK (``openai-agents``) instrumentation, through the SDK's own extension point
(docs/openai-agents.md).

``instrument()`` registers one ``TracingProcessor`` with ``agents.add_trace_processor`` — added
beside the SDK's processors, never replacing them (``set_trace_processors`` would end the SDK's
own export) — and hooks the SDK's current-span bookkeeping so that our spans are current while
theirs are (``_scope.py``).  ``uninstrument()`` makes both inert: the SDK offers no way to remove
a processor, and a context attached before must still be detached where it was attached.  A
second ``instrument()`` re-enables the same processor, or registers it with the SDK's trace
provider if the app replaced it (``set_trace_provider``) or its processor list meanwhile.

Nothing here imports ``agents``: the instrumentor runs when the app has imported it.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import wrapt

from llm_agent import _errors
from llm_agent.instrumentation._base import Instrumentor
from llm_agent.instrumentation.openai_agents import _sdk


class OpenAIAgentsInstrumentor(Instrumentor):
    name = "openai_agents"
    library = "agents"

    def __init__(self) -> None:
        super().__init__()
        self._processor: Any = None
        self._hooks: Any = None
        self._provider: Any = None  # the SDK trace provider our processor is registered with

    def _instrument(self, module: ModuleType) -> None:
        if not callable(getattr(module, "add_trace_processor", None)):
            return  # another package named ``agents``, not the OpenAI Agents SDK
        from llm_agent.instrumentation.openai_agents._processor import AgentsProcessor
        from llm_agent.instrumentation.openai_agents._scope import ScopeHooks

        if self._processor is None:
            self._processor = AgentsProcessor()
            self._hooks = ScopeHooks(self._processor)
            _hook_scope(self._hooks)
        self._register(module)
        self._processor.enabled = True

    def instrument(self) -> None:
        super().instrument()
        with self._lock:  # applied already: still make sure the SDK's provider in force has ours
            if self._applied_to is not None and self._processor is not None:
                try:
                    self._register(self._applied_to)
                except Exception as exc:
                    _errors.report(f"{self.name}.instrument", exc)

    def _register(self, module: ModuleType) -> None:
        """Add our processor to the SDK's trace provider in force, unless it has it already."""
        provider = _sdk.trace_provider(module)
        if provider is None or provider is not self._provider or not _registered(provider, self._processor):
            module.add_trace_processor(self._processor)
            self._provider = provider

    def _uninstrument(self, module: ModuleType) -> None:
        if self._processor is not None:
            self._processor.enabled = False


def _hook_scope(hooks: Any) -> None:
    """Wrap the SDK's four ``Scope`` classmethods once for the process (see ``_scope.py``)."""
    scope = _sdk.scope_class()
    if scope is None:
        return
    for method, wrapper in (
        ("set_current_span", hooks.set_span),
        ("reset_current_span", hooks.reset),
        ("set_current_trace", hooks.set_trace),
        ("reset_current_trace", hooks.reset),
    ):
        if not isinstance(scope.__dict__.get(method), wrapt.FunctionWrapper):
            wrapt.wrap_function_wrapper(scope, method, wrapper)


def _registered(provider: Any, processor: Any) -> bool:
    """Whether ``processor`` is still among ``provider``'s processors (the app may have called
    ``set_trace_processors`` since); True when that cannot be read (do not register twice)."""
    processors = _sdk.registered_processors(provider)
    return True if processors is None else processor in processors


__all__ = ["OpenAIAgentsInstrumentor"]
