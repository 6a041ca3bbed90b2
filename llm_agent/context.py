"""Session, user and trace context, and the span processor that stamps them on every span.

A *session* is a multi-turn conversation; a *trace* is one request-response cycle inside it.  The
IDs live in one ``ContextVar`` (so they follow ``await``, ``asyncio`` tasks and
``contextvars.copy_context()`` threads) and, when enabled, in W3C baggage so they travel to
downstream services and can arrive from upstream ones.

``session``, ``user`` and ``trace`` are context managers and decorators for sync functions, async
functions, generators and async generators.  For generators the context is active only while the
generator body runs (each step), never leaking into the consumer's code between steps.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from opentelemetry import baggage as otel_baggage
from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import Status, StatusCode

from llm_agent import semconv
from llm_agent._state import get_tracer
from llm_agent._util import error_type_name, exception_event_attributes
from llm_agent.config import validate_id

F = TypeVar("F", bound=Callable[..., Any])

#: (session_id, user_id) of the current context; None where unset.
_ids: contextvars.ContextVar[tuple[str | None, str | None]] = contextvars.ContextVar(
    "llm_agent_ids", default=(None, None)
)

# Set by init(): defaults for code outside any context, and whether baggage is read/written.
_default_ids: tuple[str | None, str | None] = (None, None)
_use_baggage = True
_arms_compat = True


def configure(default_session_id: str | None, default_user_id: str | None, baggage: bool, arms: bool) -> None:
    """Called by ``init()``; module globals keep ``current_ids()`` free of lookups."""
    global _default_ids, _use_baggage, _arms_compat
    _default_ids = (default_session_id, default_user_id)
    _use_baggage = baggage
    _arms_compat = arms


def current_ids(otel_ctx: otel_context.Context | None = None) -> tuple[str | None, str | None]:
    """The (session_id, user_id) in force: context, else baggage, else the configured defaults."""
    session_id, user_id = _ids.get()
    if session_id is not None and user_id is not None:
        return session_id, user_id
    if _use_baggage:
        # One context lookup for both names (``get_baggage`` per name would do two), and none of
        # the per-name work when the context carries no baggage at all, the common case.
        entries = otel_baggage.get_all(otel_ctx)
        if entries:
            if session_id is None:
                value = entries.get(semconv.SESSION_ID)
                session_id = value if isinstance(value, str) and value else None
            if user_id is None:
                value = entries.get(semconv.USER_ID)
                user_id = value if isinstance(value, str) and value else None
    return session_id or _default_ids[0], user_id or _default_ids[1]


def id_attributes(session_id: str | None, user_id: str | None) -> dict[str, str]:
    """The span attributes that carry a session and user, in every convention we write."""
    attrs: dict[str, str] = {}
    if session_id is not None:
        attrs[semconv.SESSION_ID] = session_id
        attrs[semconv.GEN_AI_CONVERSATION_ID] = session_id
        if _arms_compat:
            attrs[semconv.ARMS_SESSION_ID] = session_id
    if user_id is not None:
        attrs[semconv.USER_ID] = user_id
        if _arms_compat:
            attrs[semconv.ARMS_USER_ID] = user_id
    return attrs


class _Scope:
    """One activation recipe.  ``begin``/``end`` bracket the whole scope (the trace span);
    ``activate``/``deactivate`` switch the context on and off (once for ``with``, per step for
    generators)."""

    __slots__ = ("_stack",)

    def __init__(self) -> None:
        self._stack: list[Any] = []

    def fresh(self) -> _Scope:  # a new, unentered scope with the same arguments
        raise NotImplementedError

    def begin(self) -> Any:
        return None

    def end(self, state: Any, exc: BaseException | None) -> None:
        return None

    def activate(self, state: Any) -> Any:
        raise NotImplementedError

    def deactivate(self, token: Any) -> None:
        raise NotImplementedError

    # Hooks for the decorator forms (``_steps.py`` records a call's arguments, its return value and
    # a generator's items); no-ops here, so session/user/trace pay one method call at most.
    def for_call(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Scope:
        """The fresh scope one call of the decorated ``fn`` runs in."""
        return self.fresh()

    def yielded(self, state: Any, item: Any) -> None:
        """A decorated generator produced ``item`` (called with the scope's context active)."""
        return None

    # --- context manager -------------------------------------------------------------------
    def __enter__(self) -> _Scope:
        state = self.begin()
        try:
            token = self.activate(state)
        except BaseException as exc:
            self.end(state, exc)
            raise
        self._stack.append((state, token))
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        state, token = self._stack.pop()
        try:
            self.deactivate(token)
        finally:
            self.end(state, exc)

    async def __aenter__(self) -> _Scope:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)

    # --- decorator --------------------------------------------------------------------------
    def __call__(self, fn: F) -> F:
        if inspect.isasyncgenfunction(fn):
            return _wrap_async_generator(fn, self.for_call)  # type: ignore[return-value]
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(fn, self.for_call)  # type: ignore[return-value]
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self.fresh():
                    return await fn(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.fresh():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


#: Makes the scope of one call: ``(fn, args, kwargs) -> _Scope`` (``_Scope.for_call``).
_MakeScope = Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], _Scope]


def _wrap_generator(fn: Callable[..., Any], make: _MakeScope) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        scope = make(fn, args, kwargs)
        state = scope.begin()
        gen = fn(*args, **kwargs)
        error: BaseException | None = None
        try:
            to_send: Any = None
            to_throw: BaseException | None = None
            while True:
                token = scope.activate(state)
                try:
                    if to_throw is not None:
                        item = gen.throw(to_throw)
                    else:
                        item = gen.send(to_send)
                    scope.yielded(state, item)
                except StopIteration as stop:
                    return stop.value
                finally:
                    scope.deactivate(token)
                to_send, to_throw = None, None
                try:
                    to_send = yield item
                except GeneratorExit:
                    token = scope.activate(state)
                    try:
                        gen.close()
                    finally:
                        scope.deactivate(token)
                    raise
                except BaseException as exc:  # thrown in by the consumer: pass it on
                    to_throw = exc
        except BaseException as exc:
            error = exc if not isinstance(exc, GeneratorExit) else None
            raise
        finally:
            scope.end(state, error)

    return wrapper


def _wrap_async_generator(fn: Callable[..., Any], make: _MakeScope) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        scope = make(fn, args, kwargs)
        state = scope.begin()
        agen = fn(*args, **kwargs)
        error: BaseException | None = None
        try:
            to_send: Any = None
            to_throw: BaseException | None = None
            while True:
                token = scope.activate(state)
                try:
                    if to_throw is not None:
                        item = await agen.athrow(to_throw)
                    else:
                        item = await agen.asend(to_send)
                    scope.yielded(state, item)
                except StopAsyncIteration:
                    return
                finally:
                    scope.deactivate(token)
                to_send, to_throw = None, None
                try:
                    to_send = yield item
                except GeneratorExit:
                    token = scope.activate(state)
                    try:
                        await agen.aclose()
                    finally:
                        scope.deactivate(token)
                    raise
                except BaseException as exc:
                    to_throw = exc
        except BaseException as exc:
            error = exc if not isinstance(exc, GeneratorExit) else None
            raise
        finally:
            scope.end(state, error)

    return wrapper


class _IdScope(_Scope):
    __slots__ = ("_session_id", "_user_id")

    def __init__(self, session_id: str | None, user_id: str | None) -> None:
        super().__init__()
        self._session_id = session_id
        self._user_id = user_id

    def fresh(self) -> _IdScope:
        return _IdScope(self._session_id, self._user_id)

    def activate(self, state: Any) -> Any:
        outer_session, outer_user = _ids.get()
        session_id = self._session_id if self._session_id is not None else outer_session
        user_id = self._user_id if self._user_id is not None else outer_user
        ids_token = _ids.set((session_id, user_id))
        otel_token = None
        if _use_baggage:
            ctx = otel_context.get_current()
            if self._session_id is not None:
                ctx = otel_baggage.set_baggage(semconv.SESSION_ID, self._session_id, ctx)
            if self._user_id is not None:
                ctx = otel_baggage.set_baggage(semconv.USER_ID, self._user_id, ctx)
            otel_token = otel_context.attach(ctx)
        return ids_token, otel_token

    def deactivate(self, token: Any) -> None:
        ids_token, otel_token = token
        if otel_token is not None:
            otel_context.detach(otel_token)
        _ids.reset(ids_token)


def session(session_id: Any, user_id: Any = None) -> _Scope:
    """Everything inside belongs to the conversation ``session_id`` (and ``user_id`` if given).

    Usable as ``with``/``async with`` and as a decorator.  Nested sessions: the inner wins and
    the outer is restored on exit, also when the body raises.
    """
    sid = validate_id(session_id, "session_id")
    uid = validate_id(user_id, "user_id") if user_id is not None else None
    return _IdScope(sid, uid)


def user(user_id: Any) -> _Scope:
    """Everything inside is attributed to ``user_id`` (the session, if any, is kept)."""
    return _IdScope(None, validate_id(user_id, "user_id"))


class _TraceScope(_Scope):
    __slots__ = ("_attributes", "_name")

    def __init__(self, name: str, attributes: dict[str, Any] | None) -> None:
        super().__init__()
        self._name = name
        self._attributes = attributes

    def fresh(self) -> _TraceScope:
        return _TraceScope(self._name, self._attributes)

    def begin(self) -> Any:
        attrs: dict[str, Any] = {semconv.TRACE_NAME: self._name}
        if _arms_compat:
            attrs[semconv.ARMS_SPAN_KIND] = semconv.KIND_CHAIN
        if self._attributes:
            attrs.update(self._attributes)
        attrs.update(id_attributes(*current_ids()))
        return get_tracer().start_span(self._name, kind=otel_trace.SpanKind.INTERNAL, attributes=attrs)

    def activate(self, state: Any) -> Any:
        return otel_context.attach(otel_trace.set_span_in_context(state))

    def deactivate(self, token: Any) -> None:
        otel_context.detach(token)

    def end(self, state: Any, exc: BaseException | None) -> None:
        if exc is not None:
            state.set_attribute(semconv.ERROR_TYPE, error_type_name(exc))
            event = exception_event_attributes(exc)
            state.add_event("exception", event)
            state.set_status(Status(StatusCode.ERROR, event["exception.message"][:512] or None))
        state.end()


def trace(name: str, attributes: dict[str, Any] | None = None) -> _Scope:
    """One request-response cycle: a span (``gen_ai.span.kind`` CHAIN) around the body.

    Every LLM and tool call inside becomes its child, so the turn shows up as one trace.  If
    the body raises, the span is marked ERROR and the exception propagates unchanged.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("trace name must be a non-empty string")
    return _TraceScope(name, attributes)


class StampingSpanProcessor(SpanProcessor):
    """Stamps session/user on every span started inside a context: other libraries' spans too.

    Our own instrumentation already puts them in the span's start attributes (one call on the hot
    path), so spans of our scope are skipped here.
    """

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        scope = span.instrumentation_scope
        if scope is not None and scope.name == semconv.INSTRUMENTATION_SCOPE:
            return
        session_id, user_id = current_ids(parent_context)
        if session_id is None and user_id is None:
            return
        attrs = span.attributes or {}
        missing = {k: v for k, v in id_attributes(session_id, user_id).items() if k not in attrs}
        if missing:
            span.set_attributes(missing)

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
