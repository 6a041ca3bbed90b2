"""One row per botocore internal the Bedrock instrumentation reads (llm_agent/instrumentation/bedrock/_sdk.py).

Each fails with the internal's name when a botocore release moves it, before a user's spans degrade.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from typing import Any

import pytest

from llm_agent.instrumentation.bedrock import _sdk
from tests.bedrock.bedrock_helpers import client


def _make_api_call() -> None:
    import importlib

    cls = getattr(importlib.import_module(_sdk.CLIENT_MODULE), _sdk.CLIENT_CLASS)
    method = cls.__dict__.get(_sdk.CALL_METHOD)
    assert method is not None, "botocore.client.BaseClient._make_api_call is gone"
    params = list(inspect.signature(method).parameters)
    assert params == ["self", "operation_name", "api_params"], f"_make_api_call's signature changed: {params}"


def _service_name() -> None:
    c = client()
    assert c.meta.service_model.service_name == "bedrock-runtime", "client.meta.service_model.service_name moved"
    assert c._service_model.service_name == "bedrock-runtime", "client._service_model (the fallback) moved"
    assert _sdk.service_name(c) == _sdk.RUNTIME_SERVICE


def _endpoint_url() -> None:
    c = client()
    assert c.meta.endpoint_url == "https://bedrock-runtime.us-east-1.amazonaws.com", "client.meta.endpoint_url moved"


def _operation_names() -> None:
    model = client().meta.service_model
    names = set(model.operation_names)
    wanted = {"Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream"}
    assert wanted <= names, f"bedrock-runtime operations renamed: {sorted(wanted - names)}"


def _event_stream() -> None:
    from botocore.eventstream import EventStream

    assert _sdk.sdk_types().event_stream is EventStream, "botocore.eventstream.EventStream moved"
    assert callable(getattr(EventStream, "__iter__", None)), "EventStream.__iter__ is gone"
    assert callable(getattr(EventStream, "close", None)), "EventStream.close is gone"


def _streaming_body() -> None:
    from botocore.response import StreamingBody

    assert _sdk.sdk_types().streaming_body is StreamingBody, "botocore.response.StreamingBody moved"
    body = StreamingBody(io.BytesIO(b"abc"), 3)
    assert body._amount_read == 0 and body._content_length == 3, "StreamingBody._amount_read/_content_length moved"
    assert not _sdk.body_complete(body)
    body.read(3)
    assert _sdk.body_complete(body)
    for method in ("iter_chunks", "__next__"):
        source = inspect.getsource(getattr(StreamingBody, method))
        assert "self.read(" in source, f"StreamingBody.{method} no longer reads through self.read"
    assert "self.iter_chunks(" in inspect.getsource(StreamingBody.iter_lines), "StreamingBody.iter_lines changed"
    assert "self.iter_chunks(" in inspect.getsource(StreamingBody.__iter__), "StreamingBody.__iter__ changed"


def _response_headers() -> None:
    from botocore.parsers import create_parser

    parser = create_parser("rest-json")
    model = client().meta.service_model.operation_model("InvokeModel")
    parsed = parser.parse(
        {"status_code": 200, "headers": {"x-amzn-bedrock-input-token-count": "5"}, "body": io.BytesIO(b"{}")},
        model.output_shape,
    )
    headers = _sdk.response_headers(parsed)
    assert headers.get("x-amzn-bedrock-input-token-count") == "5", "ResponseMetadata.HTTPHeaders moved"


CONTRACT: list[tuple[str, Callable[[], Any]]] = [
    ("BaseClient._make_api_call", _make_api_call),
    ("client.meta.service_model / client._service_model", _service_name),
    ("client.meta.endpoint_url", _endpoint_url),
    ("bedrock-runtime operation names", _operation_names),
    ("botocore.eventstream.EventStream", _event_stream),
    ("botocore.response.StreamingBody internals", _streaming_body),
    ("ResponseMetadata.HTTPHeaders", _response_headers),
]


@pytest.mark.parametrize(("internal", "check"), CONTRACT, ids=[c[0] for c in CONTRACT])
def test_botocore_internal(internal: str, check: Callable[[], Any]) -> None:
    check()


def test_fallbacks_degrade_to_nothing() -> None:
    """Objects without the internals give no service, no URL, no headers: the call runs uninstrumented."""
    assert _sdk.service_name(object()) is None
    assert _sdk.endpoint_url(object()) is None
    assert _sdk.response_headers({"ResponseMetadata": None}) == {}
    assert not _sdk.body_complete(object())
