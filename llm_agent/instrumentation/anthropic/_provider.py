"""The Anthropic SDK on the provider core: what each method is, how its request and results read.

The app's call, the error funnel and the span's single end are the core's
(``instrumentation/_call.py``).  Here: the request side (read when the span is built, unless
content is captured), which SDK type a result is, the ``messages.stream(...)`` managers (they
post on their own when entered) and the SDK's own tracer, quieted for the calls we trace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from llm_agent import _errors, semconv
from llm_agent._secrets import secret_values
from llm_agent._state import get_settings
from llm_agent.config import MAX_ID_LENGTH, Settings
from llm_agent.instrumentation import _stainless as stainless
from llm_agent.instrumentation._call import (
    Call,
    DeferredRequest,
    Operation,
    Provider,
    async_wrapper,
    kept_arguments,
    sync_wrapper,
)
from llm_agent.instrumentation._server import ServerCache, url_attributes
from llm_agent.instrumentation.anthropic._extract import REQUEST_KEYS, message_attributes, request_attributes
from llm_agent.instrumentation.anthropic._sdk import is_sse_stream, request_slot, resource_client, sdk_types
from llm_agent.instrumentation.anthropic._stream import MessageAccumulator


def _message_stream(call: Call) -> MessageAccumulator:
    return MessageAccumulator(call.capture, call.limit)


CHAT: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, message_attributes, _message_stream)
TEXT_COMPLETION: Final = Operation(semconv.OP_TEXT_COMPLETION, semconv.KIND_LLM, message_attributes, _message_stream)
#: The request a ``messages.stream(...)`` manager posts when entered: always a stream.
MANAGED_STREAM: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, message_attributes, _message_stream)

#: Client classes that serve Claude through a cloud platform: the platform is the provider (the
#: GenAI spec's values), as it is the one that bills and serves the call.
_PLATFORM_CLIENTS: Final = (("Bedrock", semconv.PROVIDER_AWS_BEDROCK), ("Vertex", semconv.PROVIDER_GCP_VERTEX_AI))
_provider_by_class: dict[type, str] = {}


def provider_of(client: Any) -> str:
    cls = type(client)
    provider = _provider_by_class.get(cls)
    if provider is None:
        provider = semconv.PROVIDER_ANTHROPIC
        for marker, name in _PLATFORM_CLIENTS:
            if marker in cls.__name__:
                provider = name
                break
        _provider_by_class[cls] = provider
    return provider


def _read_server(base_url: Any, settings: Settings) -> tuple[str, dict[str, Any]]:
    # The provider comes from the client's class (provider_of), not from its URL.
    return semconv.PROVIDER_ANTHROPIC, url_attributes(base_url)


_servers: Final = ServerCache(_read_server)


def _request_user(kwargs: dict[str, Any]) -> str | None:
    """``metadata.user_id`` of the request (used only with ``session_from_request``)."""
    metadata = kwargs.get("metadata")
    value = metadata.get("user_id") if isinstance(metadata, dict) else None
    return value if type(value) is str and 0 < len(value) <= MAX_ID_LENGTH else None


def _request_side(
    op: Operation, provider_name: str, base_url: Any, kwargs: dict[str, Any], settings: Settings
) -> dict[str, Any]:
    request = request_attributes(op.name, kwargs, settings)
    return _servers.request_side(base_url, settings, request, provider_name, stream=op is MANAGED_STREAM)


class AnthropicProvider(Provider):
    name = "anthropic"

    def secrets(self, instance: Any) -> tuple[str, ...]:
        # ``auth_headers``: ``X-Api-Key: <key>`` and/or ``Authorization: Bearer <auth_token>``.
        client = resource_client(instance)
        if client is None:
            return ()
        found = secret_values(getattr(client, "api_key", None), getattr(client, "auth_headers", None))
        return found + secret_values(getattr(client, "auth_token", None))

    def begin(self, op: Operation, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        settings = get_settings()
        client = resource_client(instance)
        base_url = getattr(client, "base_url", None)
        provider_name = provider_of(client)
        user_id = _request_user(kwargs) if settings.session_from_request else None
        model = kwargs.get("model")
        name = f"{op.name} {model}" if type(model) is str and model else op.name
        if settings.capture_content:  # the messages are read now: the app may append to the list later
            attrs = _request_side(op, provider_name, base_url, kwargs, settings)
            return self.start(op, name, attrs, settings, user_id=user_id)
        request = DeferredRequest(
            self.name, _request_side, op, provider_name, base_url, kept_arguments(kwargs, REQUEST_KEYS), settings
        )
        return self.start(op, name, {}, settings, request=request, user_id=user_id)

    def wrap_result(self, call: Call, result: Any) -> Any:
        return stainless.wrap_result(call, result, sdk_types(), is_sse_stream)


provider: Final = AnthropicProvider()
_run_managed_sync: Final = sync_wrapper(provider, MANAGED_STREAM)
_run_managed_async: Final = async_wrapper(provider, MANAGED_STREAM)


def stream_manager_wrapper(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``messages.stream(...)`` posts by itself (not through ``create``) when the manager is
    entered; the span starts then, around the manager's deferred request."""
    manager = wrapped(*args, **kwargs)
    if provider.active.get() or not provider.enabled:
        return manager
    try:
        slot = request_slot(manager)
        if slot is not None:
            request = getattr(manager, slot)
            if callable(request):
                setattr(manager, slot, _deferred_sync(request, instance, kwargs))
            else:  # the async manager holds an un-awaited coroutine
                setattr(manager, slot, _run_managed_async(lambda *_, **__: request, instance, (), kwargs))
    except Exception as err:
        _errors.report(f"{provider.name}.stream_manager", err)
    return manager


def _deferred_sync(request: Callable[[], Any], instance: Any, kwargs: dict[str, Any]) -> Callable[[], Any]:
    def run() -> Any:
        # The core's wrapper around the manager's request (which takes no arguments).
        return _run_managed_sync(lambda *_, **__: request(), instance, (), kwargs)

    return run


def quiet_sdk_tracer(original: property) -> property:
    """The SDK's ``_tracer`` property, giving None while one of our wrappers runs.

    anthropic 2.x traces its own requests with the global tracer provider by default; that span
    would duplicate ours (a second LLM-kind span with the same tokens, counted twice in every
    rollup), so the SDK is told it has no tracer for the calls we trace.
    """
    getter = original.fget
    active = provider.active

    def _tracer(self: Any) -> Any:
        if active.get() and provider.enabled:
            return None
        return getter(self) if getter is not None else None

    return property(_tracer, original.fset, original.fdel, original.__doc__)


__all__ = [
    "CHAT",
    "MANAGED_STREAM",
    "TEXT_COMPLETION",
    "provider",
    "provider_of",
    "quiet_sdk_tracer",
    "stream_manager_wrapper",
]
