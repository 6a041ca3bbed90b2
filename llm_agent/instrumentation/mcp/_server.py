"""The server side: the handler of each request runs in the caller's trace.

- 1.x: ``Server._handle_request`` (the low-level server every ``FastMCP`` app runs on) is wrapped:
  the context the client put in ``params._meta`` is extracted (its baggage too, so the session
  and user travel), a SERVER span ``tools/call {tool}`` (``gen_ai.span.kind`` TOOL; CHAIN for the
  other methods) is started as its child and is current while the handler runs, so whatever the
  handler does — an LLM call llm_agent instruments included — is below it.  Its response is read
  where the SDK sends it (``RequestResponder.respond``): a JSON-RPC error by its code, a tool's
  ``isError`` result as ``tool_error``, the result itself when content is captured.
- 2.x: the SDK's ``OpenTelemetryMiddleware`` already starts that SERVER span, as the child of
  the extracted context.  We start none: the middleware's ``call_next`` is wrapped so that, inside
  its span, we add what it lacks (the ARMS kind, the transport, the captured arguments and result)
  and attach the extracted baggage (the SDK attaches only the span), so the handler's own spans
  carry the caller's session and user.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any, NamedTuple

from opentelemetry import baggage as otel_baggage
from opentelemetry import context as otel_context
from opentelemetry import propagate
from opentelemetry import trace as otel_trace

from llm_agent import _errors, semconv
from llm_agent._state import get_settings, get_tracer
from llm_agent.instrumentation.mcp import _attributes as attrs_
from llm_agent.instrumentation.mcp import _sdk, _transport

_MCP_SESSION_HEADER = "mcp-session-id"
_MCP_PROTOCOL_HEADER = "mcp-protocol-version"


class _Call(NamedTuple):
    span: otel_trace.Span
    method: str
    responder: Any


_call: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("llm_agent_mcp_server_call", default=None)


def _target(method: str, params: Any) -> str | None:
    if params is None:
        return None
    key = "uri" if method == attrs_.RESOURCES_READ else "name"
    value = params.get(key) if isinstance(params, dict) else getattr(params, key, None)
    return attrs_.text_or_none(value)


def _tool_arguments(params: Any) -> Any:
    return params.get("arguments") if isinstance(params, dict) else getattr(params, "arguments", None)


def _extracted(carrier: dict[str, Any] | None) -> otel_context.Context | None:
    """The caller's context from ``_meta``, or None when it carries no valid trace context."""
    if not carrier:
        return None
    ctx = propagate.extract({k: v for k, v in carrier.items() if isinstance(v, str)})
    return ctx if otel_trace.get_current_span(ctx).get_span_context().is_valid else None


def _transport_attributes(http_request: Any, session: Any) -> dict[str, Any]:
    if http_request is not None:
        attrs: dict[str, Any] = {
            semconv.NETWORK_TRANSPORT: semconv.NETWORK_TRANSPORT_TCP,
            semconv.NETWORK_PROTOCOL_NAME: semconv.NETWORK_PROTOCOL_HTTP,
        }
        session_id = _sdk.header(http_request, _MCP_SESSION_HEADER)
        if session_id is not None:
            attrs[semconv.MCP_SESSION_ID] = session_id
        return attrs
    transport = _transport.of(_sdk.write_stream(session))
    return transport.attributes() if transport is not None else {}


# --- 1.x ------------------------------------------------------------------------------------------------


def _start(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
    responder = _sdk_arg(args, kwargs, 0, "message")
    request = _sdk_arg(args, kwargs, 1, "req")
    session = _sdk_arg(args, kwargs, 2, "session")
    method = _sdk.request_method(request)
    if method is None:
        return None
    params = _sdk.request_params(request)
    caller = _extracted(_sdk.meta_carrier(params))
    ctx = caller if caller is not None else otel_context.get_current()
    target = _target(method, params)
    attributes = attrs_.start_attributes(method, target, ctx)
    request_id = getattr(responder, "request_id", None)
    if request_id is not None:
        attributes[semconv.JSONRPC_REQUEST_ID] = str(request_id)
    http_request = _sdk.http_request(responder)
    version = (_sdk.header(http_request, _MCP_PROTOCOL_HEADER) if http_request is not None else None) or (
        _sdk.client_protocol_version(session)
    )
    if version is not None:
        attributes[semconv.MCP_PROTOCOL_VERSION] = version
    attributes.update(_transport_attributes(http_request, session))
    if method == attrs_.TOOLS_CALL:
        attributes.update(attrs_.arguments_attribute(_tool_arguments(params)))
    span = get_tracer().start_span(
        attrs_.span_name(method, target), context=ctx, kind=otel_trace.SpanKind.SERVER, attributes=attributes
    )
    token = otel_context.attach(otel_trace.set_span_in_context(span, ctx))
    return span, token, _call.set(_Call(span, method, responder))


def _sdk_arg(args: tuple[Any, ...], kwargs: dict[str, Any], position: int, name: str) -> Any:
    return args[position] if len(args) > position else kwargs.get(name)


def _end(started: tuple[Any, ...], exc: BaseException | None) -> None:
    span, token, call_token = started
    try:
        _call.reset(call_token)
        otel_context.detach(token)
        if exc is not None:
            attrs_.record_exception(span, exc)
    except Exception as error:
        _errors.report(f"{_sdk.WHERE}.server", error)
    finally:
        span.end()


async def handle_request_wrapper(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """1.x ``Server._handle_request``: the handler inside our SERVER span, in the caller's trace."""
    try:
        started = _start(args, kwargs)
    except Exception as exc:
        _errors.report(f"{_sdk.WHERE}.server", exc)
        started = None
    if started is None:
        return await wrapped(*args, **kwargs)
    try:
        result = await wrapped(*args, **kwargs)
    except BaseException as exc:
        _end(started, exc)
        raise
    _end(started, None)
    return result


def respond_wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """1.x ``RequestResponder.respond``: the response of the request our span is for."""
    try:
        call = _call.get()
        if call is not None and call.responder is instance:
            response = args[0] if args else kwargs.get("response")
            code = getattr(response, "code", None)
            if isinstance(code, int) and type(response).__name__ == "ErrorData":
                attrs_.record_error_data(call.span, code, getattr(response, "message", None))
            else:
                attrs_.record_result(call.span, call.method, response)
    except Exception as exc:
        _errors.report(f"{_sdk.WHERE}.server", exc)
    return wrapped(*args, **kwargs)


# --- 2.x ------------------------------------------------------------------------------------------------


def _adopting(ctx: Any, call_next: Callable[..., Any]) -> Callable[..., Any]:
    """``call_next`` run inside the SDK's SERVER span, which it completes first."""

    async def adopted(inner_ctx: Any) -> Any:
        token = None
        span: otel_trace.Span | None = None
        method = getattr(ctx, "method", None)
        try:
            span = otel_trace.get_current_span()
            if not span.is_recording() or not isinstance(method, str):
                span = None
            else:
                params = getattr(ctx, "params", None)
                attributes: dict[str, Any] = {}
                if get_settings().arms_compat:
                    attributes[semconv.ARMS_SPAN_KIND] = (
                        semconv.KIND_TOOL if method == attrs_.TOOLS_CALL else semconv.KIND_CHAIN
                    )
                attributes.update(_transport_attributes(getattr(ctx, "request", None), getattr(ctx, "session", None)))
                if method == attrs_.RESOURCES_READ and (uri := _target(method, params)) is not None:
                    attributes[semconv.MCP_RESOURCE_URI] = uri
                if method == attrs_.TOOLS_CALL:
                    attributes.update(attrs_.arguments_attribute(_tool_arguments(params)))
                span.set_attributes(attributes)
            caller = _extracted(_sdk.meta_carrier({"_meta": getattr(ctx, "meta", None)}))
            entries = otel_baggage.get_all(caller) if caller is not None else {}
            if entries:
                current = otel_context.get_current()
                for key, value in entries.items():
                    current = otel_baggage.set_baggage(key, value, current)
                token = otel_context.attach(current)
        except Exception as exc:
            _errors.report(f"{_sdk.WHERE}.server", exc)
        try:
            result = await call_next(inner_ctx)
        finally:
            if token is not None:
                otel_context.detach(token)
        if span is not None:
            try:
                # the SDK marks an isError result too; we add its text (captured) or the result
                attrs_.record_result(span, method, result)
            except Exception as exc:
                _errors.report(f"{_sdk.WHERE}.server", exc)
        return result

    return adopted


def middleware_wrapper(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """2.x ``OpenTelemetryMiddleware.__call__(ctx, call_next)``: its span adopted, not doubled."""
    if len(args) != 2 or kwargs:
        return wrapped(*args, **kwargs)
    ctx, call_next = args
    try:
        call_next = _adopting(ctx, call_next)
    except Exception as exc:
        _errors.report(f"{_sdk.WHERE}.server", exc)
    return wrapped(ctx, call_next)


__all__ = ["handle_request_wrapper", "middleware_wrapper", "respond_wrapper"]
