"""The OpenAI SDK on the provider core: what each method is, how its request and results read.

The app's call, the error funnel and the span's single end are the core's
(``instrumentation/_call.py``).  Here: the request side (read when the span is built, unless
content is captured), the stream usage injection, and which SDK type a result is — a model, a
stream, or a raw ``with_raw_response`` / ``with_streaming_response`` response.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from llm_agent import _errors, semconv
from llm_agent._state import get_settings
from llm_agent.config import Settings
from llm_agent.instrumentation._call import Call, DeferredRequest, Operation, Provider
from llm_agent.instrumentation._raw import AsyncRawProxy, LegacyRawProxy, RawProxy, RawState, json_body
from llm_agent.instrumentation._stream import AsyncStreamProxy, SyncStreamProxy, finish_helper_stream
from llm_agent.instrumentation.openai._accumulators import ChatAccumulator, ResponsesAccumulator
from llm_agent.instrumentation.openai._request import REQUEST_KEYS, request_attributes, request_ids, server_attributes
from llm_agent.instrumentation.openai._response import chat_attributes, embeddings_attributes, responses_attributes
from llm_agent.instrumentation.openai._sdk import client_base_url, inner_iterator, is_stream_response, sdk_types

_SENTINELS: Final = frozenset({"NotGiven", "Omit"})


def _chat_stream(call: Call) -> ChatAccumulator:
    return ChatAccumulator(call.capture, call.limit, call.state)  # state: the injected usage chunk to hide


def _responses_stream(call: Call) -> ResponsesAccumulator:
    return ResponsesAccumulator(call.capture, call.limit)


CHAT: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, chat_attributes, _chat_stream)
COMPLETION: Final = Operation(semconv.OP_TEXT_COMPLETION, semconv.KIND_LLM, chat_attributes, _chat_stream)
EMBEDDINGS: Final = Operation(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, embeddings_attributes)
RESPONSES: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, responses_attributes, _responses_stream)
#: The operations whose streams can be asked for a usage chunk (``stream_options.include_usage``).
_USAGE_INJECTABLE: Final = frozenset({id(CHAT), id(COMPLETION)})


def _given(kwargs: dict[str, Any], key: str) -> bool:
    """Whether the app passed ``key`` (the SDK's ``NOT_GIVEN``/``omit`` sentinels count as not)."""
    return key in kwargs and type(kwargs[key]).__name__ not in _SENTINELS


def _request_side(op: Operation, base_url: Any, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    provider, attrs = server_attributes(base_url, settings)
    attrs.update(request_attributes(op.name, kwargs, settings))
    attrs[semconv.GEN_AI_PROVIDER_NAME] = provider
    if settings.arms_compat:
        attrs[semconv.ARMS_SPAN_KIND] = op.kind
    return attrs


class OpenAIProvider(Provider):
    name = "openai"

    def begin(self, op: Operation, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        settings = get_settings()
        base_url = client_base_url(instance)
        hide_usage = False
        replaced = None
        if (
            settings.inject_stream_usage
            and id(op) in _USAGE_INJECTABLE
            and kwargs.get("stream") is True
            and not _given(kwargs, "stream_options")
        ):
            kwargs = replaced = {**kwargs, "stream_options": {"include_usage": True}}
            hide_usage = True
        session_id = user_id = None
        if settings.session_from_request:
            session_id, user_id = request_ids(kwargs)
        model = kwargs.get("model")
        name = f"{op.name} {model}" if type(model) is str and model != "" else op.name
        if settings.capture_content:  # the messages are read now: the app may append to the list later
            attrs = _request_side(op, base_url, kwargs, settings)
            return self.start(
                op, name, attrs, settings, session_id=session_id, user_id=user_id, kwargs=replaced, state=hide_usage
            )
        # Only the keyword arguments the request side reads, in a dict of their own (not the
        # messages, input or tools), as they are now: read when the span is built.
        read = {key: value for key, value in kwargs.items() if key in REQUEST_KEYS}
        request = DeferredRequest(self.name, _request_side, op, base_url, read, settings)
        return self.start(
            op,
            name,
            {},
            settings,
            request=request,
            session_id=session_id,
            user_id=user_id,
            kwargs=replaced,
            state=hide_usage,
        )

    def wrap_result(self, call: Call, result: Any) -> Any:
        types = sdk_types()
        if isinstance(result, types.base_model):
            # The common case first (a parsed model: none of the wrapper types below is one).
            call.end_with(result)
            return result
        if isinstance(result, types.stream):
            return SyncStreamProxy(result, call.stream_handle(), inner_iterator)
        if isinstance(result, types.async_stream):
            return AsyncStreamProxy(result, call.stream_handle(), inner_iterator)
        if isinstance(result, types.legacy_response):
            if is_stream_response(result):
                return LegacyRawProxy(result, RawState(call))
            # The body was read with the headers: end now, from the JSON body, leaving the
            # response object untouched (its parse() cache is the app's).
            call.end_with(json_body(result))
            return result
        if isinstance(result, types.api_response):
            return RawProxy(result, RawState(call))
        if isinstance(result, types.async_api_response):
            return AsyncRawProxy(result, RawState(call))
        call.end_with(result)
        return result


provider: Final = OpenAIProvider()


def helper_close_wrapper(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``ChatCompletionStream.close`` & co. close the HTTP response behind our raw-stream proxy's
    back; end the span there too."""
    try:
        return wrapped(*args, **kwargs)
    finally:
        _finish_helper(instance)


def async_helper_close_wrapper(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    async def run() -> Any:
        try:
            return await wrapped(*args, **kwargs)
        finally:
            _finish_helper(instance)

    return run()


def _finish_helper(helper: Any) -> None:
    try:
        finish_helper_stream(helper)
    except Exception as err:
        _errors.report(f"{provider.name}.helper_close", err)


__all__ = ["CHAT", "COMPLETION", "EMBEDDINGS", "RESPONSES", "OpenAIProvider", "provider"]
