"""The Mistral SDK on the provider core: what each method is, how its request and results read.

The app's call, the error funnel and the span's single end are the core's
(``instrumentation/_call.py``).  Here: the request side (read when the span is built, unless
content is captured), the server the call goes to, and the SDK's own tracing hook, quieted for
the calls we trace.  ``chat.stream`` always returns an event stream, ``chat.complete`` a model,
so the core's default ``wrap_result`` tells them apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

from llm_agent import semconv
from llm_agent._secrets import secret_values
from llm_agent._state import get_settings
from llm_agent.config import Settings
from llm_agent.instrumentation._call import Call, DeferredRequest, Operation, Provider, kept_arguments
from llm_agent.instrumentation._server import DEFAULT_PORTS, ServerCache
from llm_agent.instrumentation.mistralai._extract import (
    REQUEST_KEYS,
    chat_attributes,
    embeddings_attributes,
    request_attributes,
    request_ids,
)
from llm_agent.instrumentation.mistralai._sdk import server_url
from llm_agent.instrumentation.mistralai._stream import MistralChunks

#: ``gen_ai.provider.name`` (the GenAI conventions' value).
PROVIDER: Final = "mistral_ai"


def _chunks(call: Call) -> MistralChunks:
    return MistralChunks(call.capture, call.limit)


CHAT: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, chat_attributes, _chunks)
CHAT_STREAM: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, chat_attributes, _chunks, stream=True)
EMBEDDINGS: Final = Operation(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, embeddings_attributes)


def _read_server(url: str, settings: Settings) -> tuple[str, dict[str, Any]]:
    # Always Mistral: the client serves its API, wherever its server_url points.
    attrs: dict[str, Any] = {}
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:  # a malformed URL (a bad port): the SDK's own call will say so
        return PROVIDER, attrs
    if host:
        attrs[semconv.SERVER_ADDRESS] = host
        port = port if port is not None else DEFAULT_PORTS.get(parts.scheme)
        if port is not None:
            attrs[semconv.SERVER_PORT] = port
    return PROVIDER, attrs


_servers: Final = ServerCache(_read_server)


def _request_side(op: Operation, url: str | None, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    request = request_attributes(op.name, kwargs, settings)
    return _servers.request_side(url, settings, request, PROVIDER, stream=op.stream, kind=op.kind)


class MistralProvider(Provider):
    name = "mistralai"

    def secrets(self, instance: Any) -> tuple[str, ...]:
        # ``sdk_configuration.security`` holds the key (a string, or a callable the SDK calls
        # per request: then only what a call returns would tell, and it is not called here).
        security = getattr(getattr(instance, "sdk_configuration", None), "security", None)
        return secret_values(getattr(security, "api_key", None))

    def begin(self, op: Operation, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        settings = get_settings()
        url = server_url(instance, kwargs)
        session_id = user_id = None
        if settings.session_from_request:
            session_id, user_id = request_ids(kwargs)
        model = kwargs.get("model")
        name = f"{op.name} {model}" if type(model) is str and model else op.name
        if settings.capture_content:  # the messages are read now: the app may append to the list later
            attrs = _request_side(op, url, kwargs, settings)
            return self.start(op, name, attrs, settings, session_id=session_id, user_id=user_id)
        request = DeferredRequest(self.name, _request_side, op, url, kept_arguments(kwargs, REQUEST_KEYS), settings)
        return self.start(op, name, {}, settings, request=request, session_id=session_id, user_id=user_id)


provider: Final = MistralProvider()


def quiet_sdk_tracing(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``TracingHook.before_request``, skipped while one of our wrappers runs.

    With its telemetry switched on (``MISTRAL_SDK_TELEMETRY``, ``configure_telemetry``) mistralai
    makes a GenAI span of its own per request, with the same tokens; under ours it would be a
    second LLM span of the one call, so for the calls we trace the hook leaves the request as it
    is (its after-hooks then find no span and do nothing).
    """
    if provider.active.get() and provider.enabled:
        return args[1] if len(args) > 1 else kwargs.get("request")
    return wrapped(*args, **kwargs)


__all__ = ["CHAT", "CHAT_STREAM", "EMBEDDINGS", "PROVIDER", "MistralProvider", "provider", "quiet_sdk_tracing"]
