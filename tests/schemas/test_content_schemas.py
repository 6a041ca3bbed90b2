"""Captured content of every provider validated against the GenAI conventions' JSON schemas.

Real SDKs replay recorded exchanges (cassettes match on method and path, so a request may carry
an image the recording did not: the instrumentation reads the request, the replay answers it);
each span's ``gen_ai.input.messages``, ``gen_ai.output.messages``, ``gen_ai.system_instructions``
and ``gen_ai.tool.definitions`` must be valid under the vendored v1.41.0 schemas, media parts
must carry no bytes, and truncation must keep every document valid, marked and within the limit.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from llm_agent.instrumentation import _content
from llm_agent.testing import capture_spans

SCHEMAS = Path(__file__).resolve().parent / "genai" / "v1.41.0"
ATTRIBUTES = {
    "gen_ai.input.messages": "gen-ai-input-messages.json",
    "gen_ai.output.messages": "gen-ai-output-messages.json",
    "gen_ai.system_instructions": "gen-ai-system-instructions.json",
    "gen_ai.tool.definitions": "gen-ai-tool-definitions.json",
}
#: A real 1x1 PNG: its bytes (and their base64) must appear in no attribute.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PNG_B64 = base64.b64encode(PNG).decode()


def _validator(attribute: str) -> Any:
    schema = json.loads((SCHEMAS / ATTRIBUTES[attribute]).read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


VALIDATORS = {attribute: _validator(attribute) for attribute in ATTRIBUTES}


def validated(record: Any, *expected: str) -> dict[str, Any]:
    """The content attributes of a span, each checked against its schema; ``expected`` must be there."""
    found = {k: json.loads(v) for k, v in record.attributes.items() if k in ATTRIBUTES}
    assert set(expected) <= set(found), f"missing {set(expected) - set(found)}"
    for attribute, document in found.items():
        errors = [e.message for e in VALIDATORS[attribute].iter_errors(document)]
        assert errors == [], f"{attribute}: {errors}"
    return found


def media_parts(found: dict[str, Any]) -> list[dict[str, Any]]:
    parts = [p for m in found.get("gen_ai.input.messages", []) for p in m["parts"]]
    return [p for p in parts if p["type"] in ("blob", "uri", "file")]


def assert_no_bytes(record: Any) -> None:
    text = json.dumps(dict(record.attributes))
    assert PNG_B64 not in text and PNG_B64[:24] not in text and "base64," not in text


def test_a_validator_can_fail() -> None:
    """The schemas reject what the old shapes wrote (a message without parts, a system string)."""
    assert list(VALIDATORS["gen_ai.input.messages"].iter_errors([{"role": "user", "content": "hi"}]))
    assert list(VALIDATORS["gen_ai.system_instructions"].iter_errors("be brief"))
    assert list(VALIDATORS["gen_ai.output.messages"].iter_errors([{"role": "assistant", "parts": []}]))


# --- OpenAI ---------------------------------------------------------------------------------------


@pytest.fixture
def openai_cassette() -> Any:
    from tests.openai.conftest import CASSETTES

    return _recorder(CASSETTES, ["method", "scheme", "host", "port", "path"])


def _recorder(directory: Path, match_on: list[str]) -> Any:
    import vcr

    recorder = vcr.VCR(
        cassette_library_dir=str(directory), record_mode="none", match_on=match_on, decode_compressed_response=True
    )
    return lambda name: recorder.use_cassette(f"{name}.yaml")


OPENAI_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "description": "Get the weather",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
        },
    }
]


@pytest.mark.parametrize(
    ("cassette_name", "stream"),
    [
        ("test_chat_completion_no_content", False),
        ("test_chat_completion_tool_calls_no_content", False),
        ("test_chat_completion_streaming", True),
        ("test_chat_completion_multiple_tools_streaming_no_content", True),
    ],
)
def test_openai_chat(openai_cassette: Any, cassette_name: str, stream: bool) -> None:
    from tests.openai.conftest import recorded_client

    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": [
            {"type": "text", "text": "What is in this image, and the weather?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        ]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "get_current_weather", "arguments": '{"location":"Oslo"}'}}
        ]},
        {"role": "tool", "tool_call_id": "call_1", "content": "rainy"},
    ]
    with capture_spans(instrument=["openai"], capture_content=True) as spans, openai_cassette(cassette_name):
        result = recorded_client().chat.completions.create(
            model="gpt-4o-mini", messages=messages, tools=OPENAI_TOOLS, stream=stream
        )
        if stream:
            list(result)
        record = spans.one()
    found = validated(record, "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.tool.definitions")
    assert media_parts(found) == [
        {"type": "blob", "modality": "image", "mime_type": "image/png", "size": len(PNG)},
        {"type": "uri", "modality": "image", "mime_type": None, "uri": "https://example.com/cat.png"},
    ]
    assert found["gen_ai.input.messages"][2]["parts"] == [
        {"type": "tool_call", "id": "call_1", "name": "get_current_weather", "arguments": {"location": "Oslo"}}
    ]
    assert found["gen_ai.input.messages"][3]["parts"] == [
        {"type": "tool_call_response", "id": "call_1", "response": "rainy"}
    ]
    assert_no_bytes(record)
    for message in found["gen_ai.output.messages"]:
        for part in message["parts"]:
            if part["type"] == "tool_call":
                assert isinstance(part["arguments"], dict)  # assembled from the deltas, then parsed


@pytest.mark.parametrize(
    ("cassette_name", "stream"), [("test_responses_create_basic", False), ("test_responses_create_streaming", True)]
)
def test_openai_responses(openai_cassette: Any, cassette_name: str, stream: bool) -> None:
    from tests.openai.conftest import recorded_client

    items = [
        {"role": "user", "content": [
            {"type": "input_text", "text": "Describe it."},
            {"type": "input_image", "image_url": f"data:image/png;base64,{PNG_B64}"},
            {"type": "input_image", "file_id": "file-abc"},
        ]},
        {"type": "function_call", "id": "fc_1", "call_id": "call_9", "name": "lookup", "arguments": "{\"q\": 1}"},
        {"type": "function_call_output", "call_id": "call_9", "output": "42"},
    ]
    tools = [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}, {"type": "web_search"}]
    with capture_spans(instrument=["openai"], capture_content=True) as spans, openai_cassette(cassette_name):
        result = recorded_client().responses.create(
            model="gpt-4o-mini", input=items, instructions="Be brief.", tools=tools, stream=stream
        )
        if stream:
            list(result)
        record = spans.one()
    found = validated(record, *ATTRIBUTES)
    call, output = (m["parts"][0] for m in found["gen_ai.input.messages"][1:])
    assert (call["id"], output["id"]) == ("call_9", "call_9")  # the call_id, not the item's fc_ id
    assert call["arguments"] == {"q": 1}
    assert media_parts(found) == [
        {"type": "blob", "modality": "image", "mime_type": "image/png", "size": len(PNG)},
        {"type": "file", "modality": "image", "mime_type": None, "file_id": "file-abc"},
    ]
    assert found["gen_ai.tool.definitions"] == [
        {"type": "function", "name": "lookup", "parameters": {"type": "object"}},
        {"type": "web_search", "name": "web_search"},
    ]
    assert_no_bytes(record)


# --- Anthropic ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["test_anthropic_message_create", "test_anthropic_tools", "test_anthropic_message_streaming",
     "test_anthropic_tools_streaming", "test_anthropic_thinking_streaming"],
)
def test_anthropic(name: str) -> None:
    from tests.anthropic.anthropic_helpers import CASSETTES, client, recorded_request

    request = recorded_request(name)
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}}
    first = request["messages"][0]
    content = first["content"] if isinstance(first["content"], list) else [{"type": "text", "text": first["content"]}]
    request["messages"][0] = {**first, "content": [*content, image]}
    request.setdefault("system", [{"type": "text", "text": "You are terse."}])
    cassette = _recorder(CASSETTES, ["method", "scheme", "host", "port", "path"])
    with capture_spans(instrument=["anthropic"], capture_content=True) as spans, cassette(name):
        result = client().messages.create(**request)
        if request.get("stream"):
            list(result)
        record = spans.one()
    found = validated(record, "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions")
    assert media_parts(found) == [{"type": "blob", "modality": "image", "mime_type": "image/png", "size": len(PNG)}]
    assert_no_bytes(record)
    kinds = [p["type"] for m in found["gen_ai.output.messages"] for p in m["parts"]]
    if "tools" in name:
        assert "tool_call" in kinds and "gen_ai.tool.definitions" in found
    if "thinking" in name:
        assert kinds[0] == "reasoning"


# --- Gemini ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stream"),
    [("test_generate_content", False), ("test_response_with_multiple_tool_calls[False]", False),
     ("test_streaming_text_content", True), ("test_streaming_reasoning", True)],
)
def test_gemini(name: str, stream: bool) -> None:
    from google.genai import types

    from tests.google_genai.genai_helpers import CASSETTES, gemini_client, recorded_request

    body = recorded_request(name)
    model = {"test_streaming_reasoning": "gemini-3.5-flash"}.get(name, "gemini-2.0-flash")
    contents = [
        *body["contents"],
        types.Content(role="user", parts=[
            types.Part.from_bytes(data=PNG, mime_type="image/png"),
            types.Part.from_uri(file_uri="gs://bucket/cat.png", mime_type="image/png"),
        ]),
    ]
    tool = types.Tool(function_declarations=[types.FunctionDeclaration(
        name="get_weather", description="The weather",
        parameters=types.Schema(type="OBJECT", properties={"location": types.Schema(type="STRING")}),
    )])
    config = types.GenerateContentConfig(system_instruction="You are terse.", tools=[tool])
    cassette = _recorder(CASSETTES, ["method", "scheme", "host", "port", "path"])
    with capture_spans(instrument=["google_genai"], capture_content=True) as spans, cassette(name):
        models = gemini_client().models
        if stream:
            list(models.generate_content_stream(model=model, contents=contents, config=config))
        else:
            models.generate_content(model=model, contents=contents, config=config)
        record = spans.one()
    found = validated(record, *ATTRIBUTES)
    assert media_parts(found) == [
        {"type": "blob", "modality": "image", "mime_type": "image/png", "size": len(PNG)},
        {"type": "uri", "modality": "image", "mime_type": "image/png", "uri": "gs://bucket/cat.png"},
    ]
    assert_no_bytes(record)


# --- Bedrock --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stream"),
    [("test_converse_tool_call_with_content", False), ("test_converse_with_content", False),
     ("test_converse_stream_with_content_tool_call", True), ("test_converse_stream_with_content", True)],
)
def test_bedrock_converse(name: str, stream: bool) -> None:
    from tests.bedrock.bedrock_helpers import client, recorded_converse, use_cassette

    request = recorded_converse(name)
    first = request["messages"][0]
    image = {"image": {"format": "png", "source": {"bytes": PNG}}}
    s3 = {"document": {"format": "pdf", "name": "report", "source": {"s3Location": {"uri": "s3://bucket/r.pdf"}}}}
    request["messages"][0] = {**first, "content": [*first["content"], image, s3]}
    request.setdefault("system", [{"text": "You are terse."}])
    with capture_spans(instrument=["bedrock"], capture_content=True) as spans, use_cassette(name):
        if stream:
            list(client().converse_stream(**request)["stream"])
        else:
            client().converse(**request)
        record = spans.records[0]
    found = validated(record, "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions")
    assert media_parts(found) == [
        {"type": "blob", "modality": "image", "mime_type": "image/png", "size": len(PNG)},
        {"type": "uri", "modality": "document", "mime_type": "application/pdf", "uri": "s3://bucket/r.pdf"},
    ]
    assert_no_bytes(record)


@pytest.mark.parametrize(
    "name",
    ["test_invoke_model_with_content[anthropic.claude]", "test_invoke_model_with_content[amazon.nova]",
     "test_invoke_model_with_content[meta.llama]", "test_invoke_model_with_content_tool_call[anthropic.claude]",
     "test_invoke_model_with_content_tool_call[amazon.nova]"],
)
def test_bedrock_invoke_model(name: str) -> None:
    from tests.bedrock.bedrock_helpers import client, recorded_invoke, use_cassette

    with capture_spans(instrument=["bedrock"], capture_content=True) as spans, use_cassette(name):
        client().invoke_model(**recorded_invoke(name))["body"].read()
        record = spans.records[0]
    validated(record, "gen_ai.input.messages", "gen_ai.output.messages")


@pytest.mark.parametrize("name", ["test_invoke_model_with_response_stream_with_content[anthropic.claude]",
                                  "test_invoke_model_with_response_stream_with_content[amazon.nova]",
                                  "test_invoke_model_with_response_stream_with_content_tool_call[anthropic.claude]"])
def test_bedrock_invoke_stream(name: str) -> None:
    from tests.bedrock.bedrock_helpers import client, recorded_invoke, use_cassette

    with capture_spans(instrument=["bedrock"], capture_content=True) as spans, use_cassette(name):
        list(client().invoke_model_with_response_stream(**recorded_invoke(name))["body"])
        record = spans.records[0]
    validated(record, "gen_ai.input.messages", "gen_ai.output.messages")


# --- truncation -----------------------------------------------------------------------------------


MESSAGES = [
    _content.message("system", [_content.text("s" * 300)]),
    _content.message("user", [_content.text("q" * 2000), _content.blob("image", "image/png", 67)]),
    _content.message("assistant", [_content.tool_call("call_1", "lookup", '{"query": "' + "z" * 900 + '"}')]),
    _content.message("tool", [_content.tool_call_response("call_1", "r" * 1500)]),
]


@pytest.mark.parametrize("limit", [60, 200, 500, 1000, 3000, 10_000])
def test_truncation_keeps_valid_marked_json_within_the_limit(limit: int) -> None:
    text = _content.content_attribute(MESSAGES, limit)
    assert len(text) <= limit
    document = json.loads(text)  # a whole document, never cut in the middle
    assert list(VALIDATORS["gen_ai.input.messages"].iter_errors(document)) == []
    whole = json.dumps(MESSAGES, ensure_ascii=False, separators=(",", ":"))
    if len(whole) <= limit:
        assert document == MESSAGES
        return
    marked = [p for m in document for p in m["parts"] if p.get("truncated")]
    marked += [m for m in document if m.get("truncated")]
    assert marked, "a truncated document says so"
    for message in document:
        for part in message["parts"]:
            for key in ("content", "response"):
                value = part.get(key)
                if isinstance(value, str) and part.get("truncated"):
                    assert value.endswith(_content.TRUNCATION_MARKER)
            assert part.get("id") in (None, "call_1")  # ids are never cut: a call still pairs up


def test_truncation_cuts_the_longest_strings_first() -> None:
    text = _content.content_attribute(MESSAGES, 3000)
    system, user, call, result = json.loads(text)
    assert system["parts"] == [{"type": "text", "content": "s" * 300}]  # short enough to stay whole
    assert user["parts"][0]["truncated"] is True and user["parts"][0]["content"].startswith("q" * 100)
    assert call["parts"][0]["arguments"]["query"].startswith("z")  # inside the object, the part marked
    assert result["parts"][0]["truncated"] is True


def test_truncation_of_a_real_span_stays_valid() -> None:
    from tests.openai.conftest import MockAPI, chat_body

    api = MockAPI().json("/chat/completions", chat_body())
    with capture_spans(instrument=["openai"], capture_content=True, content_max_chars=120) as spans:
        api.client().chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x" * 500}])
        record = spans.one()
    found = validated(record, "gen_ai.input.messages", "gen_ai.output.messages")
    assert len(record.attributes["gen_ai.input.messages"]) <= 120
    assert found["gen_ai.input.messages"][0]["parts"][0]["truncated"] is True


def test_unparsable_arguments_stay_a_string() -> None:
    assert _content.tool_call("c", "f", '{"broken":')["arguments"] == '{"broken":'
    assert _content.tool_call("c", "f", '{"a": [1]}')["arguments"] == {"a": [1]}


def test_latest_experimental_omits_an_unknown_finish_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """v1.41.0 requires a finish reason (``unknown`` when none came); the conventions' main made it
    optional and asks for it in ``gen_ai.response.finish_reasons`` only."""
    assert _content.output_message("assistant", [], None)["finish_reason"] == "unknown"
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http,gen_ai_latest_experimental")
    assert _content.output_message("assistant", [], None) == {"role": "assistant", "parts": []}
    assert _content.output_message("assistant", [], "stop")["finish_reason"] == "stop"


# --- Cohere and Ollama (their own mapping, serialised by the core) ---------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_cohere(stream: bool) -> None:
    from tests.cohere.cohere_helpers import EVENTS, MODEL, Mock, make, sse

    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "what is this?"},
                                     {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}}]},
    ]
    mock = Mock(body=sse(EVENTS), content_type="text/event-stream") if stream else Mock()
    with capture_spans(instrument=["cohere"], capture_content=True) as spans:
        client = make(mock)
        if stream:
            list(client.chat_stream(model=MODEL, messages=messages))
        else:
            client.chat(model=MODEL, messages=messages)
        record = spans.one()
    found = validated(record, "gen_ai.input.messages", "gen_ai.output.messages")
    assert media_parts(found) == [{"type": "blob", "modality": "image", "mime_type": "image/png", "size": len(PNG)}]
    assert_no_bytes(record)


@pytest.mark.parametrize("stream", [False, True])
def test_ollama(stream: bool) -> None:
    from tests.ollama.ollama_helpers import CHUNKS, MODEL, Mock, make, ndjson

    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "what?", "images": [PNG]}]
    mock = Mock()
    if stream:
        mock.body = ndjson(CHUNKS)
    with capture_spans(instrument=["ollama"], capture_content=True) as spans:
        result = make(mock).chat(MODEL, messages, stream=stream)
        if stream:
            list(result)
        record = spans.one()
    found = validated(record, "gen_ai.input.messages", "gen_ai.output.messages")
    assert media_parts(found) == [{"type": "blob", "modality": "image", "mime_type": None, "size": len(PNG)}]
    assert_no_bytes(record)


def _mistral() -> None:
    from tests._recorded import recorder
    from tests.mistralai.mistral_helpers import recorded_client, request_of

    name = "test_mistralai_chat_legacy"
    with recorder("mistralai")(name):
        recorded_client().chat.complete(**request_of(name))


def _mistral_stream() -> None:
    from tests._recorded import recorder
    from tests.mistralai.mistral_helpers import recorded_client, request_of

    name = "test_mistralai_streaming_chat_legacy"
    with recorder("mistralai")(name):
        list(recorded_client().chat.stream(**request_of(name)))


def _groq() -> None:
    from tests._recorded import recorder
    from tests.groq.groq_helpers import recorded_client, request_of

    name = "test_chat_legacy"
    with recorder("groq")(name):
        recorded_client().chat.completions.create(**request_of(name))


def _groq_stream() -> None:
    from tests._recorded import recorder
    from tests.groq.groq_helpers import recorded_client, request_of

    name = "test_chat_streaming_legacy"
    with recorder("groq")(name):
        list(recorded_client().chat.completions.create(**request_of(name)))


def _dashscope() -> None:
    from tests.dashscope.dashscope_helpers import MockAPI

    MockAPI().client().chat.completions.create(model="qwen-plus", messages=[{"role": "user", "content": "hi"}])


def _litellm() -> None:
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before litellm is imported: no network
    import litellm

    from tests.litellm import loopback as lb

    with lb.Loopback() as server:
        server.arrange("ok")
        litellm.completion(
            model=f"openai/{lb.OPENAI_MODEL}", messages=[{"role": "user", "content": "hi"}],
            api_base=server.openai_base, api_key="test_openai_api_key",
        )  # fmt: skip


@pytest.mark.parametrize(
    ("library", "call"),
    [("mistralai", _mistral), ("mistralai", _mistral_stream), ("groq", _groq), ("groq", _groq_stream),
     ("dashscope", _dashscope), ("litellm", _litellm)],
    ids=["mistral", "mistral-stream", "groq", "groq-stream", "dashscope", "litellm"],
)  # fmt: skip
def test_the_other_chat_providers(library: str, call: Any) -> None:
    with capture_spans(instrument=[library], capture_content=True) as spans:
        call()
        record = spans.one()
    validated(record, "gen_ai.input.messages", "gen_ai.output.messages")
