"""The base of every instrumentor: idempotent, lazy, reversible; and the table-driven patching base.

``instrument()`` patches the library now if it is imported, else the moment it is imported (a
wrapt post-import hook), so ``init()`` may run before or after ``import openai``.  Calling it
twice is a no-op; ``uninstrument()`` restores the original methods.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, ClassVar, NamedTuple

import wrapt

from llm_agent import _errors
from llm_agent.instrumentation._call import Operation, Provider, async_wrapper, sync_wrapper


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


class Target(NamedTuple):
    """One SDK method to wrap: where it is and what it does."""

    module: str
    cls: str
    method: str
    op: Operation
    is_async: bool = False


def find_class(module_name: str, class_name: str) -> Any:
    """``module_name.class_name``, or None when this SDK version lacks it (an API it predates)."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, class_name, None)


class Absent:
    """Stands in for an SDK type a version lacks (``find_type``): nothing is an instance of it."""


def find_type(module_name: str, name: str) -> type:
    """The type ``module_name.name``, or ``Absent`` — so an ``isinstance`` check against a type
    this SDK version lacks is simply false instead of failing."""
    found = find_class(module_name, name)
    return found if isinstance(found, type) else Absent


class PatchingInstrumentor(Instrumentor):
    """An instrumentor that wraps a table of SDK methods at class level with the provider core.

    Class level, so clients created before or after ``init()`` are covered.  A subclass declares
    ``name``, ``library``, ``provider`` and ``targets``; ``patch_more()`` adds anything else (a
    property, a helper's ``close``), through ``wrap``/``replace`` so that ``uninstrument()``
    restores it.
    """

    #: The provider core's view of this SDK (one instance per instrumentor class).
    provider: ClassVar[Provider]
    #: The methods to wrap; those absent from the installed SDK version are skipped.
    targets: ClassVar[tuple[Target, ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        self._patched: list[tuple[Any, str, Any]] = []  # (class, attribute, original)

    def wrapper_for(self, target: Target) -> Callable[..., Any]:
        return (async_wrapper if target.is_async else sync_wrapper)(self.provider, target.op)

    def patch_more(self) -> None:
        """Patch what is not a plain method wrap (override; called after the targets)."""

    def wrap(self, cls: Any, attribute: str, wrapper: Callable[..., Any]) -> None:
        """``cls.attribute`` wrapped with the wrapt ``wrapper`` (absent or already wrapped: skipped)."""
        original = cls.__dict__.get(attribute)
        if original is None or isinstance(original, wrapt.FunctionWrapper):
            return  # absent in this SDK version, or wrapped already (a re-export of the same class)
        wrapt.wrap_function_wrapper(cls, attribute, wrapper)
        self._patched.append((cls, attribute, original))

    def replace(self, cls: Any, attribute: str, value: Any) -> None:
        """Set ``cls.attribute`` to ``value`` until ``uninstrument()``."""
        original = cls.__dict__.get(attribute)
        setattr(cls, attribute, value)
        self._patched.append((cls, attribute, original))

    def _instrument(self, module: ModuleType) -> None:
        self.provider.enabled = True
        for target in self.targets:
            cls = find_class(target.module, target.cls)
            if cls is not None:
                self.wrap(cls, target.method, self.wrapper_for(target))
        self.patch_more()

    def _uninstrument(self, module: ModuleType) -> None:
        self.provider.enabled = False
        while self._patched:
            cls, attribute, original = self._patched.pop()
            if original is None:
                delattr(cls, attribute)
            else:
                setattr(cls, attribute, original)
