"""The Ollama SDK on the provider core: what each method is, how its request and results read.

The app's call, the error funnel and the span's single end are the core's
(``instrumentation/_call.py``).  Here: the request side (the arguments bound to their names, read
when the span is built unless content is captured) and the streams, which post when first
iterated (``_lazy``).
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent import semconv
from llm_agent._secrets import secret_values
from llm_agent._state import get_settings
from llm_agent.config import Settings
from llm_agent.instrumentation._call import Call, DeferredRequest, Operation, Provider
from llm_agent.instrumentation._lazy import lazy_stream
from llm_agent.instrumentation._server import ServerCache, url_attributes
from llm_agent.instrumentation.ollama._extract import (
    REQUEST_KEYS,
    bind,
    chat_attributes,
    embed_attributes,
    generate_attributes,
    request_attributes,
)
from llm_agent.instrumentation.ollama._sdk import client_base_url
from llm_agent.instrumentation.ollama._stream import OllamaStreamAccumulator

#: ``gen_ai.provider.name``: the value the ARMS agent sets (the GenAI conventions have none).
PROVIDER: Final = "ollama"


def _chat_stream(call: Call) -> OllamaStreamAccumulator:
    return OllamaStreamAccumulator(call.capture, call.limit, chat=True)


def _generate_stream(call: Call) -> OllamaStreamAccumulator:
    return OllamaStreamAccumulator(call.capture, call.limit, chat=False)


CHAT: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, chat_attributes, _chat_stream)
GENERATE: Final = Operation(semconv.OP_TEXT_COMPLETION, semconv.KIND_LLM, generate_attributes, _generate_stream)
EMBED: Final = Operation(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, embed_attributes)
#: The deprecated ``embeddings`` (``/api/embeddings``): one vector, no token counts.
EMBEDDINGS: Final = Operation(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, embed_attributes)
#: The SDK method each operation is (for binding its positional arguments).
METHODS: Final = {CHAT: "chat", GENERATE: "generate", EMBED: "embed", EMBEDDINGS: "embeddings"}


def _read_server(base_url: Any, settings: Settings) -> tuple[str, dict[str, Any]]:
    return PROVIDER, url_attributes(base_url)


_servers: Final = ServerCache(_read_server)


def _request_side(op: Operation, base_url: Any, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    return _servers.request_side(base_url, settings, request_attributes(op.name, kwargs, settings), PROVIDER)


def _kept(named: dict[str, Any]) -> dict[str, Any]:
    """The arguments the request side reads, as they are now (``options`` copied: an app may reuse
    and change its options dict before the span is built)."""
    kept = {}
    for key, value in named.items():
        if key in REQUEST_KEYS:
            kept[key] = dict(value) if type(value) is dict else value
    return kept


class OllamaProvider(Provider):
    name = "ollama"

    def secrets(self, instance: Any) -> tuple[str, ...]:
        # A hosted Ollama (or a proxy in front of one) takes ``Authorization`` among the client's
        # ``headers=``; the local server needs none.
        return secret_values(None, getattr(getattr(instance, "_client", None), "headers", None))

    def begin(self, op: Operation, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        settings = get_settings()
        base_url = client_base_url(instance)
        named = bind(METHODS[op], args, kwargs)
        model = named.get("model")
        name = f"{op.name} {model}" if type(model) is str and model else op.name
        if settings.capture_content:  # the messages are read now: the app may append to the list later
            return self.start(op, name, _request_side(op, base_url, named, settings), settings)
        request = DeferredRequest(self.name, _request_side, op, base_url, _kept(named), settings)
        return self.start(op, name, {}, settings, request=request)

    def wrap_result(self, call: Call, result: Any) -> Any:
        # ``stream=True`` returns a generator that posts when first iterated: an error then fails
        # the call.  Responses are pydantic models (iterable, but no ``__next__``).
        if call.op.accumulator is not None and (hasattr(result, "__next__") or hasattr(result, "__anext__")):
            return lazy_stream(call, result)
        call.end_with(result)
        return result


provider: Final = OllamaProvider()

__all__ = ["CHAT", "EMBED", "EMBEDDINGS", "GENERATE", "PROVIDER", "provider"]
