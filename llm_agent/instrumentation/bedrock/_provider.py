"""Bedrock Runtime on the provider core: what each model operation is, how its request and results read.

The app's call, the error funnel and the span's single end are the core's
(``instrumentation/_call.py``).  Every botocore operation of every client goes through the one
patched method, so the filter comes first and costs other calls almost nothing: one dict lookup of
the operation name (``PutObject`` is not ``Converse``) picks the core's wrapper of that model
operation, then ``begin`` checks, once per client class, that the client is ``bedrock-runtime``
(the control plane ``bedrock`` and any other service call straight through).  The result is
botocore's own dict, with only its event stream or body replaced by a faithful proxy where the
span has to outlive the call.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlsplit

from llm_agent import semconv
from llm_agent._state import get_settings
from llm_agent.config import Settings
from llm_agent.instrumentation._call import Call, DeferredRequest, Operation, Provider, sync_wrapper
from llm_agent.instrumentation._server import DEFAULT_PORTS, ServerCache
from llm_agent.instrumentation.bedrock._body import BodyProxy, BodyState
from llm_agent.instrumentation.bedrock._request import (
    body_bytes,
    converse_request,
    invoke_request,
    is_embedding,
    kept_converse_params,
)
from llm_agent.instrumentation.bedrock._response import converse_response, header_usage, invoke_response
from llm_agent.instrumentation.bedrock._sdk import (
    RUNTIME_SERVICE,
    api_params,
    endpoint_url,
    response_headers,
    sdk_types,
    service_name,
)
from llm_agent.instrumentation.bedrock._stream import (
    ConverseAccumulator,
    EventStreamProxy,
    InvokeStreamAccumulator,
)

PROVIDER: Final = semconv.PROVIDER_AWS_BEDROCK


def _converse_stream(call: Call) -> ConverseAccumulator:
    return ConverseAccumulator(call.capture, call.limit)


def _invoke_stream(call: Call) -> InvokeStreamAccumulator:
    return InvokeStreamAccumulator(call.capture, call.limit)


def _headers_only(result: Any, capture: bool, limit: int) -> dict[str, Any]:
    """An ``invoke_model`` result without a readable body: Bedrock's token-count headers."""
    return invoke_response(None, header_usage(response_headers(result)), capture, limit)


CONVERSE: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, converse_response)
CONVERSE_STREAM: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, accumulator=_converse_stream, stream=True)
#: ``invoke_model``: its result is read from the body the app reads (``_body.py``); the headers
#: only when there is no body to proxy.
INVOKE: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, _headers_only)
INVOKE_EMBEDDINGS: Final = Operation(semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING, _headers_only)
INVOKE_STREAM: Final = Operation(semconv.OP_CHAT, semconv.KIND_LLM, accumulator=_invoke_stream, stream=True)
#: botocore operation name -> what it is.  Every other operation calls straight through.
OPERATIONS: Final = {
    "Converse": CONVERSE,
    "ConverseStream": CONVERSE_STREAM,
    "InvokeModel": INVOKE,
    "InvokeModelWithResponseStream": INVOKE_STREAM,
}
#: Where the event stream or body sits in botocore's result dict.
_RESULT_KEYS: Final = {CONVERSE_STREAM: "stream", INVOKE_STREAM: "body"}

# botocore builds one client class per ``create_client`` call: weak keys, so a discarded client's
# class is not kept alive by this cache.
_runtime_classes: weakref.WeakKeyDictionary[type, bool] = weakref.WeakKeyDictionary()


def is_runtime(client: Any) -> bool:
    """Whether ``client`` is a ``bedrock-runtime`` client (cached per client class)."""
    cls = type(client)
    known = _runtime_classes.get(cls)
    if known is None:
        known = _runtime_classes[cls] = service_name(client) == RUNTIME_SERVICE
    return known


def _read_server(url: str, settings: Settings) -> tuple[str, dict[str, Any]]:
    attrs: dict[str, Any] = {}
    try:
        parts = urlsplit(url)
        if parts.hostname:
            attrs[semconv.SERVER_ADDRESS] = parts.hostname
            port = parts.port or DEFAULT_PORTS.get(parts.scheme)
            if port is not None:
                attrs[semconv.SERVER_PORT] = port
    except ValueError:
        pass
    return PROVIDER, attrs


_servers: Final = ServerCache(_read_server)


def _converse_side(url: str | None, params: dict[str, Any], settings: Settings, capture: bool) -> dict[str, Any]:
    return _servers.request_side(url, settings, converse_request(params, capture, settings.content_max_chars))


def _invoke_side(url: str | None, body: bytes | str | None, settings: Settings) -> dict[str, Any]:
    # The body is immutable (bytes/str): parsed when the span is built, content included.
    request = invoke_request(body, settings.capture_content, settings.content_max_chars)
    return _servers.request_side(url, settings, request)


class BedrockProvider(Provider):
    name = "bedrock"

    def begin(self, op: Operation, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Call | None:
        params = api_params(args, kwargs)
        if params is None or not is_runtime(instance):
            return None
        settings = get_settings()
        model = params.get("modelId")
        model = model if type(model) is str and model else None
        if op is INVOKE and model is not None and is_embedding(model):
            op = INVOKE_EMBEDDINGS
        attrs: dict[str, Any] = {semconv.GEN_AI_OPERATION_NAME: op.name, semconv.GEN_AI_PROVIDER_NAME: PROVIDER}
        if model is not None:
            attrs[semconv.GEN_AI_REQUEST_MODEL] = model
        if op.stream:
            attrs[semconv.GEN_AI_REQUEST_STREAM] = True
        name = f"{op.name} {model}" if model is not None else op.name
        url = endpoint_url(instance)
        request: Callable[[], dict[str, Any]]
        if op is CONVERSE or op is CONVERSE_STREAM:
            if settings.capture_content:  # the messages are read now: the app may change its lists later
                attrs.update(_converse_side(url, params, settings, True))
                return self.start(op, name, attrs, settings)
            request = DeferredRequest(self.name, _converse_side, url, kept_converse_params(params), settings, False)
        else:
            request = DeferredRequest(self.name, _invoke_side, url, body_bytes(params.get("body")), settings)
        return self.start(op, name, attrs, settings, request=request)

    def wrap_result(self, call: Call, result: Any) -> Any:
        op = call.op
        if type(result) is not dict:
            call.end_with(None)  # nothing readable: usage unknown
            return result
        if op is CONVERSE:
            call.end_with(result)
            return result
        types = sdk_types()
        if op is INVOKE or op is INVOKE_EMBEDDINGS:
            headers = header_usage(response_headers(result))
            body = result.get("body")
            if isinstance(body, types.streaming_body):
                result["body"] = BodyProxy(body, BodyState(call.span, headers, call.capture, call.limit))
            else:
                call.end_with(result)  # the headers' counts
            return result
        key = _RESULT_KEYS[op]
        stream = result.get(key)
        if isinstance(stream, types.event_stream):
            result[key] = EventStreamProxy(stream, call.stream_handle())
        else:
            call.end_with(None)
        return result


provider: Final = BedrockProvider()


def make_api_call_wrapper() -> Callable[..., Any]:
    """The wrapt wrapper of ``BaseClient._make_api_call``: the operation filter, then the core's
    wrapper of that model operation."""
    runners = {name: sync_wrapper(provider, op) for name, op in OPERATIONS.items()}
    get = runners.get

    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        operation = args[0] if args else kwargs.get("operation_name")
        # ``type(...) is str`` first: a dict lookup of an unhashable value would raise into the app.
        run = get(operation) if type(operation) is str else None
        if run is None:
            return wrapped(*args, **kwargs)
        return run(wrapped, instance, args, kwargs)

    return wrapper


__all__ = ["CONVERSE", "OPERATIONS", "PROVIDER", "BedrockProvider", "is_runtime", "make_api_call_wrapper", "provider"]
