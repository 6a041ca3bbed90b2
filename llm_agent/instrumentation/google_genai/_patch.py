"""Wrappers around ``Models``/``AsyncModels`` methods: one span per model call.

The app's call runs once, outside any ``try`` that swallows; our code around it is funnelled to
``_errors.report``.  Non-streamed results are returned as they are; streams (generators of
``GenerateContentResponse``) are wrapped in the shared stream proxies.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Any, Final

from llm_agent import _errors, semconv
from llm_agent.instrumentation._spans import current_settings, end_span, start_span
from llm_agent.instrumentation._stream import AsyncStreamProxy, StreamHandle, SyncStreamProxy
from llm_agent.instrumentation.google_genai._client import client_attributes
from llm_agent.instrumentation.google_genai._extract import (
    embed_attributes,
    request_attributes,
    response_attributes,
)
from llm_agent.instrumentation.google_genai._stream import ContentAccumulator

_now = time.perf_counter_ns
#: True while one of our wrappers runs, so an SDK method calling another makes one span.
_active: contextvars.ContextVar[bool] = contextvars.ContextVar("llm_agent_google_genai_active", default=False)
_WHERE: Final = "google_genai"


class _State:
    #: False after ``uninstrument()``: bound methods captured earlier call straight through.
    enabled = False


state = _State()


class Call:
    __slots__ = ("capture", "limit", "operation", "span", "start_ns")

    def __init__(self, operation: str, span: Any, capture: bool, limit: int) -> None:
        self.operation = operation
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
            if body is None:
                attrs: dict[str, Any] = {semconv.USAGE_MISSING: True}
            elif self.operation == semconv.OP_EMBEDDINGS:
                attrs = embed_attributes(body)
            else:
                attrs = response_attributes(body, self.capture, self.limit)
        except Exception as err:
            _errors.report(f"{_WHERE}.response", err)
            attrs = {}
        try:
            end_span(self.span, attrs)
        except Exception as err:
            _errors.report(f"{_WHERE}.end", err)

    def finish(self, result: Any, stream: bool) -> Any:
        try:
            if stream:
                handle = StreamHandle(self.span, ContentAccumulator(self.capture, self.limit), self.start_ns, _WHERE)
                if hasattr(result, "__anext__"):
                    return AsyncStreamProxy(result, handle)
                return SyncStreamProxy(result, handle)
            self.end_with(result)
        except Exception as err:
            _errors.report(f"{_WHERE}.result", err)
            try:
                self.span.end()
            except Exception:
                pass
        return result


def begin(operation: str, instance: Any, kwargs: dict[str, Any], stream: bool) -> Call:
    settings = current_settings()
    attrs = client_attributes(instance)
    attrs.update(request_attributes(operation, kwargs, settings.capture_content, settings.content_max_chars))
    if stream:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    if settings.arms_compat:
        attrs[semconv.ARMS_SPAN_KIND] = (
            semconv.KIND_EMBEDDING if operation == semconv.OP_EMBEDDINGS else semconv.KIND_LLM
        )
    model = attrs.get(semconv.GEN_AI_REQUEST_MODEL)
    span = start_span(f"{operation} {model}" if model else operation, attrs, settings)
    return Call(operation, span, settings.capture_content, settings.content_max_chars)


def _try_begin(operation: str, instance: Any, kwargs: dict[str, Any], stream: bool) -> Call | None:
    try:
        return begin(operation, instance, kwargs, stream)
    except Exception as err:
        _errors.report(f"{_WHERE}.request", err)
        return None


def sync_wrapper(operation: str, stream: bool) -> Callable[..., Any]:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if _active.get() or not state.enabled:
            return wrapped(*args, **kwargs)
        call = _try_begin(operation, instance, kwargs, stream)
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
        return call.finish(result, stream)

    return wrapper


def async_wrapper(operation: str, stream: bool) -> Callable[..., Any]:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        async def run() -> Any:
            if _active.get() or not state.enabled:
                return await wrapped(*args, **kwargs)
            call = _try_begin(operation, instance, kwargs, stream)
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
            return call.finish(result, stream)

        return run()

    return wrapper


__all__ = ["async_wrapper", "state", "sync_wrapper"]
