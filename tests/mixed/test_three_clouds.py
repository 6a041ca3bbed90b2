"""One session whose traces call OpenAI, Gemini and Bedrock: the rollups, ``models()`` and each
``model()`` count all three, each under its own provider.

Real SDKs end to end: OpenAI on the SDK's mock transport, Gemini against a loopback server,
Bedrock replaying a recorded exchange (vcrpy); spans go to a real SQLite sink file, read back with
``llm_agent.analysis``.
"""

from __future__ import annotations

import json
from pathlib import Path

import llm_agent
import llm_agent.analysis
from tests.bedrock.bedrock_helpers import client as bedrock_client
from tests.bedrock.bedrock_helpers import recorded_converse, use_cassette
from tests.google_genai.genai_helpers import Loopback, gemini_client, loopback, response_json
from tests.mixed.test_mixed_workload import OPENAI_MODEL, openai_client

__all__ = ["loopback"]  # the loopback server fixture, used below

GEMINI_MODEL = "gemini-2.0-flash"
TITAN = "amazon.titan-text-lite-v1"  # the model of the recorded Converse exchange: 8 in, 10 out


def test_one_session_three_clouds(tmp_path: Path, loopback: Loopback) -> None:
    sink = tmp_path / "sink.db"
    instrument = ["openai", "google_genai", "bedrock"]
    llm_agent.init(backends=["sqlite"], sink_path=str(sink), instrument=instrument, schedule_delay_s=0.05)
    usage = {"promptTokenCount": 30, "candidatesTokenCount": 6, "thoughtsTokenCount": 4, "cachedContentTokenCount": 12}
    loopback.reply(200, json.dumps(response_json("ok", model=GEMINI_MODEL, usage=usage)).encode())
    with llm_agent.session("clouds-1", user_id="dana"):
        with llm_agent.trace("plan"):
            openai_client().chat.completions.create(model=OPENAI_MODEL, messages=[{"role": "user", "content": "x"}])
            gemini_client(loopback.base_url).models.generate_content(model=GEMINI_MODEL, contents="hi")
        with llm_agent.trace("act"), use_cassette("test_converse_with_content"):
            bedrock_client().converse(**recorded_converse("test_converse_with_content"))
    assert llm_agent.flush(10.0)
    llm_agent.shutdown()

    with llm_agent.analysis.open(sink) as store:
        (summary,) = store.sessions()
        assert (summary.session_id, summary.user_id, summary.traces, summary.llm_calls) == ("clouds-1", "dana", 2, 3)
        # OpenAI 20 in (8 cached) / 5 out; Gemini 30 in (12 cached) / 6 + 4 thinking out; Bedrock 8 / 10.
        assert (summary.input_tokens, summary.output_tokens) == (20 + 30 + 8, 5 + 10 + 10)
        assert summary.total_tokens == summary.input_tokens + summary.output_tokens
        assert (summary.cache_read_tokens, summary.errors, summary.usage_missing_calls) == (8 + 12, 0, 0)
        assert sorted(summary.models) == sorted([OPENAI_MODEL, GEMINI_MODEL, TITAN])

        models = {m.model: (m.providers, m.requests, m.input_tokens, m.output_tokens) for m in store.models()}
        assert models == {
            OPENAI_MODEL: (("openai",), 1, 20, 5),
            GEMINI_MODEL: (("gcp.gemini",), 1, 30, 10),
            TITAN: (("aws.bedrock",), 1, 8, 10),
        }
        for name, provider, tokens in (
            (OPENAI_MODEL, "openai", (20, 5)),
            (GEMINI_MODEL, "gcp.gemini", (30, 10)),
            (TITAN, "aws.bedrock", (8, 10)),
        ):
            detail = store.model(name)
            assert (detail.providers, detail.requests, detail.errors) == ((provider,), 1, 0), name
            assert (detail.input_tokens, detail.output_tokens) == tokens, name
        assert store.model(GEMINI_MODEL).reasoning_tokens == 4
