"""LiteLLM on the provider core: its entry points, its routing, and which of its types a result is.

LiteLLM is a gateway: it reaches each provider its own way (the ``openai`` client's low-level
``post()`` for ``openai/…``, its own HTTP code for Anthropic, Ollama, Bedrock…, and on a few routes
an SDK method we instrument too, such as ``embeddings.with_raw_response.create``).  So its own entry
points are instrumented — ``completion``/``acompletion``/``embedding``/``aembedding`` and the
``Router``'s — and the provider is a gateway (``Provider.gateway``): while its wrapper runs, our
other SDK wrappers pass straight through, and every route gives exactly one LLM span.  A ``Router``
call calls ``litellm.completion`` & co. underneath; that inner call passes through as well (the
provider's own ``active`` flag), so the span is the Router call's, retries and fallbacks included.
"""

from __future__ import annotations

from typing import Any, Final

import wrapt

from llm_agent import semconv
from llm_agent._state import get_settings
from llm_agent.config import Settings
from llm_agent.instrumentation._call import Call, DeferredRequest, Operation, Provider, kept_arguments
from llm_agent.instrumentation._stream import AsyncStreamProxy, StreamHandle, SyncStreamProxy
from llm_agent.instrumentation.litellm._extract import (
    REQUEST_KEYS,
    chat_attributes,
    embeddings_attributes,
    request_attributes,
    request_ids,
)
from llm_agent.instrumentation.litellm._routes import Route, provider_name, route_of, server_attributes
from llm_agent.instrumentation.litellm._sdk import hidden_params, sdk_types, stream_provider
from llm_agent.instrumentation.litellm._stream import ChatAccumulator


class _State:
    """What a call needs at its end besides the span."""

    __slots__ = ("extra", "hide_usage", "needs_provider", "settings")

    def __init__(self, hide_usage: bool, needs_provider: bool, settings: Settings) -> None:
        self.hide_usage = hide_usage  # we asked for the stream's usage chunk: hide it from the app
        self.needs_provider = needs_provider  # the request side could not tell (a Router's model group)
        self.settings = settings
        self.extra: dict[str, Any] | None = None  # end attributes read off a returned stream


def _chat_stream(call: Call) -> ChatAccumulator:
    state: _State = call.state
    return ChatAccumulator(call.capture, call.limit, state.hide_usage, state.extra)


CHAT: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, chat_attributes, _chat_stream)
ACHAT: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, chat_attributes, _chat_stream)
EMBEDDINGS: Final = Operation(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, embeddings_attributes)
AEMBEDDINGS: Final = Operation(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, embeddings_attributes)
#: The Router's methods: the same operations, whose model is a model group, not a route.
ROUTER_CHAT: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, chat_attributes, _chat_stream)
ROUTER_ACHAT: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, chat_attributes, _chat_stream)
ROUTER_EMBEDDINGS: Final = Operation(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, embeddings_attributes)
ROUTER_AEMBEDDINGS: Final = Operation(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, embeddings_attributes)

_ASYNC: Final = frozenset({id(ACHAT), id(AEMBEDDINGS), id(ROUTER_ACHAT), id(ROUTER_AEMBEDDINGS)})
_ROUTER: Final = frozenset({id(ROUTER_CHAT), id(ROUTER_ACHAT), id(ROUTER_EMBEDDINGS), id(ROUTER_AEMBEDDINGS)})
_CHATS: Final = frozenset({id(CHAT), id(ACHAT), id(ROUTER_CHAT), id(ROUTER_ACHAT)})
#: The positional parameters of each entry point (``completion(model, messages, ...)``).
_CHAT_PARAMS: Final = ("model", "messages")
_EMBEDDING_PARAMS: Final = ("model", "input")
#: The keyword by which a synchronous entry point hands the call to its async twin (which makes the span).
_ASYNC_FLAGS: Final = ("acompletion", "aembedding")


def _request_side(op: Operation, route: Route, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    attrs = dict(route.server)
    attrs.update(request_attributes(op.name, kwargs, settings))
    if route.model:
        attrs[semconv.GEN_AI_REQUEST_MODEL] = route.model
    if route.provider:
        attrs[semconv.GEN_AI_PROVIDER_NAME] = route.provider
    return attrs


def _served(response: Any, settings: Settings) -> dict[str, Any]:
    """The provider and server that answered a Router call, from the response's hidden params."""
    params = hidden_params(response) or {}
    base = params.get("api_base")
    base = base if type(base) is str else None
    provider = params.get("custom_llm_provider")
    name = provider_name(provider, base, settings) if type(provider) is str else None
    if name is None:
        served = params.get("litellm_model_name")  # "anthropic/claude-…": the deployment's own route
        if type(served) is str and served:
            name = route_of(served, None, base, settings).provider
    attrs = server_attributes(base)
    if name:
        attrs[semconv.GEN_AI_PROVIDER_NAME] = name
    return attrs


class LiteLLMProvider(Provider):
    name = "litellm"
    gateway = True

    def begin(self, op: Operation, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        if id(op) not in _ASYNC and any(kwargs.get(flag) is True for flag in _ASYNC_FLAGS):
            return None  # ``completion(acompletion=True)`` returns ``acompletion(...)``, which is ours
        settings = get_settings()
        params = kwargs
        if args:
            names = _CHAT_PARAMS if id(op) in _CHATS else _EMBEDDING_PARAMS
            params = {**dict(zip(names, args, strict=False)), **kwargs}
        model = params.get("model")
        router = id(op) in _ROUTER
        if type(model) is not str or not model:
            route = Route(None, None, {})
        elif router:
            route = Route(model, None, {})  # a model group: the deployment that serves it is known at the end
        else:
            custom = params.get("custom_llm_provider")
            base = params.get("api_base") or params.get("base_url")
            route = route_of(
                model, custom if type(custom) is str else None, base if type(base) is str else None, settings
            )
        replaced = None
        hide_usage = False
        if (
            settings.inject_stream_usage
            and id(op) in _CHATS
            and params.get("stream") is True
            and params.get("stream_options") is None
        ):
            replaced = {**kwargs, "stream_options": {"include_usage": True}}
            hide_usage = True
        session_id = user_id = None
        if settings.session_from_request:
            session_id, user_id = request_ids(params)
        name = f"{op.name} {route.model}" if route.model else op.name
        state = _State(hide_usage, route.provider is None, settings)
        if settings.capture_content:  # the messages are read now: the app may append to the list later
            attrs = _request_side(op, route, params, settings)
            return self.start(
                op, name, attrs, settings, session_id=session_id, user_id=user_id, kwargs=replaced, state=state
            )
        request = DeferredRequest(self.name, _request_side, op, route, kept_arguments(params, REQUEST_KEYS), settings)
        return self.start(
            op,
            name,
            {},
            settings,
            request=request,
            session_id=session_id,
            user_id=user_id,
            kwargs=replaced,
            state=state,
        )

    def response_attributes(self, call: Call, body: Any) -> dict[str, Any]:
        attrs = super().response_attributes(call, body)
        state: _State = call.state
        if state.needs_provider:
            attrs.update(_served(body, state.settings))
        return attrs

    def error_attributes(self, call: Call, exc: BaseException) -> dict[str, Any] | None:
        state: _State = call.state
        provider = getattr(exc, "llm_provider", None)  # LiteLLM's exceptions name the route that failed
        if not state.needs_provider or type(provider) is not str or not provider:
            return None
        name = provider_name(provider, None, state.settings)
        return {semconv.GEN_AI_PROVIDER_NAME: name} if name else None

    def wrap_result(self, call: Call, result: Any) -> Any:
        is_stream = isinstance(result, sdk_types().stream)
        if is_stream or (
            call.op.accumulator is not None and (hasattr(result, "__next__") or hasattr(result, "__anext__"))
        ):
            state: _State = call.state
            if state.needs_provider and is_stream:
                provider, base = stream_provider(result)
                extra = server_attributes(base)
                name = provider_name(provider, base, state.settings)
                if name:
                    extra[semconv.GEN_AI_PROVIDER_NAME] = name
                state.extra = extra
            return Stream(result, call.stream_handle())
        call.end_with(result)
        return result


class Stream(SyncStreamProxy, AsyncStreamProxy):
    """A LiteLLM stream: a ``CustomStreamWrapper`` is a sync *and* an async iterator whatever the
    entry point made it, with a synchronous ``close()`` and an ``aclose()`` coroutine, and so is
    its proxy (the sync proxy's ``close``, the async one's ``__anext__``/``aclose``)."""

    def __init__(self, wrapped: Any, handle: StreamHandle) -> None:
        # Both bases take (wrapped, handle): initialise the proxy once, with the state they share.
        wrapt.ObjectProxy.__init__(self, wrapped)
        self._self_handle = handle
        self._self_inner = None
        self._self_next = None


provider: Final = LiteLLMProvider()

__all__ = [
    "ACHAT",
    "AEMBEDDINGS",
    "CHAT",
    "EMBEDDINGS",
    "ROUTER_ACHAT",
    "ROUTER_AEMBEDDINGS",
    "ROUTER_CHAT",
    "ROUTER_EMBEDDINGS",
    "Stream",
    "LiteLLMProvider",
    "provider",
]
