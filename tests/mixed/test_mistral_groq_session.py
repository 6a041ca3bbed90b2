"""One session calling Mistral and Groq (recorded exchanges and an API error) into a real SQLite
sink, read back with ``llm_agent.analysis``: exact rollups, and each provider in model analysis."""

from __future__ import annotations

from pathlib import Path

import groq
import pytest

import llm_agent
import llm_agent.analysis
from tests._recorded import recorder
from tests.groq.groq_helpers import recorded_client as groq_client
from tests.groq.groq_helpers import request_of as groq_request
from tests.mistralai.mistral_helpers import recorded_client as mistral_client
from tests.mistralai.mistral_helpers import request_of as mistral_request

CACHE = "test_mistral_history_uses_prompt_cache"
TOOLS = "test_tool_use_failed_error"


def test_one_session_mistral_and_groq(tmp_path: Path) -> None:
    sink = tmp_path / "sink.db"
    llm_agent.init(backends=["sqlite"], sink_path=str(sink), instrument=["mistralai", "groq"], schedule_delay_s=0.05)
    mistral, groq_cassette = recorder("mistralai"), recorder("groq")
    with llm_agent.session("mg-1", user_id="ada"), llm_agent.trace("answer"):
        with mistral("test_mistralai_streaming_chat_legacy"):  # mistral-tiny, streamed: 11 in, 80 out
            for _ in mistral_client().chat.stream(**mistral_request("test_mistralai_streaming_chat_legacy")):
                pass
        with mistral(CACHE):  # mistral-large-latest: 253 + 268 in (224 cached), 5 + 5 out
            client = mistral_client()
            client.chat.complete(**mistral_request(CACHE, 0))
            client.chat.complete(**mistral_request(CACHE, 1))
        with mistral("test_mistral_embeddings_legacy"):  # mistral-embed: 10 in
            mistral_client().embeddings.create(**mistral_request("test_mistral_embeddings_legacy"))
        with groq_cassette(TOOLS):  # gpt-oss-120b: a 400, then 301 + 336 in (256 cached), 52 + 96 out
            client = groq_client()
            with pytest.raises(groq.BadRequestError):
                client.chat.completions.create(**groq_request(TOOLS, 0))
            client.chat.completions.create(**groq_request(TOOLS, 1))
            client.chat.completions.create(**groq_request(TOOLS, 2))
        with groq_cassette("test_chat_streaming_legacy"):  # llama3-8b-8192, streamed: 18 in, 73 out
            for _ in groq_client().chat.completions.create(**groq_request("test_chat_streaming_legacy")):
                pass
    assert llm_agent.flush(10.0)
    llm_agent.shutdown()

    with llm_agent.analysis.open(sink) as store:
        (summary,) = store.sessions()
        assert (summary.session_id, summary.user_id, summary.traces) == ("mg-1", "ada", 1)
        assert summary.spans == 1 + 8  # the trace's root and one span per call
        assert summary.input_tokens == 11 + 253 + 268 + 10 + 301 + 336 + 18
        assert summary.output_tokens == 80 + 5 + 5 + 52 + 96 + 73
        assert summary.cache_read_tokens == 224 + 256
        assert (summary.errors, summary.usage_missing_calls) == (1, 1)  # the failed call: usage unknown

        models = {m.model: (m.providers, m.requests, m.errors, m.input_tokens, m.output_tokens)
                  for m in store.models()}
        assert models == {
            "mistral-tiny": (("mistral_ai",), 1, 0, 11, 80),
            "mistral-large-latest": (("mistral_ai",), 2, 0, 521, 10),
            "mistral-embed": (("mistral_ai",), 1, 0, 10, 0),
            "openai/gpt-oss-120b": (("groq",), 3, 1, 637, 148),
            "llama3-8b-8192": (("groq",), 1, 0, 18, 73),
        }
        oss = store.model("openai/gpt-oss-120b")
        assert (oss.error_types, oss.cache_read_tokens, oss.reasoning_tokens) == ({"groq.BadRequestError": 1}, 256, 81)
        assert oss.finish_reasons == {"tool_calls": 1, "stop": 1}
        large = store.model("mistral-large-latest")
        assert (large.providers, large.cache_read_tokens, large.ttft.count) == (("mistral_ai",), 224, 0)
        assert store.model("llama3-8b-8192").ttft.count == 1  # the streamed call's time to first chunk
