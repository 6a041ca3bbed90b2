"""google-genai on the provider core: what each method is, how its request and results read.

The app's call, the error funnel and the span's single end are the core's
(``instrumentation/_call.py``).  Here: the request side (read when the span is built, unless
content is captured), the per-request stream (a generator that starts the SDK's and, should the
request fail before the first chunk, fails the call as a non-stream call fails), and the stream
*scope*: google-genai returns its own generator from ``generate_content_stream`` and makes the
model calls inside it, so the public method is wrapped too (``ScopedStream``), only to let the
app's ``close()`` end the spans of the model calls made inside it (docs/gemini.md, "Streams").
"""

from __future__ import annotations

import contextvars
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any, Final

import wrapt

from llm_agent import _errors, semconv
from llm_agent._state import get_settings
from llm_agent.config import Settings
from llm_agent.instrumentation._call import Call, DeferredRequest, Operation, Provider
from llm_agent.instrumentation._stream import AsyncStreamProxy, StreamHandle, SyncStreamProxy
from llm_agent.instrumentation.google_genai._client import client_attributes
from llm_agent.instrumentation.google_genai._extract import (
    CONFIG_FIELDS,
    config_attributes,
    embed_attributes,
    model_name,
    request_content,
    response_attributes,
)
from llm_agent.instrumentation.google_genai._stream import ContentAccumulator


def _content_stream(call: Call) -> ContentAccumulator:
    return ContentAccumulator(call.capture, call.limit)


def _embeddings(body: Any, capture: bool, limit: int) -> dict[str, Any]:
    return embed_attributes(body)


GENERATE: Final = Operation(semconv.OP_GENERATE_CONTENT, semconv.KIND_LLM, response_attributes)
GENERATE_STREAM: Final = Operation(
    semconv.OP_GENERATE_CONTENT, semconv.KIND_LLM, response_attributes, _content_stream, stream=True
)
EMBED: Final = Operation(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, _embeddings)

_WHERE: Final = "google_genai"


class _Scope:
    """The handles of the model calls made inside one ``generate_content_stream`` the app holds."""

    __slots__ = ("__weakref__", "handles")

    def __init__(self) -> None:
        self.handles: list[StreamHandle] = []


#: The scope of the ``generate_content_stream`` the app is iterating (None outside one):
#: ``ScopedStream`` sets it around each step of the SDK's generator.  A weak reference, because the
#: context is copied into whatever the SDK's transport schedules meanwhile (aiohttp's keep-alive
#: callbacks...), and a strong one there would keep an abandoned stream's span open until they run.
_scope: contextvars.ContextVar[weakref.ref[_Scope] | None] = contextvars.ContextVar(
    "llm_agent_google_genai_stream_scope", default=None
)


def _request_side(
    op: Operation, server: dict[str, Any], model: str | None, config: tuple[Any, ...] | None, settings: Settings
) -> dict[str, Any]:
    attrs = dict(server)
    attrs[semconv.GEN_AI_OPERATION_NAME] = op.name
    if model is not None:
        attrs[semconv.GEN_AI_REQUEST_MODEL] = model
    if config is not None:
        config_attributes(op.name, config, attrs)
    if op.stream:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    if settings.arms_compat:
        attrs[semconv.ARMS_SPAN_KIND] = op.kind
    return attrs


def _config_values(config: Any) -> tuple[Any, ...] | None:
    """The ``config`` fields the request side reads, copied now (the app may reuse its config)."""
    if config is None:
        return None
    if type(config) is dict:
        values = tuple(config.get(name) for name in CONFIG_FIELDS)
    else:
        values = tuple(getattr(config, name, None) for name in CONFIG_FIELDS)
    return tuple(tuple(v) if type(v) is list else v for v in values)


class GoogleGenAIProvider(Provider):
    name = _WHERE

    def begin(self, op: Operation, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        settings = get_settings()
        model = model_name(kwargs.get("model"))
        name = f"{op.name} {model}" if model is not None else op.name
        server = client_attributes(instance)
        config = kwargs.get("config")
        values = _config_values(config)
        if settings.capture_content:  # the contents are read now: AFC appends to the list later
            attrs = _request_side(op, server, model, values, settings)
            request_content(op.name, kwargs.get("contents"), config, attrs, settings.content_max_chars)
            return self.start(op, name, attrs, settings)
        request = DeferredRequest(self.name, _request_side, op, server, model, values, settings)
        return self.start(op, name, {}, settings, request=request)

    def wrap_result(self, call: Call, result: Any) -> Any:
        if not call.op.stream:
            call.end_with(result)
            return result
        if hasattr(result, "__anext__"):  # an async request: sent already, the chunks to come
            handle = call.stream_handle()
            _register(handle)
            return AsyncStreamProxy(result, handle)
        if hasattr(result, "__next__"):
            return _request_stream(call, result)
        call.end_with(result)
        return result


provider: Final = GoogleGenAIProvider()


def _register(handle: StreamHandle) -> None:
    ref = _scope.get()
    scope = ref() if ref is not None else None
    if scope is not None:
        scope.handles.append(handle)


def _request_stream(call: Call, stream: Iterator[Any]) -> Iterator[Any]:
    """One model call's chunks: the SDK's per-request generator, started on the first ``next()``.

    The SDK sends the request when its generator starts; an error then (an API error, a refused
    connection) fails the call like a non-stream call (``Call.fail``, the exception unchanged),
    later ones end the stream's span through the shared stream proxy.
    """
    try:
        first = next(stream)
    except StopIteration:
        first = _EMPTY
    except BaseException as exc:
        call.fail(exc)
        raise
    handle = call.stream_handle()
    _register(handle)
    rest = SyncStreamProxy(stream, handle)
    if first is _EMPTY:
        yield from rest
        return
    # The first chunk counts as the stream's first (time to first chunk, the accumulator).
    handle.first_ns = _now()
    handle.chunks = 1
    try:
        handle.add(first)
    except Exception as err:
        _errors.report(f"{_WHERE}.stream_chunk", err)
    yield first
    yield from rest


_EMPTY: Final = object()
_now = time.perf_counter_ns


def _finish_open(handles: list[StreamHandle]) -> None:
    """The app closed the stream: the model calls still open end now, OK, with what was read."""
    for handle in handles:
        if not handle.done:
            handle.finish()


class ScopedStream(wrapt.ObjectProxy):  # type: ignore[misc]
    """The SDK's ``generate_content_stream`` generator, for the app: ``close()`` ends the spans of
    the model calls made inside it (the spans themselves are the per-request ones)."""

    def __init__(self, wrapped: Any) -> None:
        super().__init__(wrapped)
        self._self_scope = _Scope()
        self._self_ref = weakref.ref(self._self_scope)

    def __iter__(self) -> ScopedStream:
        return self

    def __next__(self) -> Any:
        token = _scope.set(self._self_ref)
        try:
            return next(self.__wrapped__)
        finally:
            _scope.reset(token)

    def close(self) -> Any:
        try:
            _finish_open(self._self_scope.handles)
        except Exception as err:
            _errors.report(f"{_WHERE}.stream_close", err)
        return self.__wrapped__.close()


class AsyncScopedStream(wrapt.ObjectProxy):  # type: ignore[misc]
    """The async counterpart of ``ScopedStream`` (``aclose()`` ends the open model calls)."""

    def __init__(self, wrapped: Any, scope: _Scope) -> None:
        super().__init__(wrapped)
        self._self_scope = scope
        self._self_ref = weakref.ref(scope)

    def __aiter__(self) -> AsyncScopedStream:
        return self

    async def __anext__(self) -> Any:
        token = _scope.set(self._self_ref)
        try:
            return await self.__wrapped__.__anext__()
        finally:
            _scope.reset(token)

    async def aclose(self) -> Any:
        try:
            _finish_open(self._self_scope.handles)
        except Exception as err:
            _errors.report(f"{_WHERE}.stream_close", err)
        return await self.__wrapped__.aclose()


def scoped_stream_wrapper(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``Models.generate_content_stream``: the SDK's generator, in a ``ScopedStream``."""
    result = wrapped(*args, **kwargs)
    if not provider.enabled or not hasattr(result, "__next__"):
        return result
    return ScopedStream(result)


def async_scoped_stream_wrapper(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``AsyncModels.generate_content_stream`` (``async def``): older releases send the first
    request while it is awaited, so the scope is set then too."""

    async def run() -> Any:
        scope = _Scope()
        token = _scope.set(weakref.ref(scope))
        try:
            result = await wrapped(*args, **kwargs)
        finally:
            _scope.reset(token)
        if not provider.enabled or not hasattr(result, "__anext__"):
            return result
        return AsyncScopedStream(result, scope)

    return run()


__all__ = [
    "EMBED",
    "GENERATE",
    "GENERATE_STREAM",
    "AsyncScopedStream",
    "ScopedStream",
    "async_scoped_stream_wrapper",
    "provider",
    "scoped_stream_wrapper",
]
