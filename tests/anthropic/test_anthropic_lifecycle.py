"""Errors, stream exit paths, raw streams, count_tokens and uninstrument, through a mock transport.

The mock is the SDK's own HTTP library's ``MockTransport``, so the real client code runs end to end.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import anthropic._base_client as _base_client
import pytest

import llm_agent
from llm_agent import semconv
from llm_agent.testing import SpanCapture
from tests._lifecycle import LifecycleCases, LifecycleMatrix
from tests._timing import span_attributes

HTTP: Any = getattr(_base_client, "httpx2", None) or _base_client.httpx
MODEL = "claude-test-1"
KWARGS: dict[str, Any] = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
START = {
    "type": "message_start",
    "message": {
        "id": "msg_mock", "type": "message", "role": "assistant", "model": MODEL, "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 7, "output_tokens": 1, "cache_read_input_tokens": 3,
                  "cache_creation_input_tokens": 0},
    },
}
EVENTS = [
    START,
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "lo"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
     "usage": {"output_tokens": 5, "output_tokens_details": {"thinking_tokens": 2}}},
    {"type": "message_stop"},
]
REQUEST = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "anthropic",
    "gen_ai.request.model": MODEL,
    "gen_ai.request.max_tokens": 64,
    "gen_ai.span.kind": "LLM",
    "server.address": "mock.anthropic.test",
    "server.port": 443,
}
FULL_STREAM = {
    **REQUEST,
    "gen_ai.request.stream": True,
    "gen_ai.response.id": "msg_mock",
    "gen_ai.response.model": MODEL,
    "gen_ai.response.finish_reasons": ("end_turn",),
    "gen_ai.usage.input_tokens": 10,  # 7 uncached + 3 read from the cache
    "gen_ai.usage.output_tokens": 5,
    "gen_ai.usage.total_tokens": 15,
    "gen_ai.usage.cache_read.input_tokens": 3,
    "gen_ai.usage.cache_creation.input_tokens": 0,
    "gen_ai.usage.reasoning.output_tokens": 2,
}
# What is known once only message_start has been read.
STARTED = {
    **REQUEST,
    "gen_ai.request.stream": True,
    "gen_ai.response.id": "msg_mock",
    "gen_ai.response.model": MODEL,
    "gen_ai.usage.input_tokens": 10,
    "gen_ai.usage.output_tokens": 1,
    "gen_ai.usage.total_tokens": 11,
    "gen_ai.usage.cache_read.input_tokens": 3,
    "gen_ai.usage.cache_creation.input_tokens": 0,
}


def sse(events: list[dict[str, Any]]) -> bytes:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


class Mock:
    def __init__(self, status: int = 200, body: bytes | None = None, content_type: str = "text/event-stream") -> None:
        self.status = status
        self.body = sse(EVENTS) if body is None else body
        self.content_type = content_type
        self.paths: list[str] = []

    def __call__(self, request: Any) -> Any:
        self.paths.append(request.url.path)
        if request.url.path.endswith("/count_tokens"):
            return HTTP.Response(200, json={"input_tokens": 9})
        return HTTP.Response(self.status, content=self.body, headers={"content-type": self.content_type})


def make(mock: Mock, is_async: bool = False) -> Any:
    transport = HTTP.MockTransport(mock)
    if is_async:
        return anthropic.AsyncAnthropic(
            api_key="test_anthropic_api_key", base_url="https://mock.anthropic.test", max_retries=0,
            http_client=HTTP.AsyncClient(transport=transport),
        )
    return anthropic.Anthropic(
        api_key="test_anthropic_api_key", base_url="https://mock.anthropic.test", max_retries=0,
        http_client=HTTP.Client(transport=transport),
    )


def attrs_of(spans: SpanCapture) -> dict[str, Any]:
    return span_attributes(spans.one())


ERROR_BODY = json.dumps({"type": "error", "error": {"type": "invalid_request_error", "message": "bad model"}}).encode()
OK_MESSAGE = {
    "id": "msg_x", "type": "message", "role": "assistant", "model": MODEL, "stop_reason": "end_turn",
    "stop_sequence": None, "content": [{"type": "text", "text": "ok"}],
    "usage": {"input_tokens": 4, "output_tokens": 2, "cache_read_input_tokens": 1, "cache_creation_input_tokens": 0},
}
OVERLOADED = {"type": "error", "error": {"type": "overloaded_error", "message": "x"}}


class AnthropicCases(LifecycleCases):
    """Messages API calls through the real client against the SDK's mock transport."""

    error = anthropic.BadRequestError
    error_type = "anthropic.BadRequestError"
    stream_error = anthropic.APIStatusError
    stream_error_type = "anthropic.APIStatusError"
    chunks = len(EVENTS)

    def __init__(self) -> None:
        self.mock = Mock()

    def arrange(self, outcome: str) -> None:
        mock = self.mock
        mock.status, mock.content_type = 200, "text/event-stream"
        if outcome == "error":
            mock.status, mock.body, mock.content_type = 400, ERROR_BODY, "application/json"
        elif outcome == "stream":
            mock.body = sse(EVENTS)
        elif outcome == "broken_stream":
            mock.body = sse([START]) + f"event: error\ndata: {json.dumps(OVERLOADED)}\n\n".encode()
        else:
            mock.body, mock.content_type = json.dumps(OK_MESSAGE).encode(), "application/json"

    def call(self, is_async: bool, stream: bool, variant: str = "plain") -> Any:
        return make(self.mock, is_async).messages.create(**KWARGS, stream=stream)

    def requests(self) -> int:
        return len(self.mock.paths)

    def check_result(self, result: Any, stream: bool) -> None:
        assert type(result) is anthropic.types.Message and result.content[0].text == "ok"

    def request(self, stream: bool) -> dict[str, Any]:
        return {**REQUEST, "gen_ai.request.stream": True} if stream else REQUEST

    def response(self) -> dict[str, Any]:
        return {
            "gen_ai.response.id": "msg_x",
            "gen_ai.response.model": MODEL,
            "gen_ai.response.finish_reasons": ("end_turn",),
            "gen_ai.usage.input_tokens": 5,  # 4 uncached + 1 read from the cache
            "gen_ai.usage.output_tokens": 2,
            "gen_ai.usage.total_tokens": 7,
            "gen_ai.usage.cache_read.input_tokens": 1,
            "gen_ai.usage.cache_creation.input_tokens": 0,
        }

    def full_stream(self) -> dict[str, Any]:
        return {key: value for key, value in FULL_STREAM.items() if key not in REQUEST}

    def first_chunk(self) -> dict[str, Any]:
        return {key: value for key, value in STARTED.items() if key not in REQUEST}


class TestAnthropicLifecycle(LifecycleMatrix):
    @pytest.fixture
    def lifecycle(self) -> AnthropicCases:
        return AnthropicCases()



async def test_api_error_async_stream_manager(spans: SpanCapture) -> None:
    mock = Mock(400, ERROR_BODY, "application/json")
    with pytest.raises(anthropic.BadRequestError):
        async with make(mock, True).messages.stream(**KWARGS):
            pass
    assert attrs_of(spans) == {**REQUEST, "gen_ai.request.stream": True, "error.type": "anthropic.BadRequestError"}


def test_manager_app_exception_and_early_exit(spans: SpanCapture) -> None:
    with pytest.raises(KeyError):
        with make(Mock()).messages.stream(**KWARGS) as stream:
            for _ in stream.text_stream:
                raise KeyError("app")
    assert spans.one().status != "ERROR"
    attrs = attrs_of(spans)
    assert attrs["gen_ai.response.id"] == "msg_mock"


def test_raw_response_of_stream(spans: SpanCapture) -> None:
    raw = make(Mock()).messages.with_raw_response.create(**KWARGS, stream=True)
    events = list(raw.parse())
    assert events[0].type == "message_start"
    assert attrs_of(spans) == FULL_STREAM


async def test_streaming_response_async(spans: SpanCapture) -> None:
    async with make(Mock(), True).messages.with_streaming_response.create(**KWARGS, stream=True) as response:
        stream = await response.parse()
        events = [e async for e in stream]
    assert len(events) == len(EVENTS)
    assert attrs_of(spans) == FULL_STREAM


def test_count_tokens_makes_no_span(spans: SpanCapture) -> None:
    mock = Mock()
    c = make(mock)
    assert c.messages.count_tokens(model=MODEL, messages=KWARGS["messages"]).input_tokens == 9
    assert c.beta.messages.count_tokens(model=MODEL, messages=KWARGS["messages"]).input_tokens == 9
    assert len(mock.paths) == 2
    # Only the SDK's own request spans, which carry no GenAI operation or tokens, may remain.
    assert [r for r in spans.records if r.scope_name == semconv.INSTRUMENTATION_SCOPE] == []
    assert {(r.operation, r.span_kind, r.input_tokens) for r in spans.records} <= {(None, None, None)}


def test_sdk_native_spans_are_not_duplicated(spans: SpanCapture) -> None:
    """anthropic 2.x traces its requests itself; with ours active there is still one span per call."""
    list(make(Mock()).messages.create(**KWARGS, stream=True))
    assert [r.name for r in spans.records] == [f"chat {MODEL}"]


def test_uninstrument_restores_and_reinstrument(spans: SpanCapture) -> None:
    import wrapt

    cls = anthropic.resources.messages.Messages
    assert isinstance(cls.__dict__["create"], wrapt.FunctionWrapper)
    llm_agent.uninstrument("anthropic")
    try:
        assert not isinstance(cls.__dict__["create"], wrapt.FunctionWrapper)
        list(make(Mock()).messages.create(**KWARGS, stream=True))
        assert [r.name for r in spans.records if r.name.startswith("chat")] == []
    finally:
        llm_agent.instrument("anthropic")
    assert isinstance(cls.__dict__["create"], wrapt.FunctionWrapper)
    spans.clear()
    list(make(Mock()).messages.create(**KWARGS, stream=True))
    assert attrs_of(spans) == FULL_STREAM


def test_extraction_failure_leaves_result_unchanged(spans: SpanCapture, monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_agent.instrumentation.anthropic import _provider
    from llm_agent.testing import expect_internal_errors

    def broken(*args: Any) -> Any:
        raise RuntimeError("injected")

    monkeypatch.setattr(_provider.CHAT, "read_response", broken)
    body = json.dumps({
        "id": "msg_x", "type": "message", "role": "assistant", "model": MODEL, "stop_reason": "end_turn",
        "stop_sequence": None, "content": [{"type": "text", "text": "ok"}],
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }).encode()
    with expect_internal_errors() as errors:
        message = make(Mock(body=body, content_type="application/json")).messages.create(**KWARGS)
    assert message.content[0].text == "ok"
    assert [where for where, _ in errors] == ["anthropic.response"]
    assert spans.one().name == f"chat {MODEL}"


def test_stream_content_only_with_capture_content() -> None:
    from llm_agent.testing import capture_spans

    tool_events = [
        START,
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let me look."}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1,
         "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"city":'}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ' "Oslo"}'}},
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
         "usage": {"output_tokens": 9}},
        {"type": "message_stop"},
    ]
    for capture in (False, True):
        with capture_spans(instrument=["anthropic"], capture_content=capture) as spans:
            list(make(Mock(body=sse(tool_events))).messages.create(**KWARGS, stream=True, system="be brief"))
            attrs = attrs_of(spans)
        prefixes = ("gen_ai.input", "gen_ai.output", "gen_ai.sys")
        content = {k: attrs.pop(k) for k in list(attrs) if k.startswith(prefixes)}
        assert attrs == {
            **STARTED,
            "gen_ai.response.finish_reasons": ("tool_use",),
            "gen_ai.usage.output_tokens": 9,
            "gen_ai.usage.total_tokens": 19,
            "llm_agent.response.tool_call_names": ("get_weather",),
        }
        if not capture:
            assert content == {}
            continue
        assert {k: json.loads(v) for k, v in content.items()} == {
            "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}],
            "gen_ai.system_instructions": [{"type": "text", "content": "be brief"}],
            "gen_ai.output.messages": [{
                "role": "assistant",
                "parts": [
                    {"type": "text", "content": "Let me look."},
                    # the fragments joined and parsed; the id pairs the call with its tool_result
                    {"type": "tool_call", "id": "toolu_1", "name": "get_weather", "arguments": {"city": "Oslo"}},
                ],
                "finish_reason": "tool_use",
            }],
        }


MESSAGE = {
    "id": "msg_json", "type": "message", "role": "assistant", "model": MODEL, "stop_reason": "max_tokens",
    "stop_sequence": None, "content": [{"type": "text", "text": "ok"}],
    "usage": {"input_tokens": 2, "output_tokens": 64, "cache_read_input_tokens": None},
}
MESSAGE_ATTRS = {
    **REQUEST,
    "gen_ai.response.id": "msg_json",
    "gen_ai.response.model": MODEL,
    "gen_ai.response.finish_reasons": ("max_tokens",),
    "gen_ai.usage.input_tokens": 2,  # unreported cache counts stay absent, not 0
    "gen_ai.usage.output_tokens": 64,
    "gen_ai.usage.total_tokens": 66,
}


async def test_async_with_raw_response(spans: SpanCapture) -> None:
    mock = Mock(body=json.dumps(MESSAGE).encode(), content_type="application/json")
    raw = await make(mock, True).messages.with_raw_response.create(**KWARGS)
    assert (await raw.parse()).id == "msg_json"
    assert attrs_of(spans) == MESSAGE_ATTRS


def test_user_from_request_metadata_only_when_enabled() -> None:
    from llm_agent.testing import capture_spans

    body = json.dumps(MESSAGE).encode()
    for enabled, expected in ((False, None), (True, "u-7")):
        with capture_spans(instrument=["anthropic"], session_from_request=enabled) as spans:
            make(Mock(body=body, content_type="application/json")).messages.create(
                **KWARGS, metadata={"user_id": "u-7"}
            )
            assert spans.one().user_id == expected


def test_platform_clients_name_their_provider() -> None:
    from llm_agent.instrumentation.anthropic._provider import provider_of

    vertex = anthropic.AsyncAnthropicVertex(region="us-east5", project_id="p", access_token="test")
    bedrock = anthropic.AnthropicBedrock(aws_region="us-east-1", aws_access_key="a", aws_secret_key="b")
    assert provider_of(make(Mock())) == "anthropic"
    assert provider_of(bedrock) == "aws.bedrock"
    assert provider_of(vertex) == "gcp.vertex_ai"


def test_beta_namespace_create_and_stream(spans: SpanCapture) -> None:
    body = json.dumps(MESSAGE).encode()
    assert make(Mock(body=body, content_type="application/json")).beta.messages.create(**KWARGS).id == "msg_json"
    assert attrs_of(spans) == MESSAGE_ATTRS
    spans.clear()
    with make(Mock()).beta.messages.stream(**KWARGS) as stream:
        assert stream.get_final_text() == "Hello"
    assert attrs_of(spans) == FULL_STREAM
