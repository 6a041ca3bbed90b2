"""The lifecycle matrix (tests/_lifecycle.py) for Converse and InvokeModel, every exit path of the
``invoke_model`` body, other services and uninstrument, against a loopback server.

The server (bedrock_server.py) answers with bodies and event streams encoded as AWS sends them,
so the real botocore client parses them end to end.  boto3 has no async client: the matrix runs
its sync half; botocore's ``EventStream`` is no context manager: no ``with`` rows.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, EventStreamError
from botocore.response import StreamingBody

import llm_agent
from llm_agent.testing import SpanCapture, capture_spans
from tests._lifecycle import LifecycleCases, LifecycleMatrix
from tests._timing import span_attributes
from tests.bedrock.bedrock_helpers import client, converse_reports_cache_tokens
from tests.bedrock.bedrock_server import (
    EVENT_STREAM,
    JSON,
    BedrockServer,
    Reply,
    claude_chunks,
    converse_events,
    exception,
)

MODEL = "amazon.nova-lite-v1:0"
CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]
CONVERSE_BODY = {
    "output": {"message": {"role": "assistant", "content": [{"text": "Hello"}]}},
    "stopReason": "end_turn",
    "usage": {"inputTokens": 7, "outputTokens": 3, "totalTokens": 15, "cacheReadInputTokens": 5},
    "metrics": {"latencyMs": 12},
}
CLAUDE_BODY = {
    "id": "msg_bdrk_loop",
    "type": "message",
    "role": "assistant",
    "model": "claude-loop",
    "content": [{"type": "text", "text": "Hello"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 9, "output_tokens": 4},
}
TOKEN_HEADERS = {"x-amzn-bedrock-input-token-count": "9", "x-amzn-bedrock-output-token-count": "4"}


@pytest.fixture
def server() -> Iterator[BedrockServer]:
    with BedrockServer() as running:
        running.routes = {
            "/converse": Reply(200, json.dumps(CONVERSE_BODY).encode(), JSON),
            "/converse-stream": Reply(200, converse_events(), EVENT_STREAM),
            "/invoke": Reply(200, json.dumps(CLAUDE_BODY).encode(), {**JSON, **TOKEN_HEADERS}),
            "/invoke-with-response-stream": Reply(200, claude_chunks(), EVENT_STREAM),
        }
        yield running


def runtime(server: BedrockServer) -> Any:
    return client(endpoint_url=server.url)


def request(server: BedrockServer, model: str, stream: bool = False) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "aws.bedrock",
        "gen_ai.request.model": model,
        "gen_ai.span.kind": "LLM",
        "server.address": "127.0.0.1",
        "server.port": server.port,
    }
    if stream:
        attrs["gen_ai.request.stream"] = True
    return attrs


def attrs_of(spans: SpanCapture) -> dict[str, Any]:
    return span_attributes(spans.one(), chunks=False)


CONVERSE_USAGE = {
    "gen_ai.usage.input_tokens": 12,  # 7 uncached + 5 read from the cache
    "gen_ai.usage.output_tokens": 3,
    "gen_ai.usage.total_tokens": 15,
    "gen_ai.usage.cache_read.input_tokens": 5,
}
if not converse_reports_cache_tokens():  # botocore before prompt caching drops the count: 7 is all it shows
    CONVERSE_USAGE = {"gen_ai.usage.input_tokens": 7, "gen_ai.usage.output_tokens": 3, "gen_ai.usage.total_tokens": 10}
CLAUDE_END = {
    "gen_ai.response.id": "msg_bdrk_loop",
    "gen_ai.response.model": "claude-loop",
    "gen_ai.response.finish_reasons": ("end_turn",),
    "gen_ai.usage.input_tokens": 9,
    "gen_ai.usage.output_tokens": 4,
    "gen_ai.usage.total_tokens": 13,
}
HEADERS_ONLY = {"gen_ai.usage.input_tokens": 9, "gen_ai.usage.output_tokens": 4, "gen_ai.usage.total_tokens": 13}


# --- streams: each exit path, for both event-stream operations ---------------------------------------


class StreamCase:
    def __init__(self, name: str, model: str, key: str, full: dict[str, Any], started: dict[str, Any], events: int):
        self.name = name
        self.model = model
        self.key = key  # where the EventStream sits in the result
        self.full = full  # end attributes of a stream read to the end
        self.started = started  # end attributes once the first event was read
        self.events = events

    def call(self, server: BedrockServer) -> Any:
        c = runtime(server)
        if self.name == "converse_stream":
            return c.converse_stream(modelId=self.model, messages=MESSAGES)
        return c.invoke_model_with_response_stream(modelId=self.model, body=json.dumps({"messages": []}))


STREAMS = [
    StreamCase(
        "converse_stream",
        MODEL,
        "stream",
        {"gen_ai.response.finish_reasons": ("end_turn",), **CONVERSE_USAGE},
        {"llm_agent.usage.missing": True},
        6,
    ),
    StreamCase(
        "invoke_model_with_response_stream",
        CLAUDE,
        "body",
        CLAUDE_END,
        {
            "gen_ai.response.id": "msg_bdrk_loop",
            "gen_ai.response.model": "claude-loop",
            "gen_ai.usage.input_tokens": 9,
            "gen_ai.usage.output_tokens": 1,
            "gen_ai.usage.total_tokens": 10,
        },
        5,
    ),
]
streams = pytest.mark.parametrize("case", STREAMS, ids=[c.name for c in STREAMS])


@streams
def test_stream_exhausted(spans: SpanCapture, server: BedrockServer, case: StreamCase) -> None:
    response = case.call(server)
    stream = response[case.key]
    assert type(stream).__name__ == "EventStreamProxy" and set(response) == {"ResponseMetadata", case.key}
    events = list(stream)
    assert len(events) == case.events
    record = spans.one()
    assert attrs_of(spans) == {
        **request(server, case.model, True),
        **case.full,
        "llm_agent.stream.chunks": case.events,
    }
    assert record.ttft_s is not None and record.status != "ERROR"
    assert len(server.requests) == 1


def _failure(action: Any) -> tuple[type, str]:
    try:
        action()
    except Exception as exc:
        return type(exc), str(exc)
    raise AssertionError("expected a failure")


def _enter(obj: Any) -> None:
    with obj:
        pass


@streams
def test_stream_misuse_fails_as_on_the_bare_event_stream(
    spans: SpanCapture, server: BedrockServer, case: StreamCase
) -> None:
    """``EventStream`` is no iterator and no context manager: ``next()`` and ``with`` fail alike."""
    stream = case.call(server)[case.key]
    bare = stream.__wrapped__
    assert _failure(lambda: next(stream)) == _failure(lambda: next(bare))
    assert _failure(lambda: _enter(stream)) == _failure(lambda: _enter(bare))
    assert len(list(stream)) == case.events  # and the stream still works, to one span
    assert len(spans.records) == 1


@streams
def test_stream_error_mid_stream(spans: SpanCapture, server: BedrockServer, case: StreamCase) -> None:
    """A modeled exception event raises botocore's EventStreamError, unchanged; the span is ERROR."""
    good = server.routes["/" + ("converse-stream" if case.key == "stream" else "invoke-with-response-stream")]
    assert isinstance(good.body, list)
    good.body = [good.body[0], exception("throttlingException", "Too many tokens, slow down")]
    seen = []
    with pytest.raises(EventStreamError) as caught:
        for event in case.call(server)[case.key]:
            seen.append(event)
    assert len(seen) == 1
    assert caught.value.response["Error"]["Code"] == "throttlingException"
    record = spans.one()
    assert record.status == "ERROR"
    assert attrs_of(spans) == {
        **request(server, case.model, True),
        **case.started,
        "error.type": "botocore.exceptions.EventStreamError",
        "llm_agent.stream.chunks": 1,
    }


# --- invoke_model's body: each way the app is done with it -------------------------------------------


def invoke(server: BedrockServer) -> Any:
    return runtime(server).invoke_model(modelId=CLAUDE, body=json.dumps({"max_tokens": 20, "messages": []}))


def invoke_request(server: BedrockServer) -> dict[str, Any]:
    return {**request(server, CLAUDE), "gen_ai.request.max_tokens": 20}


def test_body_read_all(spans: SpanCapture, server: BedrockServer) -> None:
    response = invoke(server)
    body = response["body"]
    assert type(body).__name__ == "BodyProxy"
    assert spans.records == []  # the span outlives the call until the app read the body
    assert json.loads(body.read()) == CLAUDE_BODY
    assert attrs_of(spans) == {**invoke_request(server), **CLAUDE_END}
    assert body.read() == b""  # reading on is the SDK's own behaviour, and makes no second span
    assert len(spans.records) == 1


READ_WAYS = ["chunks", "lines", "iterate", "read_n"]
if hasattr(StreamingBody, "readinto"):  # botocore 1.35+
    READ_WAYS.append("readinto")


@pytest.mark.parametrize("how", READ_WAYS)
def test_body_read_all_other_ways(spans: SpanCapture, server: BedrockServer, how: str) -> None:
    body = invoke(server)["body"]
    if how == "chunks":
        data = b"".join(body.iter_chunks(7))
    elif how == "lines":
        data = b"\n".join(body.iter_lines())
    elif how == "iterate":
        data = b"".join(body)
    elif how == "read_n":
        data = b"".join(iter(lambda: body.read(5), b""))
    else:
        buffer = bytearray(4096)
        count = body.readinto(buffer)
        data = bytes(buffer[:count])
    assert json.loads(data) == CLAUDE_BODY
    assert attrs_of(spans) == {**invoke_request(server), **CLAUDE_END}


def test_body_partial_read_then_close(spans: SpanCapture, server: BedrockServer) -> None:
    body = invoke(server)["body"]
    assert body.read(10) == json.dumps(CLAUDE_BODY).encode()[:10]
    assert spans.records == []
    body.close()
    assert attrs_of(spans) == {**invoke_request(server), **HEADERS_ONLY}


def test_body_with_block(spans: SpanCapture, server: BedrockServer) -> None:
    """``with body as raw`` hands out botocore's raw stream; the span ends at the block's exit."""
    body = invoke(server)["body"]
    with body as raw:
        assert json.loads(raw.read()) == CLAUDE_BODY
    assert attrs_of(spans) == {**invoke_request(server), **HEADERS_ONLY}


def test_body_never_read_is_finished_on_gc(spans: SpanCapture, server: BedrockServer) -> None:
    response = invoke(server)
    del response
    gc.collect()
    assert attrs_of(spans) == {**invoke_request(server), **HEADERS_ONLY, "llm_agent.stream.abandoned": True}


def test_body_without_usage_anywhere_is_unknown(spans: SpanCapture, server: BedrockServer) -> None:
    body = json.dumps({"outputs": [{"text": "hi", "stop_reason": "stop"}]}).encode()  # Mistral: no usage
    server.routes["/invoke"] = Reply(200, body, JSON)
    json.loads(invoke(server)["body"].read())
    assert attrs_of(spans) == {
        **invoke_request(server),
        "gen_ai.response.finish_reasons": ("stop",),
        "llm_agent.usage.missing": True,
    }


# --- plain calls, errors, other services -------------------------------------------------------------


def test_converse(spans: SpanCapture, server: BedrockServer) -> None:
    response = runtime(server).converse(modelId=MODEL, messages=MESSAGES, inferenceConfig={"maxTokens": 5})
    assert response["output"] == CONVERSE_BODY["output"]
    assert attrs_of(spans) == {
        **request(server, MODEL),
        "gen_ai.request.max_tokens": 5,
        "gen_ai.response.finish_reasons": ("end_turn",),
        **CONVERSE_USAGE,
    }


def test_client_created_before_init_is_instrumented(server: BedrockServer) -> None:
    import boto3

    llm_agent.shutdown()
    early = runtime(server)
    other_session = boto3.Session(
        aws_access_key_id="test_aws_access_key_id", aws_secret_access_key="test_aws_secret_access_key"
    ).client("bedrock-runtime", region_name="us-east-1", endpoint_url=server.url)
    with capture_spans(instrument=["bedrock"]) as spans:
        early.converse(modelId=MODEL, messages=MESSAGES)
        other_session.converse(modelId=MODEL, messages=MESSAGES)
        assert [r.name for r in spans.records] == [f"chat {MODEL}", f"chat {MODEL}"]


S3_LIST = (
    b'<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult><Owner><ID>x</ID></Owner>'
    b"<Buckets></Buckets></ListAllMyBucketsResult>"
)


def test_other_services_make_no_span(spans: SpanCapture, server: BedrockServer) -> None:
    server.routes = {
        "/foundation-models": Reply(200, b'{"modelSummaries": []}', JSON),
        "/": Reply(200, S3_LIST, {"Content-Type": "application/xml"}),
    }
    assert client("bedrock", endpoint_url=server.url).list_foundation_models()["modelSummaries"] == []
    assert client("s3", endpoint_url=server.url).list_buckets()["Buckets"] == []
    assert spans.records == []
    assert len(server.requests) == 2


def test_uninstrument_and_reinstrument(spans: SpanCapture, server: BedrockServer) -> None:
    import wrapt
    from botocore.client import BaseClient

    c = runtime(server)
    assert isinstance(BaseClient.__dict__["_make_api_call"], wrapt.FunctionWrapper)
    llm_agent.uninstrument("bedrock")
    assert not isinstance(BaseClient.__dict__["_make_api_call"], wrapt.FunctionWrapper)
    c.converse(modelId=MODEL, messages=MESSAGES)
    assert spans.records == []
    llm_agent.instrument("bedrock")
    c.converse(modelId=MODEL, messages=MESSAGES)
    assert len(spans.records) == 1


def test_session_and_user_on_the_span(spans: SpanCapture, server: BedrockServer) -> None:
    with llm_agent.session("sess-b", user_id="bob"):
        runtime(server).converse(modelId=MODEL, messages=MESSAGES)
        for _ in runtime(server).converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]:
            pass
    records = spans.records
    assert [(r.session_id, r.user_id) for r in records] == [("sess-b", "bob"), ("sess-b", "bob")]


# --- the shared lifecycle matrix -----------------------------------------------------------------------

THROTTLED = Reply(429, b'{"message": "Too many requests"}', {**JSON, "x-amzn-ErrorType": "ThrottlingException"})


class BedrockCases(LifecycleCases):
    """What both Bedrock call pairs share: the server, the errors, no async and no ``with``."""

    error = ClientError
    error_type = "botocore.errorfactory.ThrottlingException"
    stream_error = EventStreamError
    stream_error_type = "botocore.exceptions.EventStreamError"
    streams_are_context_managers = False
    model = MODEL
    #: (plain path, stream path) on the server, and the stream's frames.
    paths: tuple[str, str]

    def __init__(self, server: BedrockServer) -> None:
        self.server = server
        self.client = runtime(server)

    def frames(self) -> list[bytes]:
        raise NotImplementedError

    def arrange(self, outcome: str) -> None:
        plain, stream = self.paths
        routes = self.server.routes
        if outcome == "error":
            routes[plain] = routes[stream] = THROTTLED
        elif outcome == "broken_stream":
            routes[stream] = Reply(200, [self.frames()[0], exception("throttlingException", "slow down")], EVENT_STREAM)
        else:
            routes[stream] = Reply(200, self.frames(), EVENT_STREAM)

    def requests(self) -> int:
        return len(self.server.requests)

    def request(self, stream: bool) -> dict[str, Any]:
        return request(self.server, self.model, stream)


class ConverseCases(BedrockCases):
    chunks = 6
    paths = ("/converse", "/converse-stream")

    def __init__(self, server: BedrockServer) -> None:
        super().__init__(server)
        server.routes["/converse"] = Reply(200, json.dumps(CONVERSE_BODY).encode(), JSON)

    def frames(self) -> list[bytes]:
        return converse_events()

    def call(self, is_async: bool, stream: bool, variant: str = "plain") -> Any:
        assert not is_async
        if stream:
            return self.client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]
        return self.client.converse(modelId=MODEL, messages=MESSAGES)

    def check_result(self, result: Any, stream: bool) -> None:
        assert result["output"] == CONVERSE_BODY["output"] and result["stopReason"] == "end_turn"
        assert result["usage"]["inputTokens"] == 7  # botocore's own parse (older releases drop the cache count)

    def response(self) -> dict[str, Any]:
        return {"gen_ai.response.finish_reasons": ("end_turn",), **CONVERSE_USAGE}

    def full_stream(self) -> dict[str, Any]:
        return self.response()

    def first_chunk(self) -> dict[str, Any]:
        return {"llm_agent.usage.missing": True}  # messageStart carries nothing


class InvokeCases(BedrockCases):
    chunks = 5
    model = CLAUDE
    paths = ("/invoke", "/invoke-with-response-stream")

    def __init__(self, server: BedrockServer) -> None:
        super().__init__(server)
        server.routes["/invoke"] = Reply(200, json.dumps(CLAUDE_BODY).encode(), {**JSON, **TOKEN_HEADERS})

    def frames(self) -> list[bytes]:
        return claude_chunks()

    def call(self, is_async: bool, stream: bool, variant: str = "plain") -> Any:
        assert not is_async
        body = json.dumps({"max_tokens": 20, "messages": []})
        if stream:
            return self.client.invoke_model_with_response_stream(modelId=CLAUDE, body=body)["body"]
        return json.loads(self.client.invoke_model(modelId=CLAUDE, body=body)["body"].read())  # what the app reads

    def check_result(self, result: Any, stream: bool) -> None:
        assert result == CLAUDE_BODY

    def request(self, stream: bool) -> dict[str, Any]:
        return {**super().request(stream), "gen_ai.request.max_tokens": 20}

    def response(self) -> dict[str, Any]:
        return CLAUDE_END

    def full_stream(self) -> dict[str, Any]:
        return CLAUDE_END

    def first_chunk(self) -> dict[str, Any]:
        return {
            "gen_ai.response.id": "msg_bdrk_loop",
            "gen_ai.response.model": "claude-loop",
            "gen_ai.usage.input_tokens": 9,
            "gen_ai.usage.output_tokens": 1,
            "gen_ai.usage.total_tokens": 10,
        }


class SyncOnly(LifecycleMatrix):
    @pytest.fixture(params=[False], ids=["sync"])
    def is_async(self, request: Any) -> bool:
        return False


class TestConverseLifecycle(SyncOnly):
    @pytest.fixture
    def lifecycle(self, server: BedrockServer) -> ConverseCases:
        return ConverseCases(server)


class TestInvokeModelLifecycle(SyncOnly):
    @pytest.fixture
    def lifecycle(self, server: BedrockServer) -> InvokeCases:
        return InvokeCases(server)


def test_default_init_instruments_bedrock(server: BedrockServer) -> None:
    """boto3 installed: ``init()`` without ``instrument=`` covers Bedrock (the registry's ``bedrock``)."""
    from llm_agent.instrumentation import installed_libraries

    assert "bedrock" in installed_libraries()
    with capture_spans() as spans:
        runtime(server).converse(modelId=MODEL, messages=MESSAGES)
        assert [r.name for r in spans.records] == [f"chat {MODEL}"]


EVERY_CONVERSE_OPTION: dict[str, Any] = {
    "modelId": MODEL,
    "messages": MESSAGES,
    "system": [{"text": "be brief"}],
    "inferenceConfig": {"maxTokens": 5, "temperature": 0.1, "topP": 0.9, "stopSequences": ["x"]},
    "additionalModelRequestFields": {"top_k": 7, "other": 1},
    "toolConfig": {"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {}}}}]},
}


def test_deferred_request_side_reads_the_copy_taken_at_the_call() -> None:
    """Without content the Converse request is read when the span is built, from a copy: the same
    attributes as reading it at once, whatever the app does to its dicts afterwards."""
    from llm_agent.instrumentation.bedrock._request import converse_request, kept_converse_params

    kept = kept_converse_params(EVERY_CONVERSE_OPTION)
    assert converse_request(kept, False, 100) == converse_request(EVERY_CONVERSE_OPTION, False, 100) == {
        "gen_ai.request.max_tokens": 5,
        "gen_ai.request.temperature": 0.1,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.top_k": 7,
        "gen_ai.request.stop_sequences": ["x"],
    }


def test_app_changing_its_config_after_the_call_does_not_change_the_span(
    spans: SpanCapture, server: BedrockServer
) -> None:
    config = {"maxTokens": 5, "stopSequences": ["x"]}
    runtime(server).converse(modelId=MODEL, messages=MESSAGES, inferenceConfig=config)
    config["maxTokens"] = 999
    config["stopSequences"].append("y")
    attrs = attrs_of(spans)
    assert (attrs["gen_ai.request.max_tokens"], attrs["gen_ai.request.stop_sequences"]) == (5, ("x",))
