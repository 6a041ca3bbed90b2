"""The conventions' values for OpenAI calls through the real SDK against the in-process mock API:
the Responses API's finish reasons (why the model stopped, not the response status), the API type,
gen_ai.output.type for each way a request names an output format, the embeddings dimension under
its conventions name, and the ARMS names only with arms_compat."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from llm_agent.instrumentation.openai._response import responses_finish_reason
from llm_agent.testing import capture_spans
from tests.openai.conftest import MockAPI, chat_body, chat_chunks, embeddings_body, response_body

MESSAGES = [{"role": "user", "content": "hi"}]
FUNCTION_CALL = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{}",
                 "status": "completed"}  # fmt: skip


@pytest.mark.parametrize(
    ("status", "incomplete", "output", "expected"),
    [
        ("completed", None, [{"type": "message"}], "stop"),
        ("completed", None, [], "stop"),
        ("completed", None, [{"type": "reasoning"}, FUNCTION_CALL], "tool_calls"),
        ("completed", None, [{"type": "custom_tool_call"}], "tool_calls"),
        ("completed", None, [{"type": "web_search_call"}, {"type": "message"}], "stop"),  # run by the server
        ("incomplete", "max_output_tokens", [], "length"),
        ("incomplete", "content_filter", [], "content_filter"),
        ("incomplete", "a_new_reason", [], "a_new_reason"),
        ("incomplete", None, [], None),
        ("failed", None, [], None),
        ("cancelled", None, [], None),
        (None, None, None, None),
    ],
)
def test_responses_finish_reason(status: Any, incomplete: Any, output: Any, expected: str | None) -> None:
    assert responses_finish_reason(status, incomplete, output) == expected


def _span(api: MockAPI, call: Any, **options: Any) -> dict[str, Any]:
    with capture_spans(instrument=["openai"], **options) as spans:
        call(api.client(False))
        return dict(spans.one().attributes)


def test_responses_incomplete_and_tool_call_through_the_sdk() -> None:
    api = MockAPI()
    body = response_body(status="incomplete")
    body["incomplete_details"] = {"reason": "max_output_tokens"}
    api.json("/responses", body)
    attrs = _span(api, lambda c: c.responses.create(model="gpt-4o-mini", input="hi", max_output_tokens=5))
    assert (attrs["gen_ai.response.finish_reasons"], attrs["openai.api.type"]) == (["length"], "responses")
    body = response_body()
    body["output"] = [FUNCTION_CALL]
    api.json("/responses", body)
    attrs = _span(api, lambda c: c.responses.create(model="gpt-4o-mini", input="hi"))
    assert attrs["gen_ai.response.finish_reasons"] == ["tool_calls"]


class Answer(pydantic.BaseModel):
    answer: int


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"response_format": {"type": "json_object"}}, "json"),
        ({"response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": {}}}}, "json"),
        ({"response_format": {"type": "text"}}, "text"),
        ({}, None),
    ],
)
def test_chat_output_type(kwargs: dict[str, Any], expected: str | None) -> None:
    api = MockAPI()
    api.json("/chat/completions", chat_body())
    attrs = _span(api, lambda c: c.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, **kwargs))
    assert attrs.get("gen_ai.output.type") == expected
    assert attrs["openai.api.type"] == "chat_completions"


def test_parse_and_responses_output_types() -> None:
    api = MockAPI()
    api.json("/chat/completions", chat_body(content='{"answer": 42}'))
    parse = {"model": "gpt-4o-mini", "messages": MESSAGES, "response_format": Answer}
    attrs = _span(api, lambda c: c.chat.completions.parse(**parse))
    assert attrs["gen_ai.output.type"] == "json"
    api.json("/responses", response_body())
    attrs = _span(api, lambda c: c.responses.parse(model="gpt-4o-mini", input="hi", text_format=Answer))
    assert attrs["gen_ai.output.type"] == "json"
    fmt = {"format": {"type": "json_schema", "name": "a", "schema": {"type": "object"}}}
    attrs = _span(api, lambda c: c.responses.create(model="gpt-4o-mini", input="hi", text=fmt))
    assert attrs["gen_ai.output.type"] == "json"


def test_embeddings_dimension_count_under_its_conventions_name() -> None:
    api = MockAPI()
    api.json("/embeddings", embeddings_body())
    attrs = _span(api, lambda c: c.embeddings.create(model="text-embedding-3-small", input="a"))
    assert attrs["gen_ai.embeddings.dimension.count"] == 3
    assert "gen_ai.embeddings.dimension_count" not in attrs and "openai.api.type" not in attrs


def test_arms_names_only_with_arms_compat() -> None:
    api = MockAPI()
    api.stream("/chat/completions", chat_chunks())

    def stream(client: Any) -> None:
        list(client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True))

    arms = _span(api, stream)
    assert arms["gen_ai.usage.total_tokens"] == 9 and arms["gen_ai.span.kind"] == "LLM"
    assert arms["gen_ai.response.time_to_first_token"] == round(arms["gen_ai.response.time_to_first_chunk"] * 1e9)
    assert isinstance(arms["llm_agent.stream.time_per_output_chunk"], float)  # read to the end: 4 chunks
    plain = _span(api, stream, arms_compat=False)
    assert not {"gen_ai.usage.total_tokens", "gen_ai.response.time_to_first_token", "gen_ai.span.kind"} & set(plain)


def test_no_time_per_chunk_for_a_stream_left_early() -> None:
    api = MockAPI()
    api.stream("/chat/completions", chat_chunks())

    def first_chunk_then_close(client: Any) -> None:
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        next(iter(stream))
        next(iter(stream))
        stream.close()

    attrs = _span(api, first_chunk_then_close)
    assert attrs["llm_agent.stream.chunks"] == 2 and "llm_agent.stream.time_per_output_chunk" not in attrs
