"""Every internal of the ``mistralai`` SDK that the Mistral instrumentation reads, in one place.

Each read has a fallback (an absent internal makes the instrumentation do less, never fail the
app), and each is checked against the installed SDK by ``tests/contract/test_sdk_internals.py``,
which names the internal that moved:

- ``resource.sdk_configuration.get_server_details()``: the client's server URL (a call's own
  ``server_url=`` wins), for ``server.address``/``server.port``.
- ``model_fields_set`` of the SDK's pydantic models: whether a usage count was in the response
  at all, since ``UsageInfo`` fills an absent count with 0 (unknown would read as zero).
- ``mistralai.client._hooks.tracing.TracingHook.before_request``: the hook through which the SDK
  traces its own requests when its telemetry is switched on (quieted while our wrapper runs, so
  one call is not two LLM spans).
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent.instrumentation._base import find_class

#: Where mistralai 3.x keeps the hook that makes its own GenAI spans.
TRACING_HOOK: Final = ("mistralai.client._hooks.tracing", "TracingHook")
TRACING_METHOD: Final = "before_request"


def server_url(resource: Any, kwargs: dict[str, Any]) -> str | None:
    """The URL a call goes to: its ``server_url=`` argument, else its client's server."""
    url = kwargs.get("server_url")
    if type(url) is str and url:
        return url
    config = getattr(resource, "sdk_configuration", None)
    details = getattr(config, "get_server_details", None)
    if details is None:
        return None
    try:
        found = details()[0]
    except Exception:  # an invalid server name: the SDK's own call will say so
        return None
    return found if type(found) is str else None


def reported(model: Any, name: str) -> bool:
    """Whether ``name`` was in the response the SDK model was read from (not a default).

    A model without ``model_fields_set`` (another pydantic, a dict) counts as reporting it.
    """
    fields = getattr(model, "model_fields_set", None)
    if fields is None:
        return True
    return name in fields or name in (getattr(model, "__pydantic_extra__", None) or {})


def tracing_hook() -> Any:
    """The SDK's ``TracingHook`` class where this SDK version has one (None otherwise)."""
    return find_class(*TRACING_HOOK)


__all__ = ["TRACING_HOOK", "TRACING_METHOD", "reported", "server_url", "tracing_hook"]
