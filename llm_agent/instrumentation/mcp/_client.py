"""The client side: a CLIENT span per ``ClientSession`` request, and the context it carries.

``call_tool``, ``list_tools``, ``read_resource``, ``get_prompt`` (and the other list methods) each
become one span, current while the SDK sends the request, so that the W3C context travelling in
``params._meta`` names it as the server's parent:

- 1.x: ``BaseSession.send_request`` is wrapped to put that context into the request it sends
  (a proxy of the request whose ``model_dump`` adds it: the app's request object is untouched).
- 2.x: the SDK injects the context itself, inside a CLIENT span of its own from its dispatcher's
  ``otel_span``.  For a request one of our spans stands for, ``otel_span`` hands back our span
  instead (so there is one span per request, and the SDK's one injection carries it); every
  other request (``initialize``, ``ping``, ...) keeps the SDK's span.
"""

from __future__ import annotations

import contextlib
import contextvars
import weakref
from collections.abc import Callable
from typing import Any, NamedTuple

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry import trace as otel_trace

from llm_agent import _errors, semconv
from llm_agent._state import get_tracer
from llm_agent.instrumentation.mcp import _attributes as attrs_
from llm_agent.instrumentation.mcp import _sdk, _transport


class Method(NamedTuple):
    """One ``ClientSession`` method: the MCP method it sends and where its target argument is."""

    attribute: str
    method: str
    target: str | None = None  # the name of the argument naming the tool, prompt or resource
    arguments: bool = False  # whether the second argument holds the tool's arguments


METHODS: tuple[Method, ...] = (
    Method("call_tool", attrs_.TOOLS_CALL, "name", arguments=True),
    Method("list_tools", "tools/list"),
    Method("read_resource", attrs_.RESOURCES_READ, "uri"),
    Method("list_resources", "resources/list"),
    Method("list_resource_templates", "resources/templates/list"),
    Method("get_prompt", attrs_.PROMPTS_GET, "name"),
    Method("list_prompts", "prompts/list"),
)


class _Slot:
    """Our span, waiting for the one request it stands for (claimed once: a request the call
    makes on the way, such as ``call_tool``'s ``list_tools`` for the output schema, is not it)."""

    __slots__ = ("claimed", "method", "span")

    def __init__(self, span: otel_trace.Span, method: str) -> None:
        self.span = span
        self.method = method
        self.claimed = False

    def claim(self, method: str | None) -> otel_trace.Span | None:
        if self.claimed or method != self.method:
            return None
        self.claimed = True
        return self.span


_slot: contextvars.ContextVar[_Slot | None] = contextvars.ContextVar("llm_agent_mcp_slot", default=None)
#: 1.x: the protocol version each client session negotiated (2.x sessions know theirs).
_versions: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _argument(args: tuple[Any, ...], kwargs: dict[str, Any], position: int, name: str) -> Any:
    return args[position] if len(args) > position else kwargs.get(name)


def _start(spec: Method, session: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    target = attrs_.text_or_none(_argument(args, kwargs, 0, spec.target)) if spec.target else None
    attributes = attrs_.start_attributes(spec.method, target)
    if spec.arguments:
        attributes.update(attrs_.arguments_attribute(_argument(args, kwargs, 1, "arguments")))
    version = _sdk.protocol_version(session) or _versions.get(session)
    if version is not None:
        attributes[semconv.MCP_PROTOCOL_VERSION] = version
    transport = _transport.of(_sdk.write_stream(session))
    if transport is not None:
        attributes.update(transport.attributes())
    span = get_tracer().start_span(
        attrs_.span_name(spec.method, target), kind=otel_trace.SpanKind.CLIENT, attributes=attributes
    )
    slot = _Slot(span, spec.method)
    return span, otel_context.attach(otel_trace.set_span_in_context(span)), _slot.set(slot)


def _end(started: tuple[Any, ...], spec: Method, result: Any, exc: BaseException | None) -> None:
    span, context_token, slot_token = started
    try:
        _slot.reset(slot_token)
        otel_context.detach(context_token)
        if exc is not None:
            attrs_.record_exception(span, exc)
        else:
            attrs_.record_result(span, spec.method, result)
    except Exception as error:
        _errors.report(f"{_sdk.WHERE}.client", error)
    finally:
        span.end()


def method_wrapper(spec: Method) -> Callable[..., Any]:
    """The wrapt wrapper of one ``ClientSession`` method (async)."""

    async def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            started: tuple[Any, ...] | None = _start(spec, instance, args, kwargs)
        except Exception as exc:
            _errors.report(f"{_sdk.WHERE}.client", exc)
            started = None
        if started is None:
            return await wrapped(*args, **kwargs)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            _end(started, spec, None, exc)
            raise
        _end(started, spec, result, None)
        return result

    return wrapper


async def initialize_wrapper(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """1.x: note the negotiated protocol version for the session's later spans."""
    result = await wrapped(*args, **kwargs)
    try:
        version = getattr(result, "protocolVersion", None)
        if isinstance(version, str):
            _versions[instance] = version
    except Exception as exc:
        _errors.report(f"{_sdk.WHERE}.client", exc)
    return result


# --- 1.x: injection ------------------------------------------------------------------------------------


class _InjectedRequest(wrapt.ObjectProxy):  # type: ignore[misc]
    """The app's request as it is, except that its dump carries the trace context in ``_meta``."""

    def __init__(self, wrapped: Any, carrier: dict[str, str]) -> None:
        super().__init__(wrapped)
        self._self_carrier = carrier

    def model_dump(self, *args: Any, **kwargs: Any) -> Any:
        data = self.__wrapped__.model_dump(*args, **kwargs)
        try:
            if isinstance(data, dict):
                params = data.get("params")
                if not isinstance(params, dict):
                    params = data["params"] = {}
                meta = params.get("_meta")
                if not isinstance(meta, dict):
                    meta = params["_meta"] = {}
                for key, value in self._self_carrier.items():
                    meta.setdefault(key, value)  # a context already there (the app's own) wins
        except Exception as exc:
            _errors.report(f"{_sdk.WHERE}.inject", exc)
        return data


def send_request_wrapper(is_client: Callable[[Any], bool]) -> Callable[..., Any]:
    """1.x ``BaseSession.send_request``: the request id on our span, the context in ``_meta``."""

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if not args or not is_client(instance):
            return wrapped(*args, **kwargs)
        request = args[0]
        try:
            slot = _slot.get()
            span = slot.claim(_sdk.request_method(request)) if slot is not None else None
            request_id = _sdk.next_request_id(instance) if span is not None else None
            if span is not None and request_id is not None:
                span.set_attribute(semconv.JSONRPC_REQUEST_ID, str(request_id))
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            if carrier:
                args = (_InjectedRequest(request, carrier), *args[1:])
        except Exception as exc:
            _errors.report(f"{_sdk.WHERE}.inject", exc)
        return wrapped(*args, **kwargs)

    return wrapper


# --- 2.x: our span for the dispatcher's ------------------------------------------------------------------


def dispatcher_otel_span(original: Callable[..., Any]) -> Callable[..., Any]:
    """A stand-in for 2.x's ``jsonrpc_dispatcher.otel_span``: our waiting span for the request it
    stands for (the SDK then injects our context), the SDK's own span for any other."""

    def otel_span(name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            slot = _slot.get()
            attributes = kwargs.get("attributes") or {}
            span = slot.claim(attributes.get(semconv.MCP_METHOD_NAME)) if slot is not None else None
            if span is not None:
                request_id = attributes.get(semconv.JSONRPC_REQUEST_ID)
                if request_id is not None:
                    span.set_attribute(semconv.JSONRPC_REQUEST_ID, str(request_id))
                return contextlib.nullcontext(span)
        except Exception as exc:
            _errors.report(f"{_sdk.WHERE}.client", exc)
        return original(name, *args, **kwargs)

    return otel_span


__all__ = ["METHODS", "Method", "dispatcher_otel_span", "initialize_wrapper", "method_wrapper", "send_request_wrapper"]
