"""The DashScope SDK on the provider core: what each method is, how its request and results read.

The app's call, the error funnel and the span's single end are the core's
(``instrumentation/_call.py``).  Here: the request side of both APIs (the classic classmethods
take ``model`` and their main input positionally too), where each call posts (server.address),
which results are streams, and DashScope's errors *returned* as results (a classic response with
a ``status_code``, a 2.x result with ``is_error``): such a call ends as an error span with the
response's ``code`` as ``error.type``, and the app gets the response unchanged.
"""

from __future__ import annotations

import sys
from typing import Any, Final
from urllib.parse import urlsplit

from llm_agent import semconv
from llm_agent._secrets import secret_values
from llm_agent._state import get_settings
from llm_agent._util import ErrorResult
from llm_agent.config import Settings
from llm_agent.instrumentation._call import Call, DeferredRequest, Operation, Provider, kept_arguments
from llm_agent.instrumentation._server import DEFAULT_PORTS, ServerCache
from llm_agent.instrumentation._spans import end_span
from llm_agent.instrumentation._stream import AsyncStreamProxy, SyncStreamProxy
from llm_agent.instrumentation.dashscope import _sdk
from llm_agent.instrumentation.dashscope._extract import (
    OP_RERANK,
    PROVIDER,
    REQUEST_KEYS,
    RERANK_DOCUMENT_COUNT,
    chat_attributes,
    embedding_attributes,
    error_of,
    request_attributes,
    rerank_attributes,
    response_id,
)
from llm_agent.instrumentation.dashscope._stream import AsyncChatStreamProxy, ChatStreamProxy, ChunkAccumulator


def _chunks(call: Call) -> ChunkAccumulator:
    return ChunkAccumulator(call.capture, call.limit, call.state is True)


def _operation(name: str, kind: str, read: Any, streams: bool = False) -> Operation:
    return Operation(name, kind, read, _chunks if streams else None)


# The classic classmethods (``Generation.call``...): ``instance`` is the class.
GENERATION: Final = _operation(semconv.OP_CHAT, semconv.KIND_LLM, chat_attributes, streams=True)
MULTIMODAL: Final = _operation(semconv.OP_CHAT, semconv.KIND_LLM, chat_attributes, streams=True)
CLASSIC_EMBEDDING: Final = _operation(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, embedding_attributes)
CLASSIC_RERANK: Final = _operation(OP_RERANK, semconv.KIND_RERANKER, rerank_attributes)
# The 2.x client's resource methods (keyword-only): ``instance`` is the resource.
CLIENT_CHAT: Final = _operation(semconv.OP_CHAT, semconv.KIND_LLM, chat_attributes, streams=True)
CLIENT_EMBEDDING: Final = _operation(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, embedding_attributes)
CLIENT_RERANK: Final = _operation(OP_RERANK, semconv.KIND_RERANKER, rerank_attributes)

#: The classic methods' leading positional parameters, in their signatures' order.
_POSITIONAL: Final = {
    id(GENERATION): ("model", "prompt"),
    id(MULTIMODAL): ("model", "messages"),
    id(CLASSIC_EMBEDDING): ("model", "input"),
    id(CLASSIC_RERANK): ("model", "query", "documents"),
}
_CLIENT_OPS: Final = frozenset(id(op) for op in (CLIENT_CHAT, CLIENT_EMBEDDING, CLIENT_RERANK))


def _read_server(url: Any, settings: Settings) -> tuple[str, dict[str, Any]]:
    attrs: dict[str, Any] = {}
    if type(url) is str:
        try:
            parts = urlsplit(url)
            host, port = parts.hostname, parts.port or DEFAULT_PORTS.get(parts.scheme)
        except ValueError:  # a malformed URL: the SDK will say so; the span has no server
            host, port = None, None
        if host:
            attrs[semconv.SERVER_ADDRESS] = host
            if port is not None:
                attrs[semconv.SERVER_PORT] = port
    return PROVIDER, attrs


_servers: Final = ServerCache(_read_server)


def _request_side(op: Operation, url: Any, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    return _servers.request_side(url, settings, request_attributes(op.name, kwargs, settings), PROVIDER, kind=op.kind)


class DashScopeProvider(Provider):
    name = "dashscope"

    def secrets(self, instance: Any) -> tuple[str, ...]:
        # The module-level ``dashscope.api_key`` (DASHSCOPE_API_KEY is scrubbed as a key
        # variable); a key passed as a call's ``api_key=`` is caught only by its ``sk-`` shape.
        return secret_values(getattr(sys.modules.get("dashscope"), "api_key", None))

    def begin(self, op: Operation, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        settings = get_settings()
        if id(op) in _CLIENT_OPS:
            url = _sdk.client_base_url(_sdk.resource_client(instance), op is CLIENT_CHAT)
        else:
            url = kwargs.get("base_address") or _sdk.classic_base_url()
            if args:  # read the positional ones under their names (the app's kwargs stay as given)
                kwargs = {**dict(zip(_POSITIONAL.get(id(op), ()), args, strict=False)), **kwargs}
        model = kwargs.get("model")
        name = f"{op.name} {model}" if type(model) is str and model else op.name
        start: dict[str, Any] = {}
        if op.kind == semconv.KIND_RERANKER:  # a count, read now: the span keeps no documents
            documents = kwargs.get("documents")
            if isinstance(documents, (list, tuple)):
                start[RERANK_DOCUMENT_COUNT] = len(documents)
        state = _cumulative(op, kwargs) if kwargs.get("stream") is True else None
        if settings.capture_content:  # the messages are read now: the app may change the list later
            start.update(_request_side(op, url, kwargs, settings))
            return self.start(op, name, start, settings, state=state)
        request = DeferredRequest(self.name, _request_side, op, url, kept_arguments(kwargs, REQUEST_KEYS), settings)
        return self.start(op, name, start, settings, request=request, state=state)

    def wrap_result(self, call: Call, result: Any) -> Any:
        types = _sdk.sdk_types()
        stream_proxy: Any = None
        if isinstance(result, types.chat_stream):
            stream_proxy = ChatStreamProxy
        elif isinstance(result, types.async_chat_stream):
            stream_proxy = AsyncChatStreamProxy
        elif call.op.accumulator is not None and call.state is not None:
            # a classic stream: a generator (sync) or an async generator
            if hasattr(result, "__anext__"):
                stream_proxy = AsyncStreamProxy
            elif hasattr(result, "__next__"):
                stream_proxy = SyncStreamProxy
        if stream_proxy is not None:
            if isinstance(result, (types.chat_stream, types.async_chat_stream)):
                call.state = _sdk.cumulative_chunks(result)
            handle = call.stream_handle()
            accumulator = handle.accumulator
            if isinstance(accumulator, ChunkAccumulator):
                accumulator.handle = handle
            return stream_proxy(result, handle, _sdk.inner_iterator)
        error = error_of(result)
        if error is not None:
            attrs: dict[str, Any] = {}
            response_id(result, attrs)  # the request id DashScope's support asks for
            end_span(call.span, attrs, ErrorResult(*error))
            return result
        call.end_with(result)
        return result


def _cumulative(op: Operation, kwargs: dict[str, Any]) -> bool:
    """Whether a classic stream's chunks repeat the whole text so far (the 2.x streams say it
    themselves, read in ``wrap_result``): unless ``incremental_output=True`` was asked for."""
    if id(op) in _CLIENT_OPS:
        return False
    return kwargs.get("incremental_output") is not True


provider: Final = DashScopeProvider()


__all__ = [
    "CLASSIC_EMBEDDING",
    "CLASSIC_RERANK",
    "CLIENT_CHAT",
    "CLIENT_EMBEDDING",
    "CLIENT_RERANK",
    "GENERATION",
    "MULTIMODAL",
    "provider",
]
