"""Every internal of the ``litellm`` package that the LiteLLM instrumentation reads, in one place.

Each read has a fallback (an absent internal makes the instrumentation do less, never fail the
app), and each is checked against the installed release by ``tests/contract/test_sdk_internals.py``:

- ``litellm.get_llm_provider``: LiteLLM's own routing of a model string (public, but its return
  shape is a tuple by position).
- ``CustomStreamWrapper`` (``litellm.litellm_core_utils.streaming_handler``): what ``completion``
  returns for ``stream=True``; its ``custom_llm_provider`` attribute.
- ``_hidden_params``: the dict LiteLLM hangs on its responses and stream chunks — the route that
  served the call (``custom_llm_provider``, ``api_base``) and, on a stream's last chunk, the usage
  the provider reported, or an ``UnreportedUsage`` (``litellm.types.utils``) when it reported none.
- ``litellm.router_rust.core.RustCore``: the class that serves the ``Router``'s endpoint methods in
  releases whose ``Router`` is a facade over it (older releases define them on ``Router`` itself).
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent.instrumentation._base import find_class, find_type

#: Where the Router's endpoint methods are defined: the facade's core (1.8x and later), else the
#: ``Router`` class itself.  A class that does not define a method is skipped for it.
ROUTER_CLASSES: Final = (("litellm.router_rust.core", "RustCore"), ("litellm.router", "Router"))
HIDDEN_PARAMS: Final = "_hidden_params"


class _SdkTypes:
    __slots__ = ("stream", "unreported_usage")


_types_cache: _SdkTypes | None = None


def sdk_types() -> _SdkTypes:
    global _types_cache
    if _types_cache is None:
        types = _SdkTypes()
        types.stream = find_type("litellm.litellm_core_utils.streaming_handler", "CustomStreamWrapper")
        types.unreported_usage = find_type("litellm.types.utils", "UnreportedUsage")
        _types_cache = types
    return _types_cache


def hidden_params(obj: Any) -> dict[str, Any] | None:
    """LiteLLM's ``_hidden_params`` of a response, chunk or stream (None when absent)."""
    params = getattr(obj, HIDDEN_PARAMS, None)
    return params if type(params) is dict else None


def resolve_provider(
    model: str, custom_provider: str | None, api_base: str | None
) -> tuple[str, str, str | None] | None:
    """LiteLLM's routing of ``model``: (the model sent, LiteLLM's provider name, its api_base), or
    None when LiteLLM cannot route it (its own call then fails with the same error)."""
    import litellm

    try:
        resolved = litellm.get_llm_provider(model=model, custom_llm_provider=custom_provider, api_base=api_base)
    except Exception:  # LiteLLM's answer for a model it cannot route: not ours to report
        return None
    sent, provider, _key, base = resolved  # (model, provider, dynamic api key: never kept, api_base)
    if type(sent) is not str or type(provider) is not str:
        return None
    return sent, provider, base if type(base) is str else None


def stream_provider(stream: Any) -> tuple[str | None, str | None]:
    """(LiteLLM provider, api_base) of a ``CustomStreamWrapper``."""
    provider = getattr(stream, "custom_llm_provider", None)
    params = hidden_params(stream) or {}
    base = params.get("api_base")
    return (provider if type(provider) is str else None), (base if type(base) is str else None)


def public_function_homes(name: str) -> list[Any]:
    """The modules whose attribute ``name`` is LiteLLM's public function: ``litellm`` itself and
    the module defining it (``litellm.main`` in older releases, a dispatch module in newer ones),
    whose own callers (``completion(acompletion=True)``) look it up there."""
    import importlib
    import sys

    litellm = sys.modules.get("litellm") or importlib.import_module("litellm")
    function = getattr(litellm, name, None)
    homes = [litellm]
    home = sys.modules.get(getattr(function, "__module__", "") or "")
    if home is not None and home is not litellm and getattr(home, name, None) is function:
        homes.append(home)
    return homes


def router_classes() -> list[Any]:
    return [cls for cls in (find_class(module, name) for module, name in ROUTER_CLASSES) if cls is not None]


__all__ = [
    "hidden_params",
    "public_function_homes",
    "resolve_provider",
    "router_classes",
    "sdk_types",
    "stream_provider",
]
