"""LiteLLM's call shapes beyond the matrix: embeddings, positional arguments, ``acompletion=True``,
stream usage, context, the routes that reach an SDK we instrument too, uninstrument, failures."""

from __future__ import annotations

import asyncio
from typing import Any

import litellm
import openai
import pytest
import wrapt

import llm_agent
from llm_agent.testing import SpanCapture, capture_spans, expect_internal_errors
from tests._lifecycle import attributes
from tests.litellm import loopback as lb
from tests.litellm.conftest import INSTRUMENTED
from tests.litellm.loopback import Loopback

MESSAGES = [{"role": "user", "content": "hi"}]
KEY = "test_openai_api_key"


def server_attrs(server: Loopback) -> dict[str, Any]:
    return {"server.address": "127.0.0.1", "server.port": server.port}


def embedding_span(server: Loopback, **extra: Any) -> dict[str, Any]:
    return {
        "gen_ai.operation.name": "embeddings", "gen_ai.provider.name": "openai", "gen_ai.span.kind": "EMBEDDING",
        "gen_ai.request.model": lb.EMBEDDING_MODEL, "gen_ai.response.model": lb.EMBEDDING_MODEL,
        "gen_ai.embeddings.dimension_count": lb.EMBEDDING_DIMENSIONS, "gen_ai.usage.input_tokens": lb.EMBEDDING_TOKENS,
        **server_attrs(server), **extra,
    }  # fmt: skip


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_embedding_sync_and_async(spans: SpanCapture, server: Loopback, is_async: bool) -> None:
    kwargs = {"model": f"openai/{lb.EMBEDDING_MODEL}", "input": ["a", "b"], "api_base": server.openai_base,
              "api_key": KEY}  # fmt: skip
    result = asyncio.run(litellm.aembedding(**kwargs)) if is_async else litellm.embedding(**kwargs)
    assert type(result) is litellm.EmbeddingResponse and len(result.data) == 2
    assert attributes(spans) == embedding_span(server)


def test_embedding_through_the_sdk_method_we_instrument_is_one_span(server: Loopback) -> None:
    """With ``encoding_format`` LiteLLM calls ``openai``'s ``embeddings.with_raw_response.create``,
    which our OpenAI wrapper patches: the gateway's call is still one span, LiteLLM's."""
    kwargs = {"model": f"openai/{lb.EMBEDDING_MODEL}", "input": "a", "api_base": server.openai_base, "api_key": KEY,
              "encoding_format": "float"}  # fmt: skip
    with capture_spans(instrument=["openai"]) as spans:  # the route does reach the OpenAI wrapper
        litellm.embedding(**kwargs)
        assert [(r.name, r.attributes["gen_ai.provider.name"]) for r in spans.records] == [
            (f"embeddings {lb.EMBEDDING_MODEL}", "openai")
        ]
    with capture_spans(instrument=INSTRUMENTED) as spans:
        litellm.embedding(**kwargs)
        assert attributes(spans) == embedding_span(server, **{"gen_ai.request.encoding_formats": ("float",)})
        assert spans.one().scope_name == "llm_agent"


def test_router_embedding(spans: SpanCapture, server: Loopback) -> None:
    deployment = {"model": f"openai/{lb.EMBEDDING_MODEL}", "api_base": server.openai_base, "api_key": KEY}
    router = litellm.Router(model_list=[{"model_name": "emb", "litellm_params": deployment}], num_retries=0)
    router.embedding(model="emb", input=["a"])
    asyncio.run(router.aembedding(model="emb", input=["a"]))
    expected = {**embedding_span(server), "gen_ai.request.model": "emb"}
    assert [{k: v for k, v in r.attributes.items()} for r in spans.records] == [expected, expected]
    assert [r.name for r in spans.records] == ["embeddings emb", "embeddings emb"]


def test_positional_arguments_and_acompletion_flag(spans: SpanCapture, server: Loopback) -> None:
    server.arrange("ok")
    litellm.completion(f"openai/{lb.OPENAI_MODEL}", MESSAGES, api_base=server.openai_base, api_key=KEY)
    # completion(acompletion=True) hands the call to acompletion, whose span it is: one span
    coroutine = litellm.completion(
        model=f"openai/{lb.OPENAI_MODEL}", messages=MESSAGES, api_base=server.openai_base, api_key=KEY, acompletion=True
    )
    assert len(spans.records) == 1  # the positional call's: none yet for the coroutine
    asyncio.run(coroutine)
    assert [(r.name, r.request_model, r.input_tokens) for r in spans.records] == [
        (f"chat {lb.OPENAI_MODEL}", lb.OPENAI_MODEL, 11),
        (f"chat {lb.OPENAI_MODEL}", lb.OPENAI_MODEL, 11),
    ]


STREAM_KWARGS: dict[str, Any] = {"model": f"openai/{lb.OPENAI_MODEL}", "messages": MESSAGES, "api_key": KEY,
                                 "stream": True}  # fmt: skip


def test_stream_usage_is_unknown_unless_reported(spans: SpanCapture, server: Loopback) -> None:
    """Without ``include_usage`` the OpenAI route reports no usage; LiteLLM's own tokenizer estimate
    (which it puts on the last chunk once the stream ends) is not recorded as the provider's count."""
    server.arrange("stream")
    chunks = list(litellm.completion(**STREAM_KWARGS, api_base=server.openai_base))
    assert len(chunks) == 3
    assert chunks[-1]._hidden_params["usage"].completion_tokens > 0  # LiteLLM's estimate
    record = spans.one()
    missing = record.attributes["llm_agent.usage.missing"]
    assert (record.input_tokens, record.output_tokens, missing) == (None, None, True)


def test_injected_stream_usage_is_hidden_from_the_app(server: Loopback) -> None:
    server.arrange("stream")
    with capture_spans(instrument=INSTRUMENTED, inject_stream_usage=True) as spans:
        chunks = list(litellm.completion(**STREAM_KWARGS, api_base=server.openai_base))
        assert server.received[-1].body["stream_options"] == {"include_usage": True}
        assert len(chunks) == 3 and all(chunk.choices for chunk in chunks)  # no usage-only chunk
        record = spans.one()
        assert (record.input_tokens, record.output_tokens) == (9, 4)
        # the app's own stream_options are left alone, and its usage chunk reaches it
        spans.clear()
        chunks = list(litellm.completion(**STREAM_KWARGS, api_base=server.openai_base,
                                         stream_options={"include_usage": True}))  # fmt: skip
        assert len(chunks) == 4 and chunks[-1].usage.prompt_tokens == 9
        assert spans.one().input_tokens == 9


def test_context_on_every_span(spans: SpanCapture, server: Loopback) -> None:
    server.arrange("ok")
    deployment = {"model": f"openai/{lb.OPENAI_MODEL}", "api_base": server.openai_base, "api_key": KEY}
    router = litellm.Router(model_list=[{"model_name": "mini", "litellm_params": deployment}], num_retries=0)
    with llm_agent.session("sess-lite", user_id="alice"):
        litellm.completion(model=f"openai/{lb.OPENAI_MODEL}", messages=MESSAGES, api_base=server.openai_base,
                           api_key=KEY)  # fmt: skip
        router.completion(model="mini", messages=MESSAGES)
        litellm.embedding(model=f"openai/{lb.EMBEDDING_MODEL}", input="a", api_base=server.openai_base, api_key=KEY)
    assert [(r.session_id, r.user_id) for r in spans.records] == [("sess-lite", "alice")] * 3


def test_user_from_the_request_only_when_enabled(server: Loopback) -> None:
    server.arrange("ok")
    for enabled, expected in ((False, None), (True, "u-9")):
        with capture_spans(instrument=INSTRUMENTED, session_from_request=enabled) as spans:
            litellm.completion(model=f"openai/{lb.OPENAI_MODEL}", messages=MESSAGES, api_base=server.openai_base,
                               api_key=KEY, user="u-9")  # fmt: skip
            assert spans.one().user_id == expected


def test_uninstrument_restores_exactly_and_reinstrument(spans: SpanCapture, server: Loopback) -> None:
    from litellm.router_rust.core import RustCore

    server.arrange("ok")
    litellm.Router(model_list=[])  # LiteLLM imports the Router's core with the first Router
    homes = [(litellm, "completion"), (litellm, "aembedding"), (RustCore, "completion"), (RustCore, "acompletion")]
    assert all(isinstance(vars(home)[name], wrapt.FunctionWrapper) for home, name in homes)
    wrapped = {(id(home), name): vars(home)[name].__wrapped__ for home, name in homes}
    llm_agent.uninstrument("litellm")
    llm_agent.uninstrument("litellm")  # idempotent
    try:
        assert all(vars(home)[name] is wrapped[id(home), name] for home, name in homes)
        litellm.completion(model=f"openai/{lb.OPENAI_MODEL}", messages=MESSAGES, api_base=server.openai_base,
                           api_key=KEY)  # fmt: skip
        assert spans.records == []
    finally:
        llm_agent.instrument("litellm")
        llm_agent.instrument("litellm")
    assert all(vars(home)[name].__wrapped__ is wrapped[id(home), name] for home, name in homes)
    litellm.completion(model=f"openai/{lb.OPENAI_MODEL}", messages=MESSAGES, api_base=server.openai_base, api_key=KEY)
    assert spans.one().input_tokens == 11


def test_extraction_failure_leaves_the_result_unchanged(
    spans: SpanCapture, server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llm_agent.instrumentation.litellm import _provider

    def broken(*args: Any) -> Any:
        raise RuntimeError("injected")

    monkeypatch.setattr(_provider.CHAT, "read_response", broken)
    server.arrange("ok")
    with expect_internal_errors() as errors:
        result = litellm.completion(model=f"openai/{lb.OPENAI_MODEL}", messages=MESSAGES, api_base=server.openai_base,
                                    api_key=KEY)  # fmt: skip
    assert result.choices[0].message.content == "Hello there"
    assert [where for where, _ in errors] == ["litellm.response"]
    assert spans.one().name == f"chat {lb.OPENAI_MODEL}"


def test_an_unroutable_model_fails_as_litellm_fails(spans: SpanCapture) -> None:
    with pytest.raises(litellm.exceptions.BadRequestError):
        litellm.completion(model="no-such-model-anywhere", messages=MESSAGES)
    record = spans.one()
    assert (record.name, record.status, record.error_type) == (
        "chat no-such-model-anywhere", "ERROR", "litellm.exceptions.BadRequestError"
    )


def test_openai_client_calls_outside_litellm_still_make_their_own_span(spans: SpanCapture, server: Loopback) -> None:
    """The gateway's suppression lasts only while its call runs."""
    server.arrange("ok")
    client = openai.OpenAI(base_url=server.openai_base, api_key=KEY, max_retries=0)
    litellm.completion(model=f"openai/{lb.OPENAI_MODEL}", messages=MESSAGES, api_base=server.openai_base, api_key=KEY)
    client.chat.completions.create(model=lb.OPENAI_MODEL, messages=MESSAGES)  # type: ignore[arg-type,list-item]
    assert [r.name for r in spans.records] == [f"chat {lb.OPENAI_MODEL}", f"chat {lb.OPENAI_MODEL}"]
    assert [r.input_tokens for r in spans.records] == [11, 11]
