"""Every read of an OpenAI Agents SDK internal, each with its fallback (tests/contract rows).

The processor itself uses only the SDK's public tracing interface (``add_trace_processor``,
``TracingProcessor``, a span's ``span_id``/``parent_id``/``trace_id``/``span_data``/``error``,
the span data's public fields).  What is read beyond it is here.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Final

#: The class holding the SDK's current span and trace (contextvars) and its four classmethods.
SCOPE_MODULE: Final = "agents.tracing.scope"
SCOPE_CLASS: Final = "Scope"
SCOPE_METHODS: Final = ("set_current_span", "reset_current_span", "set_current_trace", "reset_current_trace")


def scope_class() -> Any:
    """``agents.tracing.scope.Scope`` when it has the four methods we hook, else None.

    Without it (an SDK version that moved it) our spans are still made, parented explicitly, but
    not made current: a provider span inside the SDK's model call is then a sibling, not a child,
    and the SDK's response spans never carry usage (docs/openai-agents.md, "Without the hook").
    """
    try:
        module = importlib.import_module(SCOPE_MODULE)
    except ImportError:
        return None
    cls = getattr(module, SCOPE_CLASS, None)
    if cls is None or not all(callable(getattr(cls, name, None)) for name in SCOPE_METHODS):
        return None
    return cls


def trace_provider(module: ModuleType) -> Any:
    """The SDK's trace provider in force (its processors receive every trace and span), or None."""
    tracing = getattr(module, "tracing", None)
    getter = getattr(tracing, "get_trace_provider", None)
    return getter() if callable(getter) else None


def registered_processors(provider: Any) -> tuple[Any, ...] | None:
    """The processors ``provider`` forwards to (the default provider's private multi-processor),
    or None when this SDK version or a custom provider does not show them."""
    processors = getattr(getattr(provider, "_multi_processor", None), "_processors", None)
    return tuple(processors) if isinstance(processors, (tuple, list)) else None


def response_id(data: Any) -> str | None:
    """The response id of a response span: from the response when the SDK kept it
    (``trace_include_sensitive_data``), else the id it keeps privately without it."""
    response = getattr(data, "response", None)
    value = getattr(response, "id", None) if response is not None else getattr(data, "_response_id", None)
    return value if isinstance(value, str) else None


def response_usage(response: Any) -> dict[str, Any] | None:
    """A Responses API response's usage as the SDK's span usage dict (``input_tokens``,
    ``output_tokens``, the details), for SDK releases whose response spans carry none."""
    usage = getattr(response, "usage", None)
    dump = getattr(usage, "model_dump", None)
    found = dump() if callable(dump) else None
    return found if isinstance(found, dict) else None


def group_id(trace: Any) -> str | None:
    """The trace's group id (a conversation thread in the SDK's own dashboard), if any."""
    value = getattr(trace, "group_id", None)
    return value if isinstance(value, str) and value else None


__all__ = [
    "SCOPE_METHODS",
    "group_id",
    "registered_processors",
    "response_id",
    "response_usage",
    "scope_class",
    "trace_provider",
]
