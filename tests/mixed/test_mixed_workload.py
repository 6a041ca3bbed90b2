"""One session calling OpenAI and Anthropic in one trace: sink rollups and model analysis count both.

Real SDKs end to end: Anthropic replays recorded exchanges (vcrpy), OpenAI talks to a mock
transport; spans go to a real SQLite sink file, read back with ``llm_agent.analysis``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import openai._base_client as _base_client

import llm_agent
import llm_agent.analysis
from tests.anthropic.anthropic_helpers import client as anthropic_client
from tests.anthropic.anthropic_helpers import recorded_request

HTTP: Any = getattr(_base_client, "httpx2", None) or _base_client.httpx
OPENAI_MODEL = "gpt-4o-mini"
CHAT = {
    "id": "chatcmpl-mixed", "object": "chat.completion", "created": 1, "model": OPENAI_MODEL,
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}],
    # OpenAI's prompt_tokens already includes the cached tokens.
    "usage": {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25,
              "prompt_tokens_details": {"cached_tokens": 8}},
}
SONNET = "claude-3-5-sonnet-20240620"
HAIKU = "claude-3-haiku-20240307"


def openai_client() -> openai.OpenAI:
    return openai.OpenAI(
        api_key="test_openai_api_key", base_url="https://api.openai.com/v1", max_retries=0,
        http_client=HTTP.Client(transport=HTTP.MockTransport(lambda request: HTTP.Response(200, json=CHAT))),
    )


def test_one_session_two_providers(tmp_path: Path, cassette: Any) -> None:
    sink = tmp_path / "sink.db"
    llm_agent.init(backends=["sqlite"], sink_path=str(sink), instrument=["openai", "anthropic"], schedule_delay_s=0.05)
    with llm_agent.session("mixed-1", user_id="alice"), llm_agent.trace("answer"):
        openai_client().chat.completions.create(model=OPENAI_MODEL, messages=[{"role": "user", "content": "x"}])
        with cassette("test_anthropic_prompt_caching"):
            # Anthropic: 4 uncached input tokens + 1163 written to the cache -> 1167 input tokens.
            anthropic_client().messages.create(**recorded_request("test_anthropic_prompt_caching", 0))
        with cassette("test_anthropic_message_streaming"):
            for _ in anthropic_client().messages.create(**recorded_request("test_anthropic_message_streaming")):
                pass
    assert llm_agent.flush(10.0)
    llm_agent.shutdown()

    with llm_agent.analysis.open(sink) as store:
        (summary,) = store.sessions()
        assert (summary.session_id, summary.user_id, summary.traces, summary.llm_calls) == ("mixed-1", "alice", 1, 3)
        # One root + three LLM spans: the Anthropic SDK's own request spans were not duplicated.
        assert summary.spans == 4
        assert (summary.input_tokens, summary.output_tokens) == (20 + 1167 + 17, 5 + 187 + 171)
        assert summary.total_tokens == summary.input_tokens + summary.output_tokens
        assert summary.cache_read_tokens == 8
        assert (summary.errors, summary.usage_missing_calls) == (0, 0)
        assert sorted(summary.models) == sorted([OPENAI_MODEL, SONNET, HAIKU])

        detail = store.session("mixed-1")
        (trace,) = detail.traces
        assert (trace.name, trace.llm_calls, trace.input_tokens) == ("answer", 3, 1204)

        models = {m.model: m for m in store.models()}
        assert set(models) == {OPENAI_MODEL, SONNET, HAIKU}
        assert {name: (m.providers, m.requests, m.input_tokens, m.output_tokens) for name, m in models.items()} == {
            OPENAI_MODEL: (("openai",), 1, 20, 5),
            SONNET: (("anthropic",), 1, 1167, 187),
            HAIKU: (("anthropic",), 1, 17, 171),
        }
        sonnet = store.model(SONNET)
        assert (sonnet.providers, sonnet.requests, sonnet.errors) == (("anthropic",), 1, 0)
        assert (sonnet.input_tokens, sonnet.output_tokens, sonnet.cache_read_tokens) == (1167, 187, 0)
        assert sonnet.finish_reasons == {"end_turn": 1}
        haiku = store.model(HAIKU)
        assert (haiku.ttft.count, sonnet.ttft.count) == (1, 0)  # only the streamed call has a TTFT
        gpt = store.model(OPENAI_MODEL)
        assert (gpt.input_tokens, gpt.cache_read_tokens, gpt.finish_reasons) == (20, 8, {"stop": 1})
