"""LiteLLM instrumentation: one LLM span per call through the gateway, on every route (docs/litellm.md).

Patched: the public functions ``completion``/``acompletion``/``embedding``/``aembedding``, on the
``litellm`` module and on the module that defines them (whose own callers look them up there), and
the ``Router``'s methods of the same names on the class that defines them.  Nothing is imported
from LiteLLM before the app imports it (its import is slow and fetches a cost map), and the
Router's core — imported by LiteLLM only when a Router is first made — is patched when it is.
"""

from __future__ import annotations

import sys
from typing import Any, Final

import wrapt

from llm_agent import _errors
from llm_agent.instrumentation._base import PatchingInstrumentor
from llm_agent.instrumentation._call import Operation, async_wrapper, sync_wrapper
from llm_agent.instrumentation.litellm._provider import (
    ACHAT,
    AEMBEDDINGS,
    CHAT,
    EMBEDDINGS,
    ROUTER_ACHAT,
    ROUTER_AEMBEDDINGS,
    ROUTER_CHAT,
    ROUTER_EMBEDDINGS,
    provider,
)
from llm_agent.instrumentation.litellm._sdk import ROUTER_CLASSES, public_function_homes

#: (function, operation, async?) of the public entry points.
FUNCTIONS: Final[tuple[tuple[str, Operation, bool], ...]] = (
    ("completion", CHAT, False),
    ("acompletion", ACHAT, True),
    ("embedding", EMBEDDINGS, False),
    ("aembedding", AEMBEDDINGS, True),
)
#: (method, operation, async?) of the Router.
ROUTER_METHODS: Final[tuple[tuple[str, Operation, bool], ...]] = (
    ("completion", ROUTER_CHAT, False),
    ("acompletion", ROUTER_ACHAT, True),
    ("embedding", ROUTER_EMBEDDINGS, False),
    ("aembedding", ROUTER_AEMBEDDINGS, True),
)


def _wrapper(op: Operation, is_async: bool) -> Any:
    return (async_wrapper if is_async else sync_wrapper)(provider, op)


class LiteLLMInstrumentor(PatchingInstrumentor):
    name = "litellm"
    library = "litellm"
    provider = provider

    def __init__(self) -> None:
        super().__init__()
        self._router_hooks: set[str] = set()

    def patch_more(self) -> None:
        for function, op, is_async in FUNCTIONS:
            for home in public_function_homes(function):
                self.wrap(home, function, _wrapper(op, is_async))
        for module_name, class_name in ROUTER_CLASSES:
            module = sys.modules.get(module_name)
            if module is not None:
                self._patch_router(module, class_name)
            elif module_name not in self._router_hooks:
                self._router_hooks.add(module_name)
                wrapt.register_post_import_hook(self._router_hook(class_name), module_name)

    def _router_hook(self, class_name: str) -> Any:
        def on_import(module: Any) -> None:
            try:
                with self._lock:
                    if self.provider.enabled:
                        self._patch_router(module, class_name)
            except Exception as err:  # the app's import goes on: its Router runs uninstrumented
                _errors.report(f"{self.name}.instrument", err)

        return on_import

    def _patch_router(self, module: Any, class_name: str) -> None:
        cls = getattr(module, class_name, None)
        if cls is None:
            return
        for method, op, is_async in ROUTER_METHODS:
            # ``wrap`` skips a class that does not define the method itself (the Router facade).
            self.wrap(cls, method, _wrapper(op, is_async))


__all__ = ["LiteLLMInstrumentor"]
