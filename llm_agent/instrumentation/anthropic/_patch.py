"""Wrappers around Anthropic resource methods: one span per call, whatever the result shape.

Same rules as the OpenAI wrappers: the app's call runs once, outside any ``try`` that swallows;
our code around it is funnelled to ``_errors.report``; results are returned as they are or as a
faithful proxy (the shared stream proxies of ``llm_agent.instrumentation._stream``, the shared raw
response proxies of the OpenAI package, which are provider-neutral).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Any, Final

from llm_agent import _errors, semconv
from llm_agent.config import MAX_ID_LENGTH
from llm_agent.instrumentation._spans import current_settings, end_span, start_span
from llm_agent.instrumentation._stream import AsyncStreamProxy, StreamHandle, SyncStreamProxy
from llm_agent.instrumentation.anthropic._extract import message_attributes, request_attributes
from llm_agent.instrumentation.anthropic._stream import MessageAccumulator
from llm_agent.instrumentation.openai._raw import AsyncRawProxy, RawProxy, RawState, json_body

_now = time.perf_counter_ns
#: True while one of our wrappers runs, so an SDK method calling another makes one span.
_active: contextvars.ContextVar[bool] = contextvars.ContextVar("llm_agent_anthropic_active", default=False)
_WHERE: Final = "anthropic"
_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


class _State:
    #: False after ``uninstrument()``: bound methods captured earlier call straight through.
    enabled = False


state = _State()


class _SdkTypes:
    __slots__ = ("api_response", "async_api_response", "async_stream", "stream")


_types_cache: _SdkTypes | None = None


def sdk_types() -> _SdkTypes:
    global _types_cache
    if _types_cache is None:
        import anthropic
        from anthropic import _response

        types = _SdkTypes()
        types.stream = anthropic.Stream
        types.async_stream = anthropic.AsyncStream
        types.api_response = _response.APIResponse
        types.async_api_response = _response.AsyncAPIResponse
        _types_cache = types
    return _types_cache


class Call:
    """One instrumented call in flight (the interface ``RawState`` expects)."""

    __slots__ = ("capture", "limit", "span", "start_ns")

    def __init__(self, span: Any, capture: bool, limit: int) -> None:
        self.span = span
        self.start_ns = 0
        self.capture = capture
        self.limit = limit

    def fail(self, exc: BaseException) -> None:
        try:
            end_span(self.span, None, exc)
        except Exception as err:
            _errors.report(f"{_WHERE}.end", err)

    def end_with(self, body: Any) -> None:
        try:
            attrs = (
                message_attributes(body, self.capture, self.limit)
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
        return StreamHandle(self.span, MessageAccumulator(self.capture, self.limit), self.start_ns, _WHERE)

    def finish(self, result: Any) -> Any:
        """The value to hand the app: ``result`` itself or a proxy that ends the span later."""
        try:
            types = sdk_types()
            if isinstance(result, types.stream):
                return SyncStreamProxy(result, self.stream_handle())
            if isinstance(result, types.async_stream):
                return AsyncStreamProxy(result, self.stream_handle())
            if isinstance(result, (types.api_response, types.async_api_response)):
                body = None if getattr(result, "_is_sse_stream", False) else json_body(result)
                if body is not None:
                    # with_raw_response read the body with the headers: end now, app object untouched.
                    self.end_with(body)
                    return result
                proxy = RawProxy if isinstance(result, types.api_response) else AsyncRawProxy
                return proxy(result, AnthropicRawState(self))  # type: ignore[arg-type]
            self.end_with(result)
        except Exception as err:
            _errors.report(f"{_WHERE}.result", err)
            try:
                self.span.end()
            except Exception:
                pass
        return result


class AnthropicRawState(RawState):
    """``RawState`` recognising Anthropic's stream classes in ``parse()`` results."""

    __slots__ = ()

    def parsed(self, result: Any) -> Any:
        if self.done:
            return self.stream_proxy if self.stream_proxy is not None else result
        try:
            types = sdk_types()
            self.done = True
            if isinstance(result, types.stream):
                self.stream_proxy = SyncStreamProxy(result, self.call.stream_handle())
                return self.stream_proxy
            if isinstance(result, types.async_stream):
                self.stream_proxy = AsyncStreamProxy(result, self.call.stream_handle())
                return self.stream_proxy
            self.call.end_with(result)
        except Exception as err:
            _errors.report(f"{_WHERE}.raw_parse", err)
        return result


def _server(client: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    base_url = getattr(client, "base_url", None)
    host = getattr(base_url, "host", None)
    if isinstance(host, str) and host:
        attrs[semconv.SERVER_ADDRESS] = host
        port = getattr(base_url, "port", None)
        if not isinstance(port, int):
            port = _DEFAULT_PORTS.get(getattr(base_url, "scheme", ""))
        if port is not None:
            attrs[semconv.SERVER_PORT] = port
    return attrs


#: Client classes that serve Claude through a cloud platform: the platform is the provider (the
#: GenAI spec's values), as it is the one that bills and serves the call.
_PLATFORM_CLIENTS: Final = (("Bedrock", "aws.bedrock"), ("Vertex", "gcp.vertex_ai"))
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


def _request_user(kwargs: dict[str, Any]) -> str | None:
    """``metadata.user_id`` of the request (used only with ``session_from_request``)."""
    metadata = kwargs.get("metadata")
    value = metadata.get("user_id") if isinstance(metadata, dict) else None
    return value if type(value) is str and 0 < len(value) <= MAX_ID_LENGTH else None


def begin(operation: str, instance: Any, kwargs: dict[str, Any], stream: bool = False) -> Call:
    settings = current_settings()
    client = getattr(instance, "_client", None)
    attrs = _server(client)
    attrs.update(request_attributes(operation, kwargs, settings))
    if stream:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    attrs[semconv.GEN_AI_PROVIDER_NAME] = provider_of(client)
    if settings.arms_compat:
        attrs[semconv.ARMS_SPAN_KIND] = semconv.KIND_LLM
    model = attrs.get(semconv.GEN_AI_REQUEST_MODEL)
    user_id = _request_user(kwargs) if settings.session_from_request else None
    span = start_span(f"{operation} {model}" if model else operation, attrs, settings, None, user_id)
    return Call(span, settings.capture_content, settings.content_max_chars)


def _try_begin(operation: str, instance: Any, kwargs: dict[str, Any], stream: bool = False) -> Call | None:
    try:
        return begin(operation, instance, kwargs, stream)
    except Exception as err:
        _errors.report(f"{_WHERE}.request", err)
        return None


def sync_wrapper(operation: str) -> Callable[..., Any]:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if _active.get() or not state.enabled:
            return wrapped(*args, **kwargs)
        call = _try_begin(operation, instance, kwargs)
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


def async_wrapper(operation: str) -> Callable[..., Any]:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        async def run() -> Any:
            if _active.get() or not state.enabled:
                return await wrapped(*args, **kwargs)
            call = _try_begin(operation, instance, kwargs)
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


def _request_slot(manager: Any) -> str | None:
    """The name-mangled ``__api_request`` attribute of a ``(Beta)(Async)MessageStreamManager``."""
    for name in vars(manager):
        if name.endswith("__api_request"):
            return name
    return None


def stream_manager_wrapper(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``messages.stream(...)`` posts by itself (not through ``create``) when the manager is
    entered; the span starts then, around the manager's deferred request."""
    manager = wrapped(*args, **kwargs)
    if _active.get() or not state.enabled:
        return manager
    try:
        slot = _request_slot(manager)
        if slot is not None:
            request = getattr(manager, slot)
            if callable(request):
                setattr(manager, slot, _deferred_sync(request, instance, kwargs))
            else:  # the async manager holds an un-awaited coroutine
                setattr(manager, slot, _deferred_async(request, instance, kwargs))
    except Exception as err:
        _errors.report(f"{_WHERE}.stream_manager", err)
    return manager


def _deferred_sync(request: Callable[[], Any], instance: Any, kwargs: dict[str, Any]) -> Callable[[], Any]:
    def run() -> Any:
        call = _try_begin(semconv.OP_CHAT, instance, kwargs, stream=True)
        if call is None:
            return request()
        token = _active.set(True)
        call.start_ns = _now()
        try:
            result = request()
        except BaseException as exc:
            _active.reset(token)
            call.fail(exc)
            raise
        _active.reset(token)
        return call.finish(result)

    return run


async def _deferred_async(request: Any, instance: Any, kwargs: dict[str, Any]) -> Any:
    call = _try_begin(semconv.OP_CHAT, instance, kwargs, stream=True)
    if call is None:
        return await request
    token = _active.set(True)
    call.start_ns = _now()
    try:
        result = await request
    except BaseException as exc:
        _active.reset(token)
        call.fail(exc)
        raise
    _active.reset(token)
    return call.finish(result)


def quiet_sdk_tracer(original: property) -> property:
    """The SDK's ``_tracer`` property, giving None while one of our wrappers runs.

    anthropic 2.x traces its own requests with the global tracer provider by default; that span
    would duplicate ours (a second LLM-kind span with the same tokens, counted twice in every
    rollup), so the SDK is told it has no tracer for the calls we trace.
    """
    getter = original.fget

    def _tracer(self: Any) -> Any:
        if _active.get() and state.enabled:
            return None
        return getter(self) if getter is not None else None

    return property(_tracer, original.fset, original.fdel, original.__doc__)


__all__ = ["async_wrapper", "quiet_sdk_tracer", "state", "stream_manager_wrapper", "sync_wrapper"]
