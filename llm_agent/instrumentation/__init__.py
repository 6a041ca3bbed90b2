"""Instrumentors, one package per instrumented library, and the registry that finds them."""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the base is imported with the first instrumentor, not with the package
    from llm_agent.instrumentation._base import Instrumentor

from llm_agent.instrumentation._registry import INSTRUMENTORS, LIBRARIES

_instances: dict[str, Instrumentor] = {}
_lock = threading.Lock()


def get_instrumentor(name: str) -> Instrumentor:
    """The one instrumentor instance for ``name`` (ValueError for an unknown name)."""
    if name not in INSTRUMENTORS:
        raise ValueError(f"unknown library {name!r} to instrument; accepted: {sorted(INSTRUMENTORS)}")
    with _lock:
        inst = _instances.get(name)
        if inst is None:
            module_name, _, class_name = INSTRUMENTORS[name].partition(":")
            cls = getattr(importlib.import_module(module_name), class_name)
            inst = _instances[name] = cls()
        return inst


def installed_libraries() -> list[str]:
    """Names of the supported libraries that are importable here."""
    import importlib.util

    out = []
    for name, module in LIBRARIES.items():
        try:
            if importlib.util.find_spec(module) is not None:
                out.append(name)
        except (ImportError, ValueError):
            pass
    return out


__all__ = ["INSTRUMENTORS", "LIBRARIES", "get_instrumentor", "installed_libraries"]
