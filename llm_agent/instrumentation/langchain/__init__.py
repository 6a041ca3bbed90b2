"""LangChain / LangGraph instrumentation: a callback handler on every callback manager (docs/langchain.md).

LangChain builds a ``CallbackManager`` for every run (``invoke``, ``stream``, each node of a
LangGraph graph, each tool and model call); wrapping ``BaseCallbackManager.__init__`` adds our
handler to each one as an *inheritable* handler, next to whatever the app configured (a LangSmith
tracer, its own handlers), so every run of every child reaches it and nothing of the app's is
replaced.  The handler's spans are parented by LangChain's run ids (``_handler``).
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import wrapt

from llm_agent.instrumentation._base import Instrumentor

_MANAGER_MODULE = "langchain_core.callbacks.base"


class LangChainInstrumentor(Instrumentor):
    name = "langchain"
    library = "langchain_core"

    def __init__(self) -> None:
        super().__init__()
        self._handler: Any = None
        self._original: Any = None
        self._wanted = False
        self._hooked = False

    @property
    def handler(self) -> Any:
        """The one callback handler (None until instrumented)."""
        return self._handler

    def _instrument(self, module: ModuleType) -> None:
        # Patched when the app imports LangChain's callbacks, never imported by us: init() must
        # not load modules an app that never runs a chain would not load (tests/core/test_lazy_patching.py).
        self._wanted = True
        base = sys.modules.get(_MANAGER_MODULE)
        if base is not None:
            self._patch(base)
        elif not self._hooked:
            self._hooked = True
            wrapt.register_post_import_hook(self._imported, _MANAGER_MODULE)

    def _imported(self, base: ModuleType) -> None:
        if self._wanted:
            try:
                self._patch(base)
            except Exception as exc:
                from llm_agent import _errors

                _errors.report("langchain.instrument", exc)

    def _patch(self, base: ModuleType) -> None:
        from llm_agent.instrumentation.langchain._handler import LLMAgentCallbackHandler

        if self._handler is None:
            # LangChain's base class first, so its isinstance checks and defaults hold; ours wins.
            cls = type("LLMAgentCallbackHandler", (LLMAgentCallbackHandler, base.BaseCallbackHandler), {})
            self._handler = cls()
        self._handler.enabled = True
        manager = base.BaseCallbackManager
        original = manager.__dict__["__init__"]
        if isinstance(original, wrapt.FunctionWrapper):
            return  # wrapped already
        handler = self._handler

        def init_wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> None:
            wrapped(*args, **kwargs)  # the manager as the app asked for it; then ours, once
            try:
                if not any(h is handler for h in instance.inheritable_handlers):
                    instance.add_handler(handler, inherit=True)
            except Exception as exc:
                from llm_agent import _errors

                _errors.report("langchain.add_handler", exc)

        wrapt.wrap_function_wrapper(manager, "__init__", init_wrapper)
        self._original = original

    def _uninstrument(self, module: ModuleType) -> None:
        self._wanted = False
        base = sys.modules.get(_MANAGER_MODULE)
        if base is None:
            return
        if self._handler is not None:
            self._handler.enabled = False
        if self._original is not None:
            base.BaseCallbackManager.__init__ = self._original
            self._original = None


__all__ = ["LangChainInstrumentor"]
