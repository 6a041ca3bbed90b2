"""The wrappers around OpenAI resource methods: one span per call, whatever the result shape.

The app's call runs exactly once and outside any ``try`` that could swallow its exception; every
line of ours around it is funnelled to ``_errors.report``.  The result is returned as is (a
model, or a raw ``LegacyAPIResponse``), or as a faithful ``wrapt.ObjectProxy`` where the span has
to outlive the call (streams, ``with_streaming_response`` responses).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Any, Final

from llm_agent import _errors, semconv
from llm_agent._state import get_settings
from llm_agent.config import Settings
from llm_agent.instrumentation._spans import end_span, start_span
from llm_agent.instrumentation._stream import AsyncStreamProxy, StreamHandle, SyncStreamProxy, finish_helper_stream
from llm_agent.instrumentation.openai._accumulators import ChatAccumulator, ResponsesAccumulator
from llm_agent.instrumentation.openai._raw import (
    AsyncRawProxy,
    LegacyRawProxy,
    RawProxy,
    RawState,
    json_body,
    sdk_types,
)
from llm_agent.instrumentation.openai._request import (
    REQUEST_KEYS,
    request_attributes,
    request_ids,
    server_attributes,
)
from llm_agent.instrumentation.openai._response import (
    chat_attributes,
    embeddings_attributes,
    responses_attributes,
)

_now = time.perf_counter_ns
#: True while one of our wrappers runs, so an SDK method calling another (``parse`` -> ``create``
#: in some versions) still makes one span.
_active: contextvars.ContextVar[bool] = contextvars.ContextVar("llm_agent_openai_active", default=False)
_WHERE: Final = "openai"
_SENTINELS: Final = frozenset({"NotGiven", "Omit"})


class _State:
    #: False after ``uninstrument()``: SDK objects that captured our wrapper earlier (the cached
    #: ``with_raw_response`` of a resource) then call straight through.
    enabled = False


state = _State()


class Op:
    """What one patched method is: its GenAI operation and how to read its results."""

    __slots__ = ("kind", "name", "response_reader", "stream_kind", "usage_injectable")

    def __init__(
        self,
        name: str,
        kind: str,
        response_reader: Callable[[Any, bool, int], dict[str, Any]],
        stream_kind: str | None,
        usage_injectable: bool,
    ) -> None:
        self.name = name  # gen_ai.operation.name
        self.kind = kind  # gen_ai.span.kind
        self.response_reader = response_reader
        self.stream_kind = stream_kind  # "chat", "responses" or None (no streaming)
        self.usage_injectable = usage_injectable


CHAT: Final = Op(semconv.OP_CHAT, semconv.KIND_LLM, chat_attributes, "chat", True)
COMPLETION: Final = Op(semconv.OP_TEXT_COMPLETION, semconv.KIND_LLM, chat_attributes, "chat", True)
EMBEDDINGS: Final = Op(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, embeddings_attributes, None, False)
RESPONSES: Final = Op(semconv.OP_CHAT, semconv.KIND_LLM, responses_attributes, "responses", False)


class Call:
    """One instrumented call in flight: its span and what is needed to end it."""

    __slots__ = ("capture", "hide_usage", "limit", "op", "span", "start_ns")

    def __init__(self, op: Op, span: Any, start_ns: int, capture: bool, limit: int, hide_usage: bool) -> None:
        self.op = op
        self.span = span
        self.start_ns = start_ns
        self.capture = capture
        self.limit = limit
        self.hide_usage = hide_usage

    # --- ending ---------------------------------------------------------------------------------
    def fail(self, exc: BaseException) -> None:
        try:
            end_span(self.span, None, exc)
        except Exception as err:
            _errors.report(f"{_WHERE}.end", err)

    def end_with(self, body: Any) -> None:
        """End with a parsed response (model or JSON dict); None = nothing readable."""
        try:
            attrs = (
                self.op.response_reader(body, self.capture, self.limit)
                if body is not None
                else {semconv.USAGE_MISSING: True}
            )
        except Exception as err:
            _errors.report(f"{_WHERE}.response", err)
            attrs = {}
        try:
            end_span(self.span, attrs)
        except Exception as err:
            _errors.report(f"{_WHERE}.end", err)

    def stream_handle(self) -> StreamHandle:
        if self.op.stream_kind == "responses":
            acc: Any = ResponsesAccumulator(self.capture, self.limit)
        else:
            acc = ChatAccumulator(self.capture, self.limit, self.hide_usage)
        return StreamHandle(self.span, acc, self.start_ns, _WHERE)

    def finish(self, result: Any) -> Any:
        """The value to hand the app: ``result`` itself or a proxy that ends the span later."""
        try:
            types = sdk_types()
            if isinstance(result, types.base_model):
                # The common case first (a parsed model: none of the wrapper types below is one).
                self.end_with(result)
                return result
            if isinstance(result, types.stream):
                return SyncStreamProxy(result, self.stream_handle())
            if isinstance(result, types.async_stream):
                return AsyncStreamProxy(result, self.stream_handle())
            if isinstance(result, types.legacy_response):
                if getattr(result, "_stream", False):
                    return LegacyRawProxy(result, RawState(self))
                # The body was read with the headers: end now, from the JSON body, leaving the
                # response object untouched (its parse() cache is the app's).
                self.end_with(json_body(result))
                return result
            if isinstance(result, types.api_response):
                return RawProxy(result, RawState(self))
            if isinstance(result, types.async_api_response):
                return AsyncRawProxy(result, RawState(self))
            self.end_with(result)
        except Exception as err:
            _errors.report(f"{_WHERE}.result", err)
            try:
                self.span.end()
            except Exception:
                pass
        return result


def _given(kwargs: dict[str, Any], key: str) -> bool:
    """Whether the app passed ``key`` (the SDK's ``NOT_GIVEN``/``omit`` sentinels count as not)."""
    return key in kwargs and type(kwargs[key]).__name__ not in _SENTINELS


class _Request:
    """A call's request-side attributes, read when its span is built (off the app's thread).

    Holds the keyword arguments that ``request_attributes`` reads (``REQUEST_KEYS``: the model
    name, numbers, strings and the output-format and stop options, in a dict of their own; not
    the messages, input or tools, which may be large) and the client's ``base_url``, as they were
    at the call.  Only used with content capture off: the captured messages of
    ``capture_content`` (a list apps append to) are read at the call.
    """

    __slots__ = ("base_url", "kwargs", "op", "settings")

    def __init__(self, op: Op, base_url: Any, kwargs: dict[str, Any], settings: Settings) -> None:
        self.op = op
        self.base_url = base_url
        self.kwargs = kwargs
        self.settings = settings

    def __call__(self) -> dict[str, Any]:
        try:
            return _request_side(self.op, self.base_url, self.kwargs, self.settings)
        except Exception as err:
            _errors.report(f"{_WHERE}.request", err)
            return {}


def _request_side(op: Op, base_url: Any, kwargs: dict[str, Any], settings: Settings) -> dict[str, Any]:
    provider, attrs = server_attributes(base_url, settings)
    attrs.update(request_attributes(op.name, kwargs, settings))
    attrs[semconv.GEN_AI_PROVIDER_NAME] = provider
    if settings.arms_compat:
        attrs[semconv.ARMS_SPAN_KIND] = op.kind
    return attrs


def _begin(op: Op, instance: Any, kwargs: dict[str, Any]) -> tuple[Call, dict[str, Any]]:
    settings = get_settings()
    base_url = getattr(getattr(instance, "_client", None), "base_url", None)
    hide_usage = False
    if (
        settings.inject_stream_usage
        and op.usage_injectable
        and kwargs.get("stream") is True
        and not _given(kwargs, "stream_options")
    ):
        kwargs = {**kwargs, "stream_options": {"include_usage": True}}
        hide_usage = True
    session_id = user_id = None
    if settings.session_from_request:
        session_id, user_id = request_ids(kwargs)
    model = kwargs.get("model")
    name = f"{op.name} {model}" if type(model) is str and model != "" else op.name
    if settings.capture_content:  # the messages are read now: the app may append to the list later
        span = start_span(name, _request_side(op, base_url, kwargs, settings), settings, session_id, user_id)
    else:
        read = {key: value for key, value in kwargs.items() if key in REQUEST_KEYS}
        span = start_span(name, {}, settings, session_id, user_id, _Request(op, base_url, read, settings))
    call = Call(op, span, 0, settings.capture_content, settings.content_max_chars, hide_usage)
    return call, kwargs


def sync_wrapper(op: Op) -> Callable[..., Any]:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if _active.get() or not state.enabled:
            return wrapped(*args, **kwargs)
        call = None
        try:
            call, kwargs = _begin(op, instance, kwargs)
        except Exception as err:
            _errors.report(f"{_WHERE}.request", err)
        if call is None:
            return wrapped(*args, **kwargs)
        token = _active.set(True)
        call.start_ns = _now()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            _active.reset(token)
            call.fail(exc)
            raise
        _active.reset(token)
        return call.finish(result)

    return wrapper


def async_wrapper(op: Op) -> Callable[..., Any]:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        # An ``async def`` inner function so the span starts when the coroutine runs (the SDK's
        # stream managers create the coroutine early and await it on ``__aenter__``).
        async def run() -> Any:
            nonlocal kwargs
            if _active.get() or not state.enabled:
                return await wrapped(*args, **kwargs)
            call = None
            try:
                call, kwargs = _begin(op, instance, kwargs)
            except Exception as err:
                _errors.report(f"{_WHERE}.request", err)
            if call is None:
                return await wrapped(*args, **kwargs)
            token = _active.set(True)
            call.start_ns = _now()
            try:
                result = await wrapped(*args, **kwargs)
            except BaseException as exc:
                _active.reset(token)
                call.fail(exc)
                raise
            _active.reset(token)
            return call.finish(result)

        return run()

    return wrapper


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
        _errors.report(f"{_WHERE}.helper_close", err)
