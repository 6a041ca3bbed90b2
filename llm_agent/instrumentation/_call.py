"""One instrumented call, and the wrappers that run it: the provider core every SDK package shares.

A provider package declares *what* its methods are (an ``Operation`` per method: the GenAI
operation, how to read a result, how to accumulate a stream) and *how to read its SDK* (a
``Provider`` subclass: the request side in ``begin``, optionally how to recognise its result
types in ``wrap_result``).  Everything else is here, once:

- the wrappers (``sync_wrapper``/``async_wrapper``): the app's call runs exactly once, outside any
  ``try`` that could swallow its exception; our code before and after it is funnelled to
  ``_errors.report``; a call made while another of the same provider's wrappers runs (an SDK
  method calling another) passes straight through, so it makes one span;
- ``Call``: the span of one call in flight and its single way to end (failed, with a result, or
  through a stream/raw proxy that ends it later);
- ``DeferredRequest``: the request side read when the span is built (on the direct span path by
  an export worker, off the app's thread);
- gateways (``Provider.gateway``, LiteLLM): while a gateway's wrapper runs the app's call, every
  other provider's wrappers pass straight through too, so a call that the gateway makes through an
  SDK we also instrument is one span, the gateway's.

Models: logfire's ``llm_provider.py`` (per-provider callbacks plus a stream state), dd-trace-py's
``BaseLLMIntegration``, OpenTelemetry util-genai's ``TelemetryHandler``.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from typing import Any, ClassVar, Final

from llm_agent import _errors, semconv
from llm_agent.config import Settings
from llm_agent.instrumentation._spans import PendingSpan, end_span, start_span
from llm_agent.instrumentation._stream import Accumulator, AsyncStreamProxy, StreamHandle, SyncStreamProxy

_now = time.perf_counter_ns
#: End attributes of a call whose result could not be read at all: usage unknown, never 0.
_NOTHING_READABLE: Final = {semconv.USAGE_MISSING: True}

#: ``read_response(body, capture, limit)``: a result's end attributes (``capture`` = content
#: capture on, ``limit`` = its character limit).  Pure functions of the body, so they are tested
#: on their own.
ResponseReader = Callable[[Any, bool, int], dict[str, Any]]
#: ``accumulator(call)``: the per-stream state that reads chunks (see ``_stream.Accumulator``).
AccumulatorFactory = Callable[["Call"], Accumulator]


class Operation:
    """What one patched method is: its GenAI operation and how to read what it returns."""

    __slots__ = ("accumulator", "kind", "name", "read_response", "stream")

    def __init__(
        self,
        name: str,
        kind: str,
        read_response: ResponseReader | None = None,
        accumulator: AccumulatorFactory | None = None,
        stream: bool = False,
    ) -> None:
        self.name = name  # gen_ai.operation.name
        self.kind = kind  # gen_ai.span.kind (LLM, EMBEDDING...)
        self.read_response = read_response
        self.accumulator = accumulator  # None: this method never streams
        #: The method always returns a stream (``generate_content_stream``...), whatever its kwargs.
        self.stream = stream

    def __repr__(self) -> str:
        return f"Operation({self.name!r}, {self.kind!r}, stream={self.stream})"


class Call:
    """One instrumented call in flight: its span and what is needed to end it (once)."""

    __slots__ = ("capture", "instance", "kwargs", "limit", "op", "provider", "span", "start_ns", "state")

    def __init__(
        self,
        provider: Provider,
        op: Operation,
        span: PendingSpan,
        capture: bool,
        limit: int,
        kwargs: dict[str, Any] | None = None,
        state: Any = None,
    ) -> None:
        self.provider = provider
        self.op = op
        self.span = span
        self.start_ns = 0  # perf_counter_ns just before the app's call (time to first chunk)
        self.capture = capture  # content capture on for this call
        self.limit = limit  # captured content's character limit
        #: The keyword arguments to call the SDK with instead of the app's (None: the app's).
        self.kwargs = kwargs
        self.state = state  # whatever else the provider needs at the end (a model family...)
        #: The SDK object the method was called on (set by the wrapper): its client's credentials
        #: are scrubbed from an error's message (``Provider.secrets``).
        self.instance: Any = None

    def secrets(self) -> tuple[str, ...]:
        """The client's own key and auth header values, read now (the app may rotate its key)."""
        try:
            return self.provider.secrets(self.instance)
        except Exception as err:
            _errors.report(f"{self.provider.name}.secrets", err)
            return ()

    def fail(self, exc: BaseException) -> None:
        """End with the exception the app's call raised (the app still gets it unchanged)."""
        attrs = None
        try:
            attrs = self.provider.error_attributes(self, exc)
        except Exception as err:
            _errors.report(f"{self.provider.name}.error", err)
        try:
            end_span(self.span, attrs, exc, secrets=self.secrets())
        except Exception as err:
            _errors.report(f"{self.provider.name}.end", err)

    def end_with(self, body: Any) -> None:
        """End with a result (an SDK model, a JSON dict...); None = nothing readable."""
        provider = self.provider
        try:
            attrs = provider.response_attributes(self, body) if body is not None else dict(_NOTHING_READABLE)
        except Exception as err:
            _errors.report(f"{provider.name}.response", err)
            attrs = {}
        try:
            end_span(self.span, attrs)
        except Exception as err:
            _errors.report(f"{provider.name}.end", err)

    def stream_handle(self) -> StreamHandle:
        """The single finaliser of this call's stream (its accumulator reads the chunks)."""
        return StreamHandle(self.span, self.provider.accumulator(self), self.start_ns, self.provider.name, self.secrets)

    def finish(self, result: Any) -> Any:
        """The value to hand the app: ``result`` itself or a faithful proxy that ends the span later."""
        try:
            return self.provider.wrap_result(self, result)
        except Exception as err:
            _errors.report(f"{self.provider.name}.result", err)
            try:
                self.span.end()
            except Exception:
                pass
        return result


class Provider:
    """How one SDK's calls become spans.  One instance per provider package.

    To implement: ``name`` and ``begin``.  To override where the SDK needs it:
    ``response_attributes``, ``accumulator``, ``wrap_result`` and ``secrets``.
    """

    #: Our name for the provider package: the error funnel's prefix (``"openai.request"``...).
    name: ClassVar[str]
    #: A gateway reaches other providers' SDKs underneath (LiteLLM calls ``openai``'s
    #: ``with_raw_response.create`` on some routes): while its wrapper runs the app's call, every
    #: other provider counts as active too, so that call is one span — the gateway's, which exists
    #: on every route — instead of two LLM spans counting the same tokens.
    gateway: ClassVar[bool] = False

    def __init__(self) -> None:
        #: False after ``uninstrument()``: SDK objects that captured a wrapper earlier (a cached
        #: ``with_raw_response``, a bound method) then call straight through.
        self.enabled = False
        own: contextvars.ContextVar[bool] = contextvars.ContextVar(f"llm_agent_{self.name}_active", default=False)
        #: True while one of this provider's wrappers runs the app's call (or a gateway's does).
        self.active: contextvars.ContextVar[bool] = GatewayFlag(own) if self.gateway else own  # type: ignore[assignment]
        _providers.append(self)

    # --- to implement -------------------------------------------------------------------------------
    def begin(self, op: Operation, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        """Start the call's span (``self.start(...)``); None = not a call of ours, run it as is."""
        raise NotImplementedError

    # --- may override -------------------------------------------------------------------------------
    def error_attributes(self, call: Call, exc: BaseException) -> dict[str, Any] | None:
        """End attributes read from the exception the app's call raised (a provider it names...)."""
        return None

    def response_attributes(self, call: Call, body: Any) -> dict[str, Any]:
        read = call.op.read_response
        return read(body, call.capture, call.limit) if read is not None else {}

    def accumulator(self, call: Call) -> Accumulator:
        factory = call.op.accumulator
        if factory is None:
            raise TypeError(f"{call.op!r} of {self.name} cannot stream")
        return factory(call)

    def secrets(self, instance: Any) -> tuple[str, ...]:
        """The credentials the SDK object ``instance`` sends (its client's key, auth header values).

        Read only when a call fails, to scrub them from the error's copy in the span whatever
        their shape; ``_secrets.secret_values`` builds the answer.  Default: none known.
        """
        return ()

    def wrap_result(self, call: Call, result: Any) -> Any:
        """Classify ``result``: a stream gets a proxy that ends the span; anything else ends it now."""
        if call.op.stream:
            if hasattr(result, "__anext__"):
                return AsyncStreamProxy(result, call.stream_handle())
            if hasattr(result, "__next__"):
                return SyncStreamProxy(result, call.stream_handle())
        call.end_with(result)
        return result

    # --- for ``begin`` ------------------------------------------------------------------------------
    def start(
        self,
        op: Operation,
        name: str,
        attributes: dict[str, Any],
        settings: Settings,
        *,
        request: Callable[[], dict[str, Any]] | None = None,
        session_id: str | None = None,
        user_id: str | None = None,
        kwargs: dict[str, Any] | None = None,
        state: Any = None,
    ) -> Call:
        """Start the span (session/user of the context stamped) and the ``Call`` that ends it.

        ``request`` (a ``DeferredRequest``) returns more start attributes when the span is built;
        ``session_id``/``user_id`` are fallbacks read from the request, used where the context
        has none.
        """
        if settings.arms_compat:  # ARMS's span kind, for every provider (``op.kind``)
            attributes[semconv.ARMS_SPAN_KIND] = op.kind
        span = start_span(name, attributes, settings, session_id, user_id, request)
        return Call(self, op, span, settings.capture_content, settings.content_max_chars, kwargs, state)


#: Every provider made (one per provider package), for the gateways' flags.
_providers: list[Provider] = []


class GatewayFlag:
    """A gateway's ``active`` flag: setting it sets every other (non-gateway) provider's too.

    Same calls as the ``ContextVar`` it stands for (``get``/``set``/``reset``), so the wrappers
    are the same for every provider and a non-gateway's call costs nothing more.
    """

    __slots__ = ("own",)

    def __init__(self, own: contextvars.ContextVar[bool]) -> None:
        self.own = own

    def get(self) -> bool:
        return self.own.get()

    def set(self, value: bool) -> list[tuple[contextvars.ContextVar[bool], contextvars.Token[bool]]]:
        flags = [self.own, *(p.active for p in _providers if not p.gateway)]
        return [(flag, flag.set(value)) for flag in flags]

    def reset(self, tokens: list[tuple[contextvars.ContextVar[bool], contextvars.Token[bool]]]) -> None:
        for flag, token in reversed(tokens):
            flag.reset(token)


class DeferredRequest:
    """A call's request-side attributes, read when its span is built (by an export worker on the
    direct span path): ``read(*args)``, its errors funnelled.

    ``args`` must be what the call had at its start and what the app cannot change afterwards:
    copies of the keyword arguments read (numbers, strings, the model name), not the messages
    list an app appends to.  With content capture on, read the request at the call instead.
    """

    __slots__ = ("args", "read", "where")

    def __init__(self, where: str, read: Callable[..., dict[str, Any]], *args: Any) -> None:
        self.where = where
        self.read = read
        self.args = args

    def __call__(self) -> dict[str, Any]:
        try:
            return self.read(*self.args)
        except Exception as err:
            _errors.report(f"{self.where}.request", err)
            return {}


def kept_arguments(kwargs: dict[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    """The keyword arguments in ``keys`` (a provider's ``REQUEST_KEYS``: what its request side
    reads), as they are now, for a ``DeferredRequest``: lists copied to tuples, since an app may
    reuse and change its ``stop`` list before the span is built."""
    return {key: tuple(value) if type(value) is list else value for key, value in kwargs.items() if key in keys}


def sync_wrapper(provider: Provider, op: Operation) -> Callable[..., Any]:
    """The wrapt wrapper of a synchronous SDK method."""
    active = provider.active
    begin = provider.begin
    where = f"{provider.name}.request"

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if active.get() or not provider.enabled:
            return wrapped(*args, **kwargs)
        call = None
        try:
            call = begin(op, instance, args, kwargs)
        except Exception as err:
            _errors.report(where, err)
        if call is None:
            return wrapped(*args, **kwargs)
        if call.kwargs is not None:
            kwargs = call.kwargs
        call.instance = instance
        token = active.set(True)
        call.start_ns = _now()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            active.reset(token)
            call.fail(exc)
            raise
        active.reset(token)
        return call.finish(result)

    return wrapper


def async_wrapper(provider: Provider, op: Operation) -> Callable[..., Any]:
    """The wrapt wrapper of an ``async def`` SDK method (its result may be an async iterator)."""
    active = provider.active
    begin = provider.begin
    where = f"{provider.name}.request"

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        # An ``async def`` inner function, so the span starts when the coroutine runs (SDK stream
        # managers create the coroutine early and await it on ``__aenter__``).
        async def run() -> Any:
            nonlocal kwargs
            if active.get() or not provider.enabled:
                return await wrapped(*args, **kwargs)
            call = None
            try:
                call = begin(op, instance, args, kwargs)
            except Exception as err:
                _errors.report(where, err)
            if call is None:
                return await wrapped(*args, **kwargs)
            if call.kwargs is not None:
                kwargs = call.kwargs
            call.instance = instance
            token = active.set(True)
            call.start_ns = _now()
            try:
                result = await wrapped(*args, **kwargs)
            except BaseException as exc:
                active.reset(token)
                call.fail(exc)
                raise
            active.reset(token)
            return call.finish(result)

        return run()

    return wrapper


__all__ = [
    "kept_arguments",
    "AccumulatorFactory",
    "Call",
    "DeferredRequest",
    "GatewayFlag",
    "Operation",
    "Provider",
    "ResponseReader",
    "async_wrapper",
    "sync_wrapper",
]
