"""Where finished spans go: the public plug-in point.

Built-ins by name: ``sqlite`` (the local sink, default), ``otlp``, ``http``, ``console``,
``memory``.  Third-party packages add names through the entry-point group ``llm_agent.backends``
(the entry point names a factory ``f(settings) -> Backend``), or at run time with
``register_backend(name, factory)``.  Any ``Backend`` object or OpenTelemetry ``SpanExporter``
object can be passed to ``init(backends=[...])`` directly.  The contract is in docs/backends.md.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from llm_agent.backends._types import Backend, ExportResult, RetryAfter, SpanRecord

if TYPE_CHECKING:
    from llm_agent.config import Settings

ENTRY_POINT_GROUP: Final = "llm_agent.backends"
#: name -> "module:factory" (imported only when the name is used, so extras stay optional).
BUILTIN_BACKENDS: Final = {
    "sqlite": "llm_agent.backends.sqlite:SQLiteBackend.from_settings",
    "otlp": "llm_agent.backends.otlp:create",
    "http": "llm_agent.backends.http:HttpBackend.from_settings",
    "console": "llm_agent.backends.console:ConsoleBackend.from_settings",
    "memory": "llm_agent.backends.memory:MemoryBackend.from_settings",
}

#: ``factory(settings)`` -> a ``Backend`` or an OpenTelemetry ``SpanExporter``.
BackendFactory = Callable[["Settings"], Any]
_registry: dict[str, BackendFactory] = {}
_lock = threading.Lock()


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``name`` usable in ``init(backends=[...])`` / ``LLM_AGENT_BACKENDS``.

    ``factory(settings)`` returns a ``Backend`` (or an OpenTelemetry ``SpanExporter``); it may raise
    ``ConfigError`` for missing configuration.
    """
    if not name or "," in name or name != name.strip():
        raise ValueError(f"backend name must be a non-empty word without commas, got {name!r}")
    with _lock:
        _registry[name] = factory


def _load_path(path: str) -> BackendFactory:
    module_name, _, attr = path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj  # type: ignore[no-any-return]


def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}  # selection: Python >= 3.10


def available_backends() -> list[str]:
    """Every accepted name: built-ins, registered and installed entry points."""
    with _lock:
        names = set(BUILTIN_BACKENDS) | set(_registry)
    return sorted(names | set(_entry_points()))


def _accepted() -> str:
    return ", ".join(available_backends())


def create_backend(spec: Any, settings: Settings) -> tuple[str, Any]:
    """``spec`` (a name, ``Backend`` or ``SpanExporter``) -> (stats name, backend object).

    Raises ``ConfigError`` naming option ``backends`` / ``LLM_AGENT_BACKENDS`` when unusable.
    """
    from opentelemetry.sdk.trace.export import SpanExporter

    # here, not at the top: the analysis side imports this package (for the sink's schema) and
    # must not pay for the settings (logging, the secret patterns) it never uses
    from llm_agent.config import ConfigError

    where = "option 'backends' (env LLM_AGENT_BACKENDS)"
    if isinstance(spec, str):
        name = spec.strip().lower() if spec.strip().lower() in BUILTIN_BACKENDS else spec.strip()
        with _lock:
            factory = _registry.get(name)
        if factory is None and name in BUILTIN_BACKENDS:
            factory = _load_path(BUILTIN_BACKENDS[name])
        if factory is None:
            ep = _entry_points().get(name)
            if ep is not None:
                try:
                    factory = ep.load()
                except Exception as exc:
                    raise ConfigError(f"{where}: cannot load backend plug-in {name!r} ({ep.value}): {exc!r}") from exc
        if factory is None:
            raise ConfigError(
                f"{where}: unknown backend {spec!r}; accepted: {_accepted()}, or a Backend/SpanExporter object"
            )
        try:
            backend = factory(settings)
        except ConfigError:
            raise
        except Exception as exc:
            raise ConfigError(f"{where}: cannot create backend {name!r}: {exc!r}") from exc
        _check(backend, f"backend {name!r} factory returned")
        return name, backend
    if isinstance(spec, SpanExporter):
        return getattr(spec, "name", None) or type(spec).__name__, spec
    _check(spec, "got")
    return getattr(spec, "name", None) or type(spec).__name__, spec


def _check(obj: Any, what: str) -> None:
    from opentelemetry.sdk.trace.export import SpanExporter

    from llm_agent.config import ConfigError

    if isinstance(obj, SpanExporter):
        return
    missing = [m for m in ("export", "flush", "shutdown") if not callable(getattr(obj, m, None))]
    if missing:
        raise ConfigError(
            f"option 'backends' (env LLM_AGENT_BACKENDS): {what} {obj!r}, which is neither a backend name "
            f"({_accepted()}), a Backend (missing {', '.join(missing)}) nor an OpenTelemetry SpanExporter"
        )


def __getattr__(name: str) -> Any:
    # The built-in classes without importing optional dependencies up front.
    lazy = {
        "SQLiteBackend": "llm_agent.backends.sqlite",
        "HttpBackend": "llm_agent.backends.http",
        "ConsoleBackend": "llm_agent.backends.console",
        "MemoryBackend": "llm_agent.backends.memory",
    }
    if name in lazy:
        return getattr(importlib.import_module(lazy[name]), name)
    raise AttributeError(name)


__all__ = [
    "BUILTIN_BACKENDS",
    "ENTRY_POINT_GROUP",
    "Backend",
    "ConsoleBackend",
    "ExportResult",
    "HttpBackend",
    "MemoryBackend",
    "RetryAfter",
    "SQLiteBackend",
    "SpanRecord",
    "available_backends",
    "create_backend",
    "register_backend",
]
