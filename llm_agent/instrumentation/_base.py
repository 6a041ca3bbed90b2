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
    property, a helper's ``close``), through ``wrap``/``wrap_on_import``/``replace`` so that
    ``uninstrument()`` restores it.

    Each target's module is patched when the app imports it, not by us: SDKs load their resource
    modules lazily (building their pydantic models on the way), and an app that never calls a
    resource must not pay for importing it (issue 25's start-up cost).  A module already imported
    is patched at once; any other gets a one-shot wrapt post-import hook, which patches it only
    if the instrumentor is still applied when it fires.
    """

    #: The provider core's view of this SDK (one instance per instrumentor class).
    provider: ClassVar[Provider]
    #: The methods to wrap; those absent from the installed SDK version are skipped.
    targets: ClassVar[tuple[Target, ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        self._patched: list[tuple[Any, str, Any]] = []  # (class, attribute, original)
        # module name -> what to patch in it, for the current instrument() (emptied on uninstrument)
        self._on_module: dict[str, list[Callable[[ModuleType], None]]] = {}
        # module names with a registered post-import hook that has not fired yet (hooks are one-shot)
        self._hooked: set[str] = set()
        self._applying = False

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

    def wrap_on_import(self, module_name: str, class_name: str, attribute: str, wrapper: Callable[..., Any]) -> None:
        """``module_name.class_name.attribute`` wrapped as ``wrap`` does, now if the module is
        imported, else when the app imports it (a class this SDK version lacks: skipped)."""

        def patch(module: ModuleType) -> None:
            cls = getattr(module, class_name, None)
            if cls is not None:
                self.wrap(cls, attribute, wrapper)

        self.on_import(module_name, patch)

    def on_import(self, module_name: str, patch: Callable[[ModuleType], None]) -> None:
        """Run ``patch(module)`` now if ``module_name`` is imported, else when it is imported
        (while this instrumentor is applied).  What it changes must go through ``wrap``/``replace``."""
        self._on_module.setdefault(module_name, []).append(patch)
        module = sys.modules.get(module_name)
        if module is not None and not _initializing(module):
            patch(module)
        elif module_name not in self._hooked:
            # Not imported yet (or being imported by another thread: the hook fires once its code
            # has run).  One hook per module, however many instrument()/uninstrument() cycles.
            self._hooked.add(module_name)
            wrapt.register_post_import_hook(self._module_imported, module_name)

    def replace(self, cls: Any, attribute: str, value: Any) -> None:
        """Set ``cls.attribute`` to ``value`` until ``uninstrument()``."""
        original = cls.__dict__.get(attribute)
        setattr(cls, attribute, value)
        self._patched.append((cls, attribute, original))

    def _module_imported(self, module: ModuleType) -> None:
        """The post-import hook: patch a target module the app has just imported."""
        name = module.__name__
        with self._lock:
            self._hooked.discard(name)
            if self._applied_to is None and not self._applying:
                return  # uninstrumented (or never applied) since the hook was registered
            try:
                for patch in self._on_module.get(name, ()):
                    patch(module)
            except Exception as exc:
                # An exception here would fail the app's import (wrapt re-raises it): report it and
                # leave this module as far as it got; uninstrument() still restores what was patched.
                _errors.report(f"{self.name}.instrument", exc)

    def _instrument(self, module: ModuleType) -> None:
        self.provider.enabled = True
        self._on_module = {}
        self._applying = True
        try:
            for target in self.targets:
                self.wrap_on_import(target.module, target.cls, target.method, self.wrapper_for(target))
            self.patch_more()
        finally:
            self._applying = False

    def _uninstrument(self, module: ModuleType) -> None:
        self.provider.enabled = False
        self._on_module = {}
        while self._patched:
            cls, attribute, original = self._patched.pop()
            if original is None:
                delattr(cls, attribute)
            else:
                setattr(cls, attribute, original)


def _initializing(module: ModuleType) -> bool:
    """Whether the module's code is still running (the import system's own flag on its spec)."""
    return bool(getattr(getattr(module, "__spec__", None), "_initializing", False))
