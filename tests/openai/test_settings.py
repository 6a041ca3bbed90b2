"""Settings that change what OpenAI spans record: content capture and its limit, stream-usage
injection, session/user from the request, providers from base URLs, ARMS names; and patching."""

from __future__ import annotations

import json

import openai
import pytest

import llm_agent
from llm_agent.instrumentation import get_instrumentor
from llm_agent.instrumentation._spans import TRUNCATION_MARKER
from llm_agent.testing import capture_spans
from tests.openai.conftest import MockAPI, attrs, chat_body, chat_chunks, response_body

MESSAGES = [{"role": "user", "content": "hi"}]
TOOL_CALL_BODY = {
    **chat_body(),
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}
                ],
            },
        }
    ],
}


def test_no_content_by_default(spans, api):
    api.json("/chat/completions", TOOL_CALL_BODY)
    api.client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    record = spans.one()
    assert record.attributes["llm_agent.response.tool_call_names"] == ["lookup"]
    assert not [k for k in record.attributes if k.startswith(("gen_ai.input", "gen_ai.output.messages"))]
    assert '"q"' not in json.dumps(record.attributes)  # tool arguments are content


def test_capture_content():
    api = MockAPI().json("/chat/completions", TOOL_CALL_BODY)
    with capture_spans(instrument=["openai"], capture_content=True) as spans:
        api.client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        record = spans.one()
    assert json.loads(record.attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "hi"}]}
    ]
    assert json.loads(record.attributes["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "call_1", "name": "lookup", "arguments": {"q": "x"}}],
            "finish_reason": "tool_calls",
        }
    ]


def test_capture_content_stream_and_truncation():
    api = MockAPI().stream("/chat/completions", chat_chunks())
    long_prompt = [{"role": "user", "content": "x" * 500}]
    with capture_spans(instrument=["openai"], capture_content=True, content_max_chars=100) as spans:
        list(api.client().chat.completions.create(model="gpt-4o-mini", messages=long_prompt, stream=True))
        record = spans.one()
    captured = record.attributes["gen_ai.input.messages"]
    assert len(captured) <= 100
    (message,) = json.loads(captured)  # still one whole JSON document, the cut part marked
    (part,) = message["parts"]
    assert part["truncated"] is True and part["content"].endswith(TRUNCATION_MARKER)
    assert part["content"] == "x" * (len(part["content"]) - len(TRUNCATION_MARKER)) + TRUNCATION_MARKER
    assert json.loads(record.attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Hello"}], "finish_reason": "stop"}
    ]


@pytest.mark.parametrize("is_async", [False, True])
async def test_inject_stream_usage_hides_the_extra_chunk(is_async):
    api = MockAPI().stream("/chat/completions", chat_chunks(usage=True))
    with capture_spans(instrument=["openai"], inject_stream_usage=True) as spans:
        stream = api.client(is_async).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        if is_async:
            chunks = [c async for c in await stream]
        else:
            chunks = list(stream)
        record = spans.one()
    assert api.requests[0]["body"]["stream_options"] == {"include_usage": True}
    assert len(chunks) == 3 and all(c.choices for c in chunks)  # the usage-only chunk is hidden
    assert (record.input_tokens, record.output_tokens) == (7, 2)


def test_inject_stream_usage_respects_app_stream_options():
    api = MockAPI().stream("/chat/completions", chat_chunks(usage=True))
    with capture_spans(instrument=["openai"], inject_stream_usage=True) as spans:
        chunks = list(
            api.client().chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
            )
        )
        assert spans.one().input_tokens == 7
    assert len(chunks) == 4  # the app asked for it: it gets it


def test_session_and_user_from_context(spans, api):
    api.json("/chat/completions", chat_body())
    with llm_agent.session("sess-1", user_id="alice"):
        api.client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, user="ignored")
    record = spans.one()
    assert (record.session_id, record.user_id) == ("sess-1", "alice")
    keys = {"session.id", "gen_ai.session.id", "gen_ai.conversation.id", "user.id", "gen_ai.user.id"}
    ids = {k: v for k, v in record.attributes.items() if k in keys}
    assert ids == {
        "session.id": "sess-1",
        "gen_ai.session.id": "sess-1",
        "gen_ai.conversation.id": "sess-1",
        "user.id": "alice",
        "gen_ai.user.id": "alice",
    }


def test_session_from_request():
    api = MockAPI().json("/responses", response_body())
    with capture_spans(instrument=["openai"], session_from_request=True) as spans:
        api.client().responses.create(
            model="gpt-4o-mini", input="hi", metadata={"session_id": "s-meta"}, safety_identifier="u-safe"
        )
        with llm_agent.session("ctx-session"):
            api.client().responses.create(model="gpt-4o-mini", input="hi", metadata={"session_id": "s-meta"})
        first, second = spans.records
    assert (first.session_id, first.user_id) == ("s-meta", "u-safe")
    assert (second.session_id, second.user_id) == ("ctx-session", None)  # the context wins


def test_request_ids_ignored_by_default(spans, api):
    api.json("/chat/completions", chat_body())
    api.client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, user="u1")
    record = spans.one()
    assert (record.session_id, record.user_id) == (None, None)


def test_custom_base_url_and_provider_map():
    api = MockAPI().json("/chat/completions", chat_body())
    with capture_spans(instrument=["openai"], provider_map={"llm.internal": "vllm"}) as spans:
        api.client(base_url="http://llm.internal:8000/v1").chat.completions.create(
            model="qwen", messages=MESSAGES, temperature=0.2, top_p=0.9, seed=7, max_completion_tokens=50,
            frequency_penalty=0.1, presence_penalty=0.3, stop=["a", "b"], n=2,
        )
        record = spans.one("chat qwen")
    assert attrs(record) == {
        "server.address": "llm.internal",
        "server.port": 8000,
        "gen_ai.provider.name": "vllm",
        "gen_ai.span.kind": "LLM",
        "gen_ai.operation.name": "chat",
        "openai.api.type": "chat_completions",
        "gen_ai.request.model": "qwen",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.seed": 7,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.frequency_penalty": 0.1,
        "gen_ai.request.presence_penalty": 0.3,
        "gen_ai.request.stop_sequences": ["a", "b"],
        "gen_ai.request.choice.count": 2,
        "gen_ai.response.id": "chatcmpl-1",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "openai.response.system_fingerprint": "fp_1",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 4,
        "gen_ai.usage.total_tokens": 14,
        "gen_ai.usage.cache_read.input_tokens": 2,
        "gen_ai.usage.reasoning.output_tokens": 1,
    }


def test_arms_compat_off():
    api = MockAPI().json("/chat/completions", chat_body())
    with capture_spans(instrument=["openai"], arms_compat=False) as spans:
        with llm_agent.session("s", user_id="u"):
            api.client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        record = spans.one()
    assert not {"gen_ai.span.kind", "gen_ai.session.id", "gen_ai.user.id"} & set(record.attributes)
    assert (record.session_id, record.user_id, record.span_kind) == ("s", "u", "LLM")


def test_instrument_twice_is_noop_and_uninstrument_restores(spans, api):
    from openai.resources.chat.completions import Completions

    api.json("/chat/completions", chat_body())
    instrumented = Completions.__dict__["create"]
    llm_agent.instrument("openai")
    assert Completions.__dict__["create"] is instrumented
    api.client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(spans.records) == 1
    llm_agent.uninstrument("openai")
    assert not get_instrumentor("openai").is_instrumented
    assert Completions.__dict__["create"] is instrumented.__wrapped__
    api.client().chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert len(spans.records) == 1
    assert isinstance(openai.OpenAI, type)


def test_inject_stream_usage_respects_explicit_none():
    api = MockAPI().stream("/chat/completions", chat_chunks(usage=False))
    with capture_spans(instrument=["openai"], inject_stream_usage=True) as spans:
        list(
            api.client().chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options=None
            )
        )
        assert spans.one().usage_missing is True
    assert api.requests[0]["body"].get("stream_options") is None


def test_cached_raw_wrapper_is_inert_after_uninstrument(spans, api):
    api.json("/chat/completions", chat_body())
    client = api.client()
    raw_resource = client.chat.completions.with_raw_response  # cached by the SDK with our wrapper inside
    llm_agent.uninstrument("openai")
    raw_resource.create(model="gpt-4o-mini", messages=MESSAGES).parse()
    assert spans.records == []


def test_capture_content_responses_and_embeddings():
    api = MockAPI().json("/responses", response_body()).json("/embeddings", {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 2, "total_tokens": 2},
    })
    with capture_spans(instrument=["openai"], capture_content=True) as spans:
        client = api.client()
        client.responses.create(model="gpt-4o-mini", input="question?", instructions="Be brief.")
        client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
        responses_span, embeddings_span = spans.records
    assert json.loads(responses_span.attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "question?"}]}
    ]
    assert json.loads(responses_span.attributes["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "Be brief."}
    ]
    (reason,) = responses_span.attributes["gen_ai.response.finish_reasons"]  # the span's own reason
    assert json.loads(responses_span.attributes["gen_ai.output.messages"]) == [
        {"role": "assistant", "parts": [{"type": "text", "content": '{"answer": 42}'}], "finish_reason": reason}
    ]
    assert json.loads(embeddings_span.attributes["gen_ai.embeddings.input"]) == ["a", "b"]
    everything = json.dumps([dict(r.attributes) for r in (responses_span, embeddings_span)])
    assert "test_openai_api_key" not in everything and "Bearer" not in everything


def test_generator_messages_are_not_consumed_by_capture():
    api = MockAPI().json("/chat/completions", chat_body())
    with capture_spans(instrument=["openai"], capture_content=True) as spans:
        api.client().chat.completions.create(model="gpt-4o-mini", messages=(m for m in MESSAGES))
        record = spans.one()
    assert api.requests[0]["body"]["messages"] == MESSAGES  # the SDK still got them
    assert "gen_ai.input.messages" not in record.attributes
