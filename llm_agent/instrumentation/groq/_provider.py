"""The Groq SDK on the provider core: what each method is, how its request and results read.

The app's call, the error funnel and the span's single end are the core's
(``instrumentation/_call.py``).  Here: the request side (read when the span is built, unless
content is captured) and which SDK type a result is — a model, a stream, or a raw
``with_raw_response`` / ``with_streaming_response`` response (the SDK is Stainless-generated,
like openai's and anthropic's, so the core's raw proxies fit it as they are).
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent import semconv
from llm_agent._secrets import secret_values
from llm_agent._state import get_settings
from llm_agent.config import Settings
from llm_agent.instrumentation import _stainless as stainless
from llm_agent.instrumentation._call import Call, DeferredRequest, Operation, Provider, kept_arguments
from llm_agent.instrumentation._server import ServerCache, url_attributes
from llm_agent.instrumentation.groq._extract import (
    REQUEST_KEYS,
    chat_attributes,
    embeddings_attributes,
    request_attributes,
    request_user,
)
from llm_agent.instrumentation.groq._sdk import client_base_url, is_sse_stream, sdk_types
from llm_agent.instrumentation.groq._stream import GroqChunks

#: ``gen_ai.provider.name`` (the GenAI conventions' value).
PROVIDER: Final = "groq"


def _chunks(call: Call) -> GroqChunks:
    return GroqChunks(call.capture, call.limit)


CHAT: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, chat_attributes, _chunks)
EMBEDDINGS: Final = Operation(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, embeddings_attributes)


def _read_server(base_url: Any, settings: Settings) -> tuple[str, dict[str, Any]]:
    # Always Groq: its client serves only its own API.
    return PROVIDER, url_attributes(base_url)


_servers: Final = ServerCache(_read_server)


def _request_side(op: Operation, base_url: Any, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    request = request_attributes(op.name, kwargs, settings)
    return _servers.request_side(base_url, settings, request, PROVIDER, kind=op.kind)


class GroqProvider(Provider):
    name = "groq"

    def secrets(self, instance: Any) -> tuple[str, ...]:
        # A Stainless SDK like OpenAI's: ``auth_headers`` is ``Authorization: Bearer <key>``.
        client = getattr(instance, "_client", None)
        if client is None:
            return ()
        return secret_values(getattr(client, "api_key", None), getattr(client, "auth_headers", None))

    def begin(self, op: Operation, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        settings = get_settings()
        base_url = client_base_url(instance)
        user_id = request_user(kwargs) if settings.session_from_request else None
        model = kwargs.get("model")
        name = f"{op.name} {model}" if type(model) is str and model else op.name
        if settings.capture_content:  # the messages are read now: the app may append to the list later
            attrs = _request_side(op, base_url, kwargs, settings)
            return self.start(op, name, attrs, settings, user_id=user_id)
        request = DeferredRequest(
            self.name, _request_side, op, base_url, kept_arguments(kwargs, REQUEST_KEYS), settings
        )
        return self.start(op, name, {}, settings, request=request, user_id=user_id)

    def wrap_result(self, call: Call, result: Any) -> Any:
        return stainless.wrap_result(call, result, sdk_types(), is_sse_stream)


provider: Final = GroqProvider()

__all__ = ["CHAT", "EMBEDDINGS", "PROVIDER", "GroqProvider", "provider"]
