"""The demo server through the real openai SDK: shapes, usage arithmetic, streams, errors."""

from __future__ import annotations

import base64
import json
import struct
import urllib.error
import urllib.request
from collections.abc import Iterator

import openai
import pytest

from llm_agent._demo import _text
from llm_agent._demo.server import DemoServer
from llm_agent._demo.workload import SUPPORT_SYSTEM_PROMPT

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city"],
            },
        },
    }
]


@pytest.fixture
def server() -> Iterator[DemoServer]:
    with DemoServer(latency_scale=0.0) as srv:
        yield srv


@pytest.fixture
def client(server: DemoServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test_openai_api_key", max_retries=0)


def test_chat_usage_is_computed_from_the_text(client: openai.OpenAI) -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Where is my parcel?"}]
    reply = client.chat.completions.create(model="gpt-4o", messages=messages)
    text = reply.choices[0].message.content
    assert reply.model == "gpt-4o-2024-08-06"
    assert reply.choices[0].finish_reason == "stop"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.total_tokens) == (
        _text.messages_tokens(messages), _text.count_tokens(text),
        _text.messages_tokens(messages) + _text.count_tokens(text),
    )  # fmt: skip


def test_max_tokens_cuts_the_answer(client: openai.OpenAI) -> None:
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                                           max_completion_tokens=5)  # fmt: skip
    assert (reply.choices[0].finish_reason, reply.usage.completion_tokens) == ("length", 5)


def test_stream_with_usage_chunk(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}], stream=True,
        stream_options={"include_usage": True}))  # fmt: skip
    *body, last = chunks
    assert last.choices == [] and last.usage is not None
    assert all(c.usage is None for c in body)
    text = "".join(c.choices[0].delta.content or "" for c in body)
    assert last.usage.completion_tokens == _text.count_tokens(text)
    assert body[-1].choices[0].finish_reason == "stop"
    plain = list(client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}],
                                                stream=True))  # fmt: skip
    assert all(c.usage is None and c.choices for c in plain)


def test_tool_call_round_trip(client: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS, tool_choice="required")
    (call,) = first.choices[0].message.tool_calls
    assert first.choices[0].finish_reason == "tool_calls" and call.function.name == "get_weather"
    args = json.loads(call.function.arguments)
    assert set(args) == {"city", "days"} and isinstance(args["days"], int)
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 14}'}]  # fmt: skip
    second = client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)
    assert second.choices[0].message.content.startswith("Based on the tool result: ")
    streamed = list(client.chat.completions.create(model="gpt-4o", messages=messages[:1], tools=TOOLS,
                                                   tool_choice="required", stream=True))  # fmt: skip
    pieces = [c.choices[0].delta.tool_calls[0].function.arguments for c in streamed if c.choices[0].delta.tool_calls]
    assert json.loads("".join(pieces)).keys() == {"city", "days"}


def test_reasoning_model_reports_reasoning_tokens(client: openai.OpenAI) -> None:
    r = client.responses.create(model="o3-mini", input="Explain caching", instructions="Be brief")
    assert [item.type for item in r.output] == ["reasoning", "message"]
    details = r.usage.output_tokens_details.reasoning_tokens
    assert details > 0 and r.usage.output_tokens == details + _text.count_tokens(r.output_text)
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens


def test_responses_stream_events(client: openai.OpenAI) -> None:
    events = list(
        client.responses.create(model="gpt-4o", input=[{"role": "user", "content": "stream me"}], stream=True)
    )
    types = [e.type for e in events]
    n = types.count("response.output_text.delta")
    assert n > 0 and types == [
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
        *["response.output_text.delta"] * n, "response.output_text.done", "response.content_part.done",
        "response.output_item.done", "response.completed",
    ]  # fmt: skip
    assert [e.sequence_number for e in events] == list(range(len(events)))
    final = events[-1].response
    assert final.output_text == "".join(e.delta for e in events if e.type == "response.output_text.delta")
    with client.responses.stream(model="gpt-4o", input="hi") as stream:
        assert stream.get_final_response().usage.output_tokens > 0


def test_embeddings_float_and_base64(client: openai.OpenAI) -> None:
    e = client.embeddings.create(model="text-embedding-3-small", input=["a b", "c"], dimensions=8)
    assert [d.index for d in e.data] == [0, 1] and len(e.data[0].embedding) == 8
    assert (e.usage.prompt_tokens, e.usage.total_tokens) == (3, 3)
    raw = client.embeddings.create(model="text-embedding-3-small", input="a b", dimensions=8, encoding_format="base64")
    decoded = struct.unpack("<8f", base64.b64decode(raw.data[0].embedding))
    assert decoded == pytest.approx(e.data[0].embedding, abs=1e-6)


def test_legacy_completions(client: openai.OpenAI) -> None:
    r = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Once upon a time", max_tokens=7)
    assert (r.choices[0].finish_reason, r.usage.completion_tokens, r.usage.prompt_tokens) == ("length", 7, 4)
    chunks = list(client.completions.create(model="gpt-3.5-turbo-instruct", prompt="x", stream=True,
                                            stream_options={"include_usage": True}))  # fmt: skip
    assert chunks[-1].usage.completion_tokens == _text.count_tokens("".join(c.choices[0].text for c in chunks[:-1]))


def test_prompt_cache_from_1024_tokens_in_steps_of_128(client: openai.OpenAI) -> None:
    messages = [{"role": "system", "content": SUPPORT_SYSTEM_PROMPT}, {"role": "user", "content": "first"}]
    first = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert first.usage.prompt_tokens_details.cached_tokens == 0
    messages += [{"role": "assistant", "content": first.choices[0].message.content}, {"role": "user", "content": "2nd"}]
    second = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    cached = second.usage.prompt_tokens_details.cached_tokens
    prefix = _text.messages_tokens(messages[:2])  # the longest prefix the server saw before
    assert cached == prefix // 128 * 128 and cached >= 1024


def test_errors(client: openai.OpenAI, server: DemoServer) -> None:
    args = {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}
    with pytest.raises(openai.RateLimitError) as rate:
        client.chat.completions.create(**args, extra_headers={"x-demo-fail": "429"})
    assert rate.value.response.headers["retry-after-ms"] == "50" and rate.value.response.headers["retry-after"] == "1"
    assert rate.value.code == "rate_limit_exceeded"
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(**args, extra_headers={"x-demo-fail": "500"})
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="gpt-9", messages=args["messages"])
    assert missing.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="gpt-4o", input="x")
    with pytest.raises(openai.APIConnectionError):
        for _ in client.chat.completions.create(**args, stream=True, extra_headers={"x-demo-fail": "midstream"}):
            pass
    request = urllib.request.Request(server.base_url + "/chat/completions", data=json.dumps(args).encode(),
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as unauthorised:
        urllib.request.urlopen(request, timeout=10)
    assert unauthorised.value.code == 401


def test_retry_after_is_honoured_by_the_sdk(server: DemoServer) -> None:
    with DemoServer(latency_scale=0.0, error_rates={429: 1.0}) as always_limited:
        client = openai.OpenAI(base_url=always_limited.base_url, api_key="k", max_retries=2)
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
        assert [r.headers["x-stainless-retry-count"] for r in always_limited.requests] == ["0", "1", "2"]


def test_requests_are_recorded_without_credentials(client: openai.OpenAI, server: DemoServer) -> None:
    client.embeddings.create(model="text-embedding-3-small", input="x", dimensions=4)
    (req,) = server.requests
    assert (req.method, req.path) == ("POST", "/v1/embeddings")
    assert (req.body["model"], req.body["input"], req.body["dimensions"]) == ("text-embedding-3-small", "x", 4)
    assert "authorization" not in req.headers and "test_openai_api_key" not in json.dumps(req.headers)


def test_invalid_construction() -> None:
    with pytest.raises(ValueError, match="error_rates"):
        DemoServer(error_rates={418: 0.5})
    with pytest.raises(ValueError, match="latency_scale"):
        DemoServer(latency_scale=-1)
