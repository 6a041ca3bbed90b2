"""Every botocore internal the Bedrock instrumentation reads, each with a fallback.

botocore has no public hook that sees every client of every session with the call's result, so
the instrumentation patches ``BaseClient._make_api_call`` and reads a few attributes around it.
Each one is named here, once, and has a row in ``tests/bedrock/test_sdk_contract.py`` that fails
with the internal's name when a botocore release moves it.  Where an internal is gone the
fallback degrades the span (no server address, usage from the headers only), never the call.
"""

from __future__ import annotations

from typing import Any, Final

#: The one method every botocore operation of every client goes through (class level, so clients
#: created before ``init()`` and in any ``boto3.Session`` are covered).
CLIENT_MODULE: Final = "botocore.client"
CLIENT_CLASS: Final = "BaseClient"
CALL_METHOD: Final = "_make_api_call"
#: The service name of the Bedrock Runtime data plane (``bedrock`` is the control plane).
RUNTIME_SERVICE: Final = "bedrock-runtime"


def api_params(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The ``api_params`` of ``_make_api_call(self, operation_name, api_params)``: the operation's
    keyword arguments as the app passed them (None if not a dict)."""
    params = args[1] if len(args) > 1 else kwargs.get("api_params")
    return params if type(params) is dict else None


def service_name(client: Any) -> str | None:
    """``client.meta.service_model.service_name``; else the private ``_service_model``'s."""
    model = getattr(getattr(client, "meta", None), "service_model", None)
    if model is None:
        model = getattr(client, "_service_model", None)
    name = getattr(model, "service_name", None)
    return name if type(name) is str else None


def endpoint_url(client: Any) -> str | None:
    """The URL the client sends to (``client.meta.endpoint_url``), None if unknown."""
    url = getattr(getattr(client, "meta", None), "endpoint_url", None)
    return url if type(url) is str and url else None


def response_headers(response: Any) -> dict[str, str]:
    """The HTTP response headers botocore keeps in ``ResponseMetadata.HTTPHeaders`` (lower-case keys)."""
    if type(response) is not dict:
        return {}
    meta = response.get("ResponseMetadata")
    headers = meta.get("HTTPHeaders") if type(meta) is dict else None
    return headers if isinstance(headers, dict) else {}


class _Types:
    __slots__ = ("event_stream", "streaming_body")

    def __init__(self) -> None:
        from botocore.eventstream import EventStream  # type: ignore[import-untyped]
        from botocore.response import StreamingBody  # type: ignore[import-untyped]

        self.event_stream: type = EventStream
        self.streaming_body: type = StreamingBody


_types: _Types | None = None


def sdk_types() -> _Types:
    """botocore's ``EventStream`` and ``StreamingBody`` classes (imported once, on first use)."""
    global _types
    if _types is None:
        _types = _Types()
    return _types


def body_complete(body: Any) -> bool:
    """Whether a ``StreamingBody`` has delivered all ``Content-Length`` bytes.

    Reads the private ``_amount_read`` and ``_content_length``; False when either is missing, so
    the span then ends at the empty read, ``close()`` or garbage collection instead.
    """
    length = getattr(body, "_content_length", None)
    read = getattr(body, "_amount_read", None)
    if length is None or type(read) is not int:
        return False
    try:
        return read >= int(length)
    except (TypeError, ValueError):
        return False


__all__ = [
    "CALL_METHOD",
    "CLIENT_CLASS",
    "CLIENT_MODULE",
    "RUNTIME_SERVICE",
    "api_params",
    "body_complete",
    "endpoint_url",
    "response_headers",
    "sdk_types",
    "service_name",
]
