"""The Cohere SDK on the provider core: what each v2 method is, how its request and results read.

The app's call, the error funnel and the span's single end are the core's
(``instrumentation/_call.py``).  Here: the request side (read when the span is built, unless
content is captured) and the provider name of the client.
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent import semconv
from llm_agent._secrets import secret_values
from llm_agent._state import get_settings
from llm_agent.config import Settings
from llm_agent.instrumentation._call import Call, DeferredRequest, Operation, Provider, kept_arguments
from llm_agent.instrumentation._lazy import lazy_stream
from llm_agent.instrumentation._server import ServerCache, url_attributes
from llm_agent.instrumentation._values import field
from llm_agent.instrumentation.cohere._extract import (
    OP_RERANK,
    REQUEST_KEYS,
    chat_attributes,
    embed_attributes,
    request_attributes,
    rerank_attributes,
    rerank_start,
)
from llm_agent.instrumentation.cohere._sdk import client_base_url
from llm_agent.instrumentation.cohere._stream import ChatStreamAccumulator

#: ``gen_ai.provider.name``: the GenAI conventions' value.
PROVIDER: Final = "cohere"
#: Client classes that serve Cohere's models through a cloud platform: the platform is the
#: provider (the conventions' value), as it is the one that bills and serves the call.
_PLATFORM_CLIENTS: Final = (("Bedrock", "aws.bedrock"),)


def _chat_stream(call: Call) -> ChatStreamAccumulator:
    return ChatStreamAccumulator(call.capture, call.limit)


CHAT: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, chat_attributes)
#: ``chat_stream`` always returns a stream (a generator that posts when first iterated).
CHAT_STREAM: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, None, _chat_stream, stream=True)


def _raw_chat_attributes(body: Any, capture: bool, limit: int) -> dict[str, Any]:
    return chat_attributes(field(body, "data"), capture, limit)  # an ``HttpResponse``: parsed already


#: ``RawV2Client.chat``, which ``V2Client.chat`` calls (then it passes through: one span).  Patched
#: because ``ClientV2.__init__`` binds ``self.chat`` to the method the class had then: a client made
#: before ``instrument()`` calls the raw client's, and so does ``with_raw_response.chat``.
RAW_CHAT: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, _raw_chat_attributes)
EMBED: Final = Operation(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, embed_attributes)
RERANK: Final = Operation(OP_RERANK, semconv.KIND_RERANKER, rerank_attributes)

_provider_by_class: dict[type, str] = {}


def provider_of(client: Any) -> str:
    cls = type(client)
    name = _provider_by_class.get(cls)
    if name is None:
        name = PROVIDER
        for marker, platform in _PLATFORM_CLIENTS:
            if marker in cls.__name__:
                name = platform
                break
        _provider_by_class[cls] = name
    return name


def _read_server(base_url: Any, settings: Settings) -> tuple[str, dict[str, Any]]:
    import httpx  # the SDK's own HTTP library, imported by it already

    return PROVIDER, url_attributes(httpx.URL(base_url)) if type(base_url) is str else {}


_servers: Final = ServerCache(_read_server)


def _request_side(
    op: Operation, provider_name: str, base_url: Any, kwargs: dict[str, Any], settings: Settings
) -> dict[str, Any]:
    request = request_attributes(op.name, kwargs, settings)
    return _servers.request_side(base_url, settings, request, provider_name, stream=op is CHAT_STREAM)


class CohereProvider(Provider):
    name = "cohere"

    def secrets(self, instance: Any) -> tuple[str, ...]:
        # The client wrapper's headers carry ``Authorization: Bearer <key>`` (the key may be a
        # callable the wrapper calls per request: the headers hold its current value).
        wrapper = getattr(instance, "_client_wrapper", None) or getattr(
            getattr(instance, "_raw_client", None), "_client_wrapper", None
        )
        get_headers = getattr(wrapper, "get_headers", None)
        return secret_values(None, get_headers()) if callable(get_headers) else ()

    def begin(self, op: Operation, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        settings = get_settings()
        base_url = client_base_url(instance)
        provider_name = provider_of(instance)
        model = kwargs.get("model")
        name = f"{op.name} {model}" if type(model) is str and model else op.name
        start = rerank_start(kwargs) if op is RERANK else {}
        if settings.capture_content:  # the messages are read now: the app may append to the list later
            start.update(_request_side(op, provider_name, base_url, kwargs, settings))
            return self.start(op, name, start, settings)
        request = DeferredRequest(
            self.name, _request_side, op, provider_name, base_url, kept_arguments(kwargs, REQUEST_KEYS), settings
        )
        return self.start(op, name, start, settings, request=request)

    def wrap_result(self, call: Call, result: Any) -> Any:
        # ``chat_stream``'s generator posts when first iterated: an error then fails the call.
        if call.op is CHAT_STREAM and (hasattr(result, "__next__") or hasattr(result, "__anext__")):
            return lazy_stream(call, result)
        call.end_with(result)
        return result


provider: Final = CohereProvider()

__all__ = ["CHAT", "CHAT_STREAM", "EMBED", "PROVIDER", "RAW_CHAT", "RERANK", "provider", "provider_of"]
