from __future__ import annotations

import pytest

import llm_agent
from llm_agent.config import DEFAULT_SINK_PATH, OPTIONS, ConfigError, Settings
from llm_agent.instrumentation import INSTRUMENTORS


def test_defaults_without_environment():
    s = Settings.resolve(environ={})
    assert s.backends == ("sqlite",)
    assert s.sink_path == DEFAULT_SINK_PATH
    assert s.capture_content is False
    assert (s.max_queue_size, s.max_export_batch_size, s.schedule_delay_s) == (2048, 512, 1.0)
    assert s.instrument is None
    assert s.arms_compat is True


def test_environment_and_argument_precedence():
    env = {
        "LLM_AGENT_BACKENDS": "memory, console",
        "LLM_AGENT_CAPTURE_CONTENT": "yes",
        "LLM_AGENT_MAX_QUEUE_SIZE": "4096",
        "LLM_AGENT_SCHEDULE_DELAY_S": "0.5",
        "LLM_AGENT_PROVIDER_MAP": "llm.internal=vllm, Box.Local=ollama",
        "OTEL_SERVICE_NAME": "from-otel",
        "LLM_AGENT_SESSION_ID": "batch-7",
    }
    s = Settings.resolve(environ=env, max_queue_size=100)
    assert s.backends == ("memory", "console")
    assert s.capture_content is True
    assert s.max_queue_size == 100  # argument beats environment
    assert s.max_export_batch_size == 100  # the default batch shrinks to fit a small queue
    assert s.schedule_delay_s == 0.5
    assert s.provider_map == {"llm.internal": "vllm", "box.local": "ollama"}
    assert s.service_name == "from-otel"
    assert s.default_session_id == "batch-7"
    assert Settings.resolve(environ={**env, "LLM_AGENT_SERVICE_NAME": "mine"}).service_name == "mine"


def test_otel_capture_content_variable_is_honoured():
    env = {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"}
    assert Settings.resolve(environ=env).capture_content is True
    env["LLM_AGENT_CAPTURE_CONTENT"] = "false"
    assert Settings.resolve(environ=env).capture_content is False


@pytest.mark.parametrize(
    ("env", "kwargs", "message"),
    [
        ({"LLM_AGENT_CAPTURE_CONTENT": "maybe"}, {}, "option 'capture_content' (env LLM_AGENT_CAPTURE_CONTENT): "
         "expected a boolean (true/false/1/0/yes/no/on/off), got 'maybe'"),
        ({}, {"max_queue_size": -1}, "option 'max_queue_size' (env LLM_AGENT_MAX_QUEUE_SIZE): must be >= 1, got -1"),
        ({"LLM_AGENT_SCHEDULE_DELAY_S": "soon"}, {}, "option 'schedule_delay_s' (env LLM_AGENT_SCHEDULE_DELAY_S): "
         "expected a number, got 'soon'"),
        ({}, {"max_export_batch_size": 1.5}, "option 'max_export_batch_size' (env LLM_AGENT_MAX_EXPORT_BATCH_SIZE): "
         "expected an integer, got 1.5"),
        ({}, {"instrument": ["openai", "no_such_sdk"]}, "option 'instrument' (env LLM_AGENT_INSTRUMENT): unknown "
         f"library ['no_such_sdk']; accepted: {sorted(INSTRUMENTORS)}"),
        ({}, {"max_queue_size": 10, "max_export_batch_size": 20}, "option 'max_export_batch_size' "
         "(env LLM_AGENT_MAX_EXPORT_BATCH_SIZE): must be <= max_queue_size (10), got 20"),
        ({"LLM_AGENT_PROVIDER_MAP": "nohost"}, {}, "option 'provider_map' (env LLM_AGENT_PROVIDER_MAP): "
         "expected 'host=provider,...', got 'nohost'"),
        ({}, {"colour": "blue"}, "unknown option(s) ['colour']"),
    ],
)
def test_bad_values_name_the_option(env, kwargs, message):
    with pytest.raises(ConfigError) as info:
        Settings.resolve(environ=env, **kwargs)
    assert str(info.value).startswith(message)


def test_init_fails_with_config_error_and_leaves_no_agent(monkeypatch):
    monkeypatch.setenv("LLM_AGENT_MAX_QUEUE_SIZE", "0")
    with pytest.raises(ConfigError, match="LLM_AGENT_MAX_QUEUE_SIZE"):
        llm_agent.init(backends=["memory"])
    assert set(llm_agent.stats()) == {"internal_errors"}  # no agent is running


def test_every_option_has_a_distinct_variable():
    envs = [o.env for o in OPTIONS]
    assert len(envs) == len(set(envs))
    assert all(e.startswith("LLM_AGENT_") for e in envs)
