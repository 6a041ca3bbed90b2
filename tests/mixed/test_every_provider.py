"""One session across every non-OpenAI provider: Anthropic, Gemini, Bedrock, Cohere, Ollama,
Mistral, Groq, DashScope and LiteLLM, one call each, in two traces.  The sink's rollups and the
model analysis count every call once, under its own provider.

Real SDKs end to end: recorded exchanges (vcrpy), the SDKs' mock transports and loopback servers;
spans go to a real SQLite sink file, read back with ``llm_agent.analysis``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before litellm is imported: no network

import litellm
import ollama

import llm_agent
import llm_agent.analysis
from tests._recorded import recorder
from tests.anthropic.anthropic_helpers import client as anthropic_client
from tests.anthropic.anthropic_helpers import recorded_request as anthropic_request
from tests.bedrock.bedrock_helpers import client as bedrock_client
from tests.bedrock.bedrock_helpers import recorded_converse, use_cassette
from tests.cohere.cohere_helpers import cassette as cohere_cassette
from tests.cohere.cohere_helpers import recorded_client as cohere_client
from tests.cohere.cohere_helpers import recorded_request as cohere_request
from tests.dashscope.dashscope_helpers import MockAPI as DashScopeAPI
from tests.google_genai.genai_helpers import Loopback, gemini_client, loopback, response_json
from tests.groq.groq_helpers import recorded_client as groq_client
from tests.groq.groq_helpers import request_of as groq_request
from tests.litellm import loopback as lb
from tests.litellm.loopback import Loopback as LiteLLMLoopback
from tests.mistralai.mistral_helpers import recorded_client as mistral_client
from tests.mistralai.mistral_helpers import request_of as mistral_request
from tests.ollama.ollama_helpers import cassette as ollama_cassette
from tests.ollama.ollama_helpers import recorded_request as ollama_request

__all__ = ["loopback"]  # Gemini's loopback server fixture, used below

SONNET = "claude-3-5-sonnet-20240620"
GEMINI = "gemini-2.0-flash"
TITAN = "amazon.titan-text-lite-v1"
COHERE_CHAT = "test_cohere_v2_chat_legacy"
INSTRUMENT = ["anthropic", "google_genai", "bedrock", "cohere", "ollama", "mistralai", "groq", "dashscope", "litellm"]
#: model -> (provider, input tokens, output tokens) of its one call; the comments say where from.
EXPECTED = {
    SONNET: ("anthropic", 1167, 187),  # 4 uncached + 1163 written to the cache
    GEMINI: ("gcp.gemini", 30, 6),
    TITAN: ("aws.bedrock", 8, 10),
    "command": ("cohere", 69, 89),
    "qwen3.6:latest": ("ollama", 21, 889),
    "mistral-tiny": ("mistral_ai", 11, 80),
    "llama3-8b-8192": ("groq", 18, 73),
    "qwen-plus": ("dashscope", 12, 5),  # 4 of them read from the cache
    lb.ANTHROPIC_MODEL: ("anthropic", 15, 6),  # through LiteLLM: 12 + 2 cache read + 1 cache write
}


def test_one_session_every_non_openai_provider(tmp_path: Path, cassette: Any, loopback: Loopback) -> None:
    sink = tmp_path / "sink.db"
    llm_agent.init(backends=["sqlite"], sink_path=str(sink), instrument=INSTRUMENT, schedule_delay_s=0.05)
    usage = {"promptTokenCount": 30, "candidatesTokenCount": 6}
    loopback.reply(200, json.dumps(response_json("ok", model=GEMINI, usage=usage)).encode())
    mistral, groq_cassette = recorder("mistralai"), recorder("groq")
    try:
        with LiteLLMLoopback() as gateway, llm_agent.session("every-1", user_id="erin"):
            with llm_agent.trace("cloud"):
                with cassette("test_anthropic_prompt_caching"):
                    anthropic_client().messages.create(**anthropic_request("test_anthropic_prompt_caching", 0))
                gemini_client(loopback.base_url).models.generate_content(model=GEMINI, contents="hi")
                with use_cassette("test_converse_with_content"):
                    bedrock_client().converse(**recorded_converse("test_converse_with_content"))
                with cohere_cassette(COHERE_CHAT):
                    cohere_client().chat(**cohere_request(COHERE_CHAT))
            with llm_agent.trace("local-and-gateways"):
                with ollama_cassette("test_chat_stream"):
                    list(ollama.chat(**ollama_request("test_chat_stream")))
                with mistral("test_mistralai_streaming_chat_legacy"):
                    list(mistral_client().chat.stream(**mistral_request("test_mistralai_streaming_chat_legacy")))
                with groq_cassette("test_chat_streaming_legacy"):
                    list(groq_client().chat.completions.create(**groq_request("test_chat_streaming_legacy")))
                DashScopeAPI().client().chat.completions.create(model="qwen-plus", messages="hi")
                gateway.arrange("ok")
                litellm.completion(
                    model=f"anthropic/{lb.ANTHROPIC_MODEL}", messages=[{"role": "user", "content": "hi"}],
                    max_tokens=10, api_base=gateway.anthropic_base, api_key="test_anthropic_api_key",
                )  # fmt: skip
        assert llm_agent.flush(10.0)
    finally:
        llm_agent.shutdown()

    with llm_agent.analysis.open(sink) as store:
        (summary,) = store.sessions()
        assert (summary.session_id, summary.user_id, summary.traces) == ("every-1", "erin", 2)
        assert (summary.llm_calls, summary.spans) == (9, 2 + 9)  # two trace roots, one span per call
        assert summary.input_tokens == sum(i for _, i, _ in EXPECTED.values())
        assert summary.output_tokens == sum(o for _, _, o in EXPECTED.values())
        assert (summary.errors, summary.usage_missing_calls) == (0, 0)
        assert sorted(summary.models) == sorted(EXPECTED)
        models = {m.model: (m.providers, m.requests, m.input_tokens, m.output_tokens) for m in store.models()}
        assert models == {name: ((p,), 1, i, o) for name, (p, i, o) in EXPECTED.items()}
        for name, (provider, inputs, outputs) in EXPECTED.items():
            detail = store.model(name)
            assert (detail.providers, detail.requests, detail.errors) == ((provider,), 1, 0), name
            assert (detail.input_tokens, detail.output_tokens) == (inputs, outputs), name
