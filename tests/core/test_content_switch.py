"""The standard content switch (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT) mapped onto
capture_content / content_mode, and the details event it can ask for, through real OpenAI calls
against the in-process mock API on both span paths."""

from __future__ import annotations

import json
import logging

import pytest

from llm_agent import config
from llm_agent.config import ConfigError, Settings
from llm_agent.testing import capture_spans
from tests.openai.conftest import MockAPI, chat_body

VAR = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", (True, "span")),
        ("True", (True, "span")),
        ("false", (False, "span")),
        ("", (False, "span")),
        ("NO_CONTENT", (False, "span")),
        ("span_only", (True, "span")),
        ("SPAN_ONLY", (True, "span")),
        ("Event_Only", (True, "event")),
        ("SPAN_AND_EVENT", (True, "span_and_event")),
        (" span_and_event ", (True, "span_and_event")),
    ],
)
def test_the_values_the_genai_instrumentations_accept(value: str, expected: tuple[bool, str]) -> None:
    settings = Settings.resolve(environ={VAR: value})
    assert (settings.capture_content, settings.content_mode) == expected


def test_an_unknown_value_is_logged_once_and_means_no_content(caplog: pytest.LogCaptureFixture) -> None:
    config._logged_standard_values.discard("EVERYTHING")
    with caplog.at_level(logging.WARNING, logger="llm_agent.config"):
        for _ in range(3):
            settings = Settings.resolve(environ={VAR: "everything"})
            assert (settings.capture_content, settings.content_mode) == (False, "span")
    lines = [r.getMessage() for r in caplog.records if r.name == "llm_agent.config"]
    assert lines == [f"{VAR}='everything' is not one of TRUE, FALSE, NO_CONTENT, SPAN_ONLY, EVENT_ONLY, "
                     "SPAN_AND_EVENT: capturing no content"]  # fmt: skip


def test_llm_agents_own_options_win() -> None:
    env = {VAR: "SPAN_AND_EVENT"}
    assert Settings.resolve(environ={**env, "LLM_AGENT_CAPTURE_CONTENT": "false"}).capture_content is False
    assert Settings.resolve(environ=env, capture_content=False).capture_content is False
    # the switch still turns content on, but where it goes is our own option's
    settings = Settings.resolve(environ={**env, "LLM_AGENT_CONTENT_MODE": "span"})
    assert (settings.capture_content, settings.content_mode) == (True, "span")
    settings = Settings.resolve(environ={VAR: "EVENT_ONLY"}, capture_content=True)
    assert (settings.capture_content, settings.content_mode) == (True, "span")  # ours: content, the default place


def test_content_mode_is_validated() -> None:
    with pytest.raises(ConfigError, match="option 'content_mode' \\(env LLM_AGENT_CONTENT_MODE\\): expected one of"):
        Settings.resolve(environ={}, content_mode="log")


MESSAGES = [{"role": "user", "content": "hi"}]


def _call(api: MockAPI, **options: object) -> tuple[dict, list]:
    api.json("/chat/completions", chat_body())
    with capture_spans(instrument=["openai"], **options) as spans:
        api.client(False).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        record = spans.one()
    return dict(record.attributes), list(record.events)


@pytest.mark.parametrize("direct_spans", [True, False], ids=["direct", "sdk"])
def test_event_only_moves_the_content_to_the_details_event(direct_spans: bool) -> None:
    api = MockAPI()
    attrs, events = _call(api, capture_content=True, content_mode="event", direct_spans=direct_spans)
    on_span, _ = _call(api, capture_content=True, direct_spans=direct_spans)
    content_keys = {"gen_ai.input.messages", "gen_ai.output.messages"}
    assert not content_keys & set(attrs)
    assert [e["name"] for e in events] == ["gen_ai.client.inference.operation.details"]
    event = events[0]["attributes"]
    assert {k: event[k] for k in content_keys} == {k: on_span[k] for k in content_keys}
    assert json.loads(event["gen_ai.input.messages"])  # the content helper's JSON, as on the span
    # the call's attributes the event's conventions list (the generic inference ones): not the
    # provider-specific openai.*, ARMS's or llm_agent's own
    assert {k: v for k, v in event.items() if k not in content_keys} == {
        k: v for k, v in attrs.items() if not k.startswith(("llm_agent.", "openai.")) and k not in {
            "gen_ai.span.kind", "gen_ai.usage.total_tokens"}
    }  # fmt: skip


def test_span_and_event_keeps_the_content_on_both() -> None:
    attrs, events = _call(MockAPI(), capture_content=True, content_mode="span_and_event")
    assert [e["name"] for e in events] == ["gen_ai.client.inference.operation.details"]
    event = events[0]["attributes"]
    assert event["gen_ai.output.messages"] == attrs["gen_ai.output.messages"]
    assert event["gen_ai.input.messages"] == attrs["gen_ai.input.messages"]


def test_no_event_without_content() -> None:
    attrs, events = _call(MockAPI(), capture_content=False, content_mode="event")
    assert events == [] and "gen_ai.input.messages" not in attrs
