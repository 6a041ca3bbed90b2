"""The base of every instrumentor: idempotent, lazy, reversible.

``instrument()`` patches the library now if it is imported, else the moment it is imported (a
wrapt post-import hook), so ``init()`` may run before or after ``import openai``.  Calling it
twice is a no-op; ``uninstrument()`` restores the original methods.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from types import ModuleType
from typing import ClassVar

import wrapt

from llm_agent import _errors


class Instrumentor:
    #: Our name for it, as used in ``init(instrument=[...])``.
    name: ClassVar[str]
    #: The importable module whose import triggers patching.
    library: ClassVar[str]

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._wanted = False
        self._applied_to: ModuleType | None = None
        self._hook_registered = False

    # --- to implement ---------------------------------------------------------------------
    def _instrument(self, module: ModuleType) -> None:
        raise NotImplementedError

    def _uninstrument(self, module: ModuleType) -> None:
        raise NotImplementedError

    # --- public ---------------------------------------------------------------------------------
    @classmethod
    def is_available(cls) -> bool:
        """Whether the library can be imported (without importing it)."""
        try:
            return importlib.util.find_spec(cls.library) is not None
        except (ImportError, ValueError):
            return False

    @property
    def is_instrumented(self) -> bool:
        return self._applied_to is not None

    def instrument(self) -> None:
        with self._lock:
            self._wanted = True
            module = sys.modules.get(self.library)
            if module is not None:
                self._apply(module)
            elif not self._hook_registered:
                self._hook_registered = True
                wrapt.register_post_import_hook(self._on_import, self.library)

    def uninstrument(self) -> None:
        with self._lock:
            self._wanted = False
            module = self._applied_to
            if module is None:
                return
            try:
                self._uninstrument(module)
            except Exception as exc:
                _errors.report(f"{self.name}.uninstrument", exc)
            self._applied_to = None

    # --- internals ------------------------------------------------------------------------------
    def _on_import(self, module: ModuleType) -> None:
        with self._lock:
            if self._wanted:
                self._apply(module)

    def _apply(self, module: ModuleType) -> None:
        if self._applied_to is not None:
            return
        try:
            self._instrument(module)
        except Exception as exc:
            # A library version we cannot patch must not stop the app: it runs uninstrumented.
            _errors.report(f"{self.name}.instrument", exc)
            try:
                self._uninstrument(module)
            except Exception:
                pass
            return
        self._applied_to = module
