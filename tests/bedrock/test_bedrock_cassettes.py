"""Recorded Bedrock Runtime exchanges -> exactly one span per model call, whole attribute sets checked.

Every test re-sends the recorded request through a real boto3 client and compares each span's
attributes with the whole expected set (a stream's time to first chunk is checked for presence).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from llm_agent.testing import SpanCapture
from tests.bedrock.bedrock_helpers import (
    SERVER,
    client,
    converse_accepts,
    messages_accept_cache_points,
    recorded_converse,
    recorded_invoke,
)

PARAMS = {
    "gen_ai.request.max_tokens": 10,
    "gen_ai.request.temperature": 0.8,
    "gen_ai.request.top_p": 1,
    "gen_ai.request.stop_sequences": ("|",),
}


def base(model: str, stream: bool = False, operation: str = "chat") -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": "aws.bedrock",
        "gen_ai.request.model": model,
        "gen_ai.span.kind": "EMBEDDING" if operation == "embeddings" else "LLM",
        **SERVER,
    }
    if stream:
        attrs["gen_ai.request.stream"] = True
    return attrs


def usage(input_tokens: int, output_tokens: int, **cache: int) -> dict[str, Any]:
    attrs = {"gen_ai.usage.input_tokens": input_tokens, "gen_ai.usage.output_tokens": output_tokens}
    for key, name in (("read", "cache_read"), ("write", "cache_creation")):
        if key in cache:
            attrs[f"gen_ai.usage.{name}.input_tokens"] = cache[key]
    return attrs


def attributes(spans: SpanCapture) -> list[dict[str, Any]]:
    """Every span's attributes, lists as tuples; a stream's TTFT checked and removed."""
    out = []
    for record in spans.records:
        assert record.kind == "CLIENT"
        assert record.status != "ERROR"
        attrs = {k: tuple(v) if isinstance(v, list) else v for k, v in record.attributes.items()}
        if "llm_agent.stream.chunks" in attrs:
            ttft = attrs.pop("gen_ai.response.time_to_first_chunk")
            assert isinstance(ttft, float) and ttft >= 0
            assert record.ttft_s == ttft
        out.append(attrs)
    return out


def _reasons(*reasons: str) -> dict[str, Any]:
    return {"gen_ai.response.finish_reasons": reasons}


TOOLS = {"llm_agent.response.tool_call_names": ("get_current_weather", "get_current_weather")}

CONVERSE: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "test_converse_with_content",
        [{**base("amazon.titan-text-lite-v1"), **PARAMS, **_reasons("max_tokens"), **usage(8, 10)}],
    ),
    (
        "test_converse_tool_call_with_content",
        [
            {**base("amazon.nova-micro-v1:0"), **_reasons("tool_use"), **TOOLS, **usage(415, 190)},
            {**base("amazon.nova-micro-v1:0"), **_reasons("end_turn"), **usage(553, 59)},
        ],
    ),
    pytest.param(
        "test_guardrail_converse",
        [{**base("amazon.titan-text-express-v1"), **_reasons("guardrail_intervened"), **usage(17, 17)}],
        marks=pytest.mark.skipif(not converse_accepts("guardrailConfig"), reason="botocore before guardrails"),
        id="test_guardrail_converse",
    ),
    pytest.param(  # input includes the cache counts (Bedrock's inputTokens does not: 2 + 1322)
        "parsed_body/test_bedrock_cache_write_and_read",
        [
            {
                **base("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
                **_reasons("end_turn"),
                **usage(1324, 5, read=0, write=1322),
            },
            {
                **base("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
                **_reasons("end_turn"),
                **usage(1324, 5, read=1322, write=0),
            },
        ],
        marks=pytest.mark.skipif(not messages_accept_cache_points(), reason="botocore before prompt caching"),
        id="parsed_body/test_bedrock_cache_write_and_read",
    ),
]


@pytest.mark.parametrize(("name", "expected"), CONVERSE)
def test_converse(spans: SpanCapture, cassette: Any, name: str, expected: list[dict[str, Any]]) -> None:
    c = client()
    with cassette(name):
        results = [c.converse(**recorded_converse(name, i)) for i in range(len(expected))]
    assert attributes(spans) == expected
    assert [r.name for r in spans.records] == [f"chat {e['gen_ai.request.model']}" for e in expected]
    assert type(results[0]) is dict and "output" in results[0]  # botocore's own dict, untouched


CONVERSE_STREAM: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "test_converse_stream_with_content",
        [
            {
                **base("amazon.titan-text-lite-v1", True),
                **PARAMS,
                **_reasons("max_tokens"),
                **usage(8, 10),
                "llm_agent.stream.chunks": 5,
            }
        ],
    ),
    (
        "test_converse_stream_with_content_tool_call",
        [
            {
                **base("amazon.nova-micro-v1:0", True),
                **_reasons("tool_use"),
                **TOOLS,
                **usage(415, 202),
                "llm_agent.stream.chunks": 67,
            },
            {
                **base("amazon.nova-micro-v1:0", True),
                **_reasons("end_turn"),
                **usage(565, 52),
                "llm_agent.stream.chunks": 56,
            },
        ],
    ),
    (
        "test_meta_converse_stream",
        [
            {
                **base("meta.llama3-2-1b-instruct-v1:0", True),
                "gen_ai.request.temperature": 0.5,
                **_reasons("end_turn"),
                **usage(52, 36),
                "llm_agent.stream.chunks": 40,
            }
        ],
    ),
    (  # Claude on Bedrock through an inference profile: an aws.bedrock call
        "test_bedrock_model_thinking_part_stream",
        [
            {
                **base("us.anthropic.claude-sonnet-4-20250514-v1:0", True),
                **_reasons("end_turn"),
                **usage(36, 73),
                "llm_agent.stream.chunks": 25,
            }
        ],
    ),
]


@pytest.mark.parametrize(("name", "expected"), CONVERSE_STREAM, ids=[c[0] for c in CONVERSE_STREAM])
def test_converse_stream(spans: SpanCapture, cassette: Any, name: str, expected: list[dict[str, Any]]) -> None:
    c = client()
    events = []
    with cassette(name):
        for i in range(len(expected)):
            response = c.converse_stream(**recorded_converse(name, i))
            assert type(response) is dict and set(response) == {"ResponseMetadata", "stream"}
            events.append(list(response["stream"]))
    assert [len(e) for e in events] == [e["llm_agent.stream.chunks"] for e in expected]  # nothing hidden
    assert attributes(spans) == expected


def invoke(model: str, stream: bool = False, **extra: Any) -> dict[str, Any]:
    return {**base(model, stream), **extra}


INVOKE: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "test_invoke_model_with_content[anthropic.claude]",
        [
            invoke(
                "anthropic.claude-v2",
                **PARAMS,
                **{"gen_ai.response.id": "msg_bdrk_01NCxHHwwdtMc7wioSxo2wBC", "gen_ai.response.model": "claude-2.0"},
                **_reasons("max_tokens"),
                **usage(14, 10),
            )
        ],
    ),
    (
        "test_invoke_model_with_content[amazon.nova]",
        [invoke("amazon.nova-micro-v1:0", **PARAMS, **_reasons("max_tokens"), **usage(5, 10))],
    ),
    (
        "test_invoke_model_with_content[amazon.titan]",
        [invoke("amazon.titan-text-lite-v1", **PARAMS, **_reasons("LENGTH"), **usage(5, 10))],
    ),
    (
        "test_invoke_model_with_content[meta.llama]",
        [
            invoke(
                "meta.llama3-1-70b-instruct-v1:0",
                **{k: v for k, v in PARAMS.items() if "stop" not in k},
                **_reasons("length"),
                **usage(5, 10),
            )
        ],
    ),
    (  # Cohere and Mistral bodies carry no usage: Bedrock's token-count headers do
        "test_invoke_model_with_content[cohere.command]",
        [
            invoke(
                "cohere.command-light-text-v14",
                **PARAMS,
                **{"gen_ai.response.id": "a09c1c60-6608-482a-b98d-764e4d87fcd1"},
                **_reasons("MAX_TOKENS"),
                **usage(5, 10),
            )
        ],
    ),
    (
        "test_invoke_model_with_content[cohere.command-r]",
        [
            invoke(
                "cohere.command-r-v1:0",
                **{**PARAMS, "gen_ai.request.top_p": 0.99},
                **{"gen_ai.response.id": "379ed018/aa2df2bf-edc8-483f-8cd0-d22d04ba34ba"},
                **_reasons("MAX_TOKENS"),
                **usage(5, 10),
            )
        ],
    ),
    (
        "test_invoke_model_with_content[mistral.mistral]",
        [invoke("mistral.mistral-7b-instruct-v0:2", **PARAMS, **_reasons("length"), **usage(6, 10))],
    ),
    (
        "test_invoke_model_with_content_tool_call[amazon.nova]",
        [
            invoke(
                "amazon.nova-micro-v1:0",
                **{"gen_ai.request.max_tokens": 1000},
                **_reasons("tool_use"),
                **TOOLS,
                **usage(427, 162, read=0, write=0),
            ),
            invoke(
                "amazon.nova-micro-v1:0",
                **{"gen_ai.request.max_tokens": 1000},
                **_reasons("end_turn"),
                **usage(566, 60, read=0, write=0),
            ),
        ],
    ),
    (
        "test_invoke_model_with_content_tool_call[anthropic.claude]",
        [
            invoke(
                "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
                **{"gen_ai.request.max_tokens": 1000, "gen_ai.response.id": "msg_bdrk_01Vcemt76oWJo739rm2hmaxn"},
                **{"gen_ai.response.model": "claude-3-5-sonnet-20240620"},
                **_reasons("tool_use"),
                **TOOLS,
                **usage(392, 135),
            ),
            invoke(
                "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
                **{"gen_ai.request.max_tokens": 1000, "gen_ai.response.id": "msg_bdrk_0177fGp1jEHWhhQXD31c6BEm"},
                **{"gen_ai.response.model": "claude-3-5-sonnet-20240620"},
                **_reasons("end_turn"),
                **usage(604, 146),
            ),
        ],
    ),
]
_CACHE_PARAMS = {
    "gen_ai.request.max_tokens": 50,
    "gen_ai.request.temperature": 0.1,
    "gen_ai.request.top_p": 0.1,
    "gen_ai.request.top_k": 250,
    "gen_ai.request.stop_sequences": ("stop",),
    "gen_ai.response.model": "claude-3-5-haiku-20241022",
    **_reasons("max_tokens"),
}
INVOKE.append(
    (  # Claude's input_tokens (4) excludes the cache: input is 4 + 18131
        "test_invoke_model_cache_tokens",
        [
            invoke(
                "anthropic.claude-3-5-haiku-20241022-v1:0",
                **_CACHE_PARAMS,
                **{"gen_ai.response.id": "msg_bdrk_01FmwvNC1ksCq1T8tjvgUdDB"},
                **usage(18135, 50, read=0, write=18131),
            ),
            invoke(
                "anthropic.claude-3-5-haiku-20241022-v1:0",
                **_CACHE_PARAMS,
                **{"gen_ai.response.id": "msg_bdrk_01FGEZnKNgjbRv5m4joDoq3D"},
                **usage(18135, 50, read=18131, write=0),
            ),
        ],
    )
)


@pytest.mark.parametrize(("name", "expected"), INVOKE, ids=[c[0] for c in INVOKE])
def test_invoke_model(spans: SpanCapture, cassette: Any, name: str, expected: list[dict[str, Any]]) -> None:
    c = client()
    bodies = []
    with cassette(name):
        for i in range(len(expected)):
            response = c.invoke_model(**recorded_invoke(name, i))
            bodies.append(json.loads(response["body"].read()))  # the app reads the body, as recorded
    assert all(type(b) is dict for b in bodies)
    assert attributes(spans) == expected


def test_embeddings(spans: SpanCapture, cassette: Any) -> None:
    """Embedding models make ``embeddings`` spans; Cohere's count comes from the headers."""
    c = client()
    titan_name = "parsed_body/TestBedrock.test_titan_v2_with_dimensions"
    cohere_name = "parsed_body/TestBedrock.test_cohere_v4_with_dimensions"
    with cassette(titan_name):
        titan = json.loads(c.invoke_model(**recorded_invoke(titan_name))["body"].read())
    with cassette(cohere_name):
        cohere = json.loads(c.invoke_model(**recorded_invoke(cohere_name))["body"].read())
    assert len(titan["embedding"]) == 256 and cohere["id"] == "716077ee-e829-4b61-ace2-2c2e56f5f989"
    assert attributes(spans) == [
        {
            **base("amazon.titan-embed-text-v2:0", operation="embeddings"),
            "gen_ai.embeddings.dimension_count": 256,
            "gen_ai.usage.input_tokens": 4,
        },
        {
            **base("cohere.embed-v4:0", operation="embeddings"),
            "gen_ai.embeddings.dimension_count": 512,
            "gen_ai.response.id": "716077ee-e829-4b61-ace2-2c2e56f5f989",
            "gen_ai.usage.input_tokens": 3,
        },
    ]
    names = [r.name for r in spans.records]
    assert names == ["embeddings amazon.titan-embed-text-v2:0", "embeddings cohere.embed-v4:0"]


INVOKE_STREAM: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "test_invoke_model_with_response_stream_with_content[anthropic.claude]",
        [
            invoke(
                "anthropic.claude-v2",
                True,
                **PARAMS,
                **{"gen_ai.response.id": "msg_bdrk_01Wh9w6Tv2opkib67YP3L9B6", "gen_ai.response.model": "claude-2.0"},
                **_reasons("max_tokens"),
                **usage(14, 10),
                **{"llm_agent.stream.chunks": 15},
            )
        ],
    ),
    (
        "test_invoke_model_with_response_stream_with_content[amazon.nova]",
        [
            invoke(
                "amazon.nova-micro-v1:0",
                True,
                **PARAMS,
                **_reasons("max_tokens"),
                **usage(5, 10),
                **{"llm_agent.stream.chunks": 23},
            )
        ],
    ),
    (
        "test_invoke_model_with_response_stream_with_content[amazon.titan]",
        [
            invoke(
                "amazon.titan-text-lite-v1",
                True,
                **PARAMS,
                **_reasons("LENGTH"),
                **usage(5, 10),
                **{"llm_agent.stream.chunks": 1},
            )
        ],
    ),
    (  # Bedrock's invocationMetrics (output 90) win over Claude's own message_delta count (134)
        "test_invoke_model_with_response_stream_with_content_tool_call[anthropic.claude]",
        [
            invoke(
                "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
                True,
                **{"gen_ai.request.max_tokens": 1000, "gen_ai.response.id": "msg_bdrk_01NGhpayLE52LwTzcggKudcq"},
                **{"gen_ai.response.model": "claude-3-5-sonnet-20240620"},
                **_reasons("tool_use"),
                **TOOLS,
                **usage(392, 90),
                **{"llm_agent.stream.chunks": 27},
            ),
            invoke(
                "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
                True,
                **{"gen_ai.request.max_tokens": 1000, "gen_ai.response.id": "msg_bdrk_014iAAMKoJRdnetrFEau569K"},
                **{"gen_ai.response.model": "claude-3-5-sonnet-20240620"},
                **_reasons("end_turn"),
                **usage(603, 146),
                **{"llm_agent.stream.chunks": 31},
            ),
        ],
    ),
]


@pytest.mark.parametrize(("name", "expected"), INVOKE_STREAM, ids=[c[0] for c in INVOKE_STREAM])
def test_invoke_model_with_response_stream(
    spans: SpanCapture, cassette: Any, name: str, expected: list[dict[str, Any]]
) -> None:
    c = client()
    counts = []
    with cassette(name):
        for i in range(len(expected)):
            response = c.invoke_model_with_response_stream(**recorded_invoke(name, i))
            events = list(response["body"])
            assert all(set(e) == {"chunk"} and type(e["chunk"]["bytes"]) is bytes for e in events)
            counts.append(len(events))
    assert counts == [e["llm_agent.stream.chunks"] for e in expected]
    assert attributes(spans) == expected


def test_api_error_propagates_unchanged(spans: SpanCapture, cassette: Any) -> None:
    """A 400 raises botocore's own modeled error; the span names it (``module.Class``: the AWS code)."""
    from botocore.exceptions import ClientError

    c = client()
    with cassette("test_converse_with_invalid_model"), pytest.raises(ClientError) as info:
        c.converse(**recorded_converse("test_converse_with_invalid_model"))
    assert type(info.value).__name__ == "ValidationException"
    assert info.value.response["Error"]["Code"] == "ValidationException"
    record = spans.one()
    assert record.status == "ERROR"
    assert record.error_type == "botocore.errorfactory.ValidationException"
    assert dict(record.attributes) == {
        **base("does-not-exist"),
        "error.type": "botocore.errorfactory.ValidationException",
    }
    assert record.name == "chat does-not-exist"


def test_invoke_api_error(spans: SpanCapture, cassette: Any) -> None:
    c = client()
    with cassette("test_invoke_model_with_invalid_model"), pytest.raises(c.exceptions.ValidationException):
        c.invoke_model(modelId="does-not-exist", body=b"")
    assert dict(spans.one().attributes) == {
        **base("does-not-exist"),
        "error.type": "botocore.errorfactory.ValidationException",
    }
