"""One session calling Cohere, Ollama and Anthropic in one trace (a small retrieval pipeline):
the sink's rollups and the model analysis count each call once, rerank adds no tokens, unknown
usage is counted as unknown.

Real SDKs replaying recorded exchanges (vcrpy), spans to a real SQLite sink file, read back with
``llm_agent.analysis``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ollama

import llm_agent
import llm_agent.analysis
from tests.anthropic.anthropic_helpers import client as anthropic_client
from tests.anthropic.anthropic_helpers import recorded_request as anthropic_request
from tests.cohere.cohere_helpers import cassette as cohere_cassette
from tests.cohere.cohere_helpers import recorded_client as cohere_client
from tests.cohere.cohere_helpers import recorded_request as cohere_request
from tests.ollama.ollama_helpers import cassette as ollama_cassette
from tests.ollama.ollama_helpers import recorded_request as ollama_request

SONNET = "claude-3-5-sonnet-20240620"
EMBED, RERANK, JOKE = "test_cohere_v2_embed_legacy", "test_cohere_v2_rerank_legacy", "test_cohere_v2_chat_legacy"
JOKE_STREAM = "test_cohere_v2_chat_legacy_with_streaming"


def test_one_session_cohere_ollama_anthropic(tmp_path: Path, cassette: Any) -> None:
    sink = tmp_path / "sink.db"
    llm_agent.init(
        backends=["sqlite"], sink_path=str(sink), instrument=["cohere", "ollama", "anthropic"], schedule_delay_s=0.05
    )
    try:
        co = cohere_client()
        with llm_agent.session("rag-1", user_id="dana"), llm_agent.trace("answer"):
            with cohere_cassette(EMBED):
                co.embed(**cohere_request(EMBED))  # 208 input tokens
            with cohere_cassette(RERANK):
                co.rerank(**cohere_request(RERANK))  # no tokens: 1 search unit
            with cohere_cassette(JOKE):
                co.chat(**cohere_request(JOKE))  # 69 in, 89 out
            with cohere_cassette(JOKE_STREAM):
                list(co.chat_stream(**cohere_request(JOKE_STREAM)))  # 69 in, 110 out
            with ollama_cassette("test_chat_stream"):
                list(ollama.chat(**ollama_request("test_chat_stream")))  # 21 in, 889 out
            with ollama_cassette("test_ollama_embeddings_legacy"):
                ollama.embeddings(**ollama_request("test_ollama_embeddings_legacy"))  # usage unknown
            with cassette("test_anthropic_prompt_caching"):
                anthropic_client().messages.create(**anthropic_request("test_anthropic_prompt_caching", 0))  # 1167/187
        assert llm_agent.flush(10.0)
    finally:
        llm_agent.shutdown()

    with llm_agent.analysis.open(sink) as store:
        (summary,) = store.sessions()
        assert (summary.session_id, summary.user_id, summary.traces) == ("rag-1", "dana", 1)
        # The root, six LLM/embedding calls and the rerank span; only the first six are calls with usage.
        assert (summary.spans, summary.llm_calls) == (8, 6)
        assert (summary.input_tokens, summary.output_tokens) == (208 + 69 + 69 + 21 + 1167, 89 + 110 + 889 + 187)
        assert (summary.usage_missing_calls, summary.errors, summary.cache_read_tokens) == (1, 0, 0)
        # The session lists every model it used, the reranker's too; the model analysis (below) is of
        # the models whose calls have token usage.
        assert sorted(summary.models) == sorted(
            ["command", "embed-english-light-v3.0", "llama3", "qwen3.6:latest", "rerank-english-v3.0", SONNET]
        )
        models = {m.model: (m.providers, m.requests, m.input_tokens, m.output_tokens) for m in store.models()}
        assert models == {
            "command": (("cohere",), 2, 138, 199),
            "embed-english-light-v3.0": (("cohere",), 1, 208, 0),
            "qwen3.6:latest": (("ollama",), 1, 21, 889),
            "llama3": (("ollama",), 1, 0, 0),  # its usage is unknown: counted as a call, no tokens
            SONNET: (("anthropic",), 1, 1167, 187),
        }
        command = store.model("command")
        assert (command.requests, command.finish_reasons, command.ttft.count) == (2, {"COMPLETE": 2}, 1)
        (trace,) = store.session("rag-1").traces
        assert (trace.name, trace.llm_calls, trace.input_tokens) == ("answer", 6, 1534)
