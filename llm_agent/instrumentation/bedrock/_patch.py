"""The wrapper around ``BaseClient._make_api_call``: one span per Bedrock Runtime model call.

Every botocore operation of every client goes through that method, so the filter comes first and
costs other calls almost nothing: one frozenset lookup of the operation name (``PutObject`` is not
``Converse``), then for the four model operations a per-client-class check that the client is
``bedrock-runtime`` (the control plane ``bedrock`` and any other service call straight through).
The app's call runs once, outside any ``try`` that swallows; ours around it goes to
``_errors.report``.  The result is botocore's own dict, with only its event stream or body
replaced by a faithful proxy where the span has to outlive the call.
"""

from __future__ import annotations

import contextvars
import time
import weakref
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

from llm_agent import _errors, semconv
from llm_agent.instrumentation._spans import PendingSpan, current_settings, end_span, start_span
from llm_agent.instrumentation._stream import StreamHandle
from llm_agent.instrumentation.bedrock._body import BodyProxy, BodyState
from llm_agent.instrumentation.bedrock._request import body_bytes, converse_request, invoke_request, is_embedding
from llm_agent.instrumentation.bedrock._response import converse_response, header_usage, invoke_response
from llm_agent.instrumentation.bedrock._sdk import (
    RUNTIME_SERVICE,
    endpoint_url,
    response_headers,
    sdk_types,
    service_name,
)
from llm_agent.instrumentation.bedrock._stream import ConverseAccumulator, EventStreamProxy, InvokeStreamAccumulator

_now = time.perf_counter_ns
_WHERE: Final = "bedrock"
PROVIDER: Final = "aws.bedrock"
CONVERSE: Final = "Converse"
CONVERSE_STREAM: Final = "ConverseStream"
INVOKE: Final = "InvokeModel"
INVOKE_STREAM: Final = "InvokeModelWithResponseStream"
#: The botocore operation names that are model calls; everything else calls straight through.
OPERATIONS: Final = frozenset({CONVERSE, CONVERSE_STREAM, INVOKE, INVOKE_STREAM})
_STREAMS: Final = frozenset({CONVERSE_STREAM, INVOKE_STREAM})
_DEFAULT_PORTS: Final = {"https": 443, "http": 80}
#: Most distinct endpoint URLs whose server attributes are remembered.
SERVER_CACHE_SIZE: Final = 64
#: True while one of our wrappers runs (an app's botocore event handler calling Bedrock again
#: inside the call makes its own span only through a fresh call, never a nested duplicate).
_active: contextvars.ContextVar[bool] = contextvars.ContextVar("llm_agent_bedrock_active", default=False)


class _State:
    #: False after ``uninstrument()``.
    enabled = False


state = _State()
# botocore builds one client class per ``create_client`` call: weak keys, so a discarded client's
# class is not kept alive by this cache.
_runtime_classes: weakref.WeakKeyDictionary[type, bool] = weakref.WeakKeyDictionary()
_servers: dict[str, dict[str, Any]] = {}


def is_runtime(client: Any) -> bool:
    cls = type(client)
    known = _runtime_classes.get(cls)
    if known is None:
        known = _runtime_classes[cls] = service_name(client) == RUNTIME_SERVICE
    return known


def server_attributes(client: Any) -> dict[str, Any]:
    url = endpoint_url(client)
    if url is None:
        return {}
    attrs = _servers.get(url)
    if attrs is None:
        attrs = {}
        try:
            parts = urlsplit(url)
            if parts.hostname:
                attrs[semconv.SERVER_ADDRESS] = parts.hostname
                port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
                if port is not None:
                    attrs[semconv.SERVER_PORT] = port
        except ValueError:
            pass
        if len(_servers) >= SERVER_CACHE_SIZE:
            _servers.clear()
        _servers[url] = attrs
    return attrs


class Call:
    """One Bedrock model call in flight."""

    __slots__ = ("capture", "limit", "operation", "span", "start_ns")

    def __init__(self, span: PendingSpan, operation: str, capture: bool, limit: int) -> None:
        self.span = span
        self.operation = operation
        self.capture = capture
        self.limit = limit
        self.start_ns = 0

    def fail(self, exc: BaseException) -> None:
        try:
            end_span(self.span, None, exc)
        except Exception as err:
            _errors.report(f"{_WHERE}.end", err)

    def finish(self, result: Any) -> Any:
        """Hand the app ``result``: ended now, or with its stream/body proxied."""
        try:
            if type(result) is dict:
                self._finish(result)
            else:
                end_span(self.span, {semconv.USAGE_MISSING: True})
        except Exception as err:
            _errors.report(f"{_WHERE}.result", err)
            try:
                self.span.end()
            except Exception:
                pass
        return result

    def _finish(self, result: dict[str, Any]) -> None:
        op = self.operation
        if op == CONVERSE:
            end_span(self.span, converse_response(result, self.capture, self.limit))
            return
        types = sdk_types()
        key = "stream" if op == CONVERSE_STREAM else "body"
        value = result.get(key)
        if op == INVOKE:
            headers = header_usage(response_headers(result))
            if isinstance(value, types.streaming_body):
                result[key] = BodyProxy(value, BodyState(self.span, headers, self.capture, self.limit))
            else:
                end_span(self.span, invoke_response(None, headers, self.capture, self.limit))
            return
        if isinstance(value, types.event_stream):
            accumulator = (ConverseAccumulator if op == CONVERSE_STREAM else InvokeStreamAccumulator)(
                self.capture, self.limit
            )
            result[key] = EventStreamProxy(value, StreamHandle(self.span, accumulator, self.start_ns, _WHERE))
        else:
            end_span(self.span, {semconv.USAGE_MISSING: True})


def _deferred_invoke(body: bytes | str | None, capture: bool, limit: int) -> Callable[[], dict[str, Any]]:
    def read() -> dict[str, Any]:
        try:
            return invoke_request(body, capture, limit)
        except Exception as err:
            _errors.report(f"{_WHERE}.request", err)
            return {}

    return read


def begin(client: Any, operation: str, params: Any) -> Call | None:
    """Start the span of a model call; None for a client of another service."""
    if not is_runtime(client) or type(params) is not dict:
        return None
    settings = current_settings()
    capture = settings.capture_content
    limit = settings.content_max_chars
    model = params.get("modelId")
    model = model if type(model) is str and model else None
    embedding = operation == INVOKE and model is not None and is_embedding(model)
    name = semconv.OP_EMBEDDINGS if embedding else semconv.OP_CHAT
    attrs: dict[str, Any] = {
        semconv.GEN_AI_OPERATION_NAME: name,
        semconv.GEN_AI_PROVIDER_NAME: PROVIDER,
        **server_attributes(client),
    }
    if model is not None:
        attrs[semconv.GEN_AI_REQUEST_MODEL] = model
    if operation in _STREAMS:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    if settings.arms_compat:
        attrs[semconv.ARMS_SPAN_KIND] = semconv.KIND_EMBEDDING if embedding else semconv.KIND_LLM
    request = None
    if operation == CONVERSE or operation == CONVERSE_STREAM:
        attrs.update(converse_request(params, capture, limit))
    else:
        request = _deferred_invoke(body_bytes(params.get("body")), capture, limit)
    span = start_span(f"{name} {model}" if model else name, attrs, settings, request=request)
    return Call(span, operation, capture, limit)


def _try_begin(client: Any, operation: str, params: Any) -> Call | None:
    try:
        return begin(client, operation, params)
    except Exception as err:
        _errors.report(f"{_WHERE}.request", err)
        return None


def make_api_call_wrapper(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    operation = args[0] if args else kwargs.get("operation_name")
    # ``type(...) is str`` first: a set lookup of an unhashable value would raise into the app.
    if type(operation) is not str or operation not in OPERATIONS or not state.enabled or _active.get():
        return wrapped(*args, **kwargs)
    call = _try_begin(instance, operation, args[1] if len(args) > 1 else kwargs.get("api_params"))
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


__all__ = ["OPERATIONS", "PROVIDER", "begin", "make_api_call_wrapper", "state"]
