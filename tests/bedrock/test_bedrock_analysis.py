"""Bedrock spans in the SQLite sink: session rollups, ``models()`` and ``model()`` count them.

Real boto3 against recorded exchanges, a real SQLite sink file, read back with ``llm_agent.analysis``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import llm_agent
import llm_agent.analysis
from tests.bedrock.bedrock_helpers import client, recorded_converse, recorded_invoke

TITAN = "amazon.titan-text-lite-v1"
NOVA = "amazon.nova-micro-v1:0"
#: The analysis groups by the request model (the Claude body's own name is gen_ai.response.model).
HAIKU = "anthropic.claude-3-5-haiku-20241022-v1:0"


def test_one_session_of_bedrock_calls(tmp_path: Path, cassette: Any) -> None:
    sink = tmp_path / "sink.db"
    llm_agent.init(backends=["sqlite"], sink_path=str(sink), instrument=["bedrock"], schedule_delay_s=0.05)
    c = client()
    with llm_agent.session("bedrock-1", user_id="carol"), llm_agent.trace("answer"):
        with cassette("test_converse_with_content"):
            c.converse(**recorded_converse("test_converse_with_content"))  # 8 in, 10 out
        with cassette("test_invoke_model_cache_tokens"):
            # Claude: 4 uncached input tokens + 18131 written to the cache -> 18135 input tokens.
            c.invoke_model(**recorded_invoke("test_invoke_model_cache_tokens"))["body"].read()
        with cassette("test_invoke_model_with_response_stream_with_content[amazon.nova]"):
            name = "test_invoke_model_with_response_stream_with_content[amazon.nova]"
            for _ in c.invoke_model_with_response_stream(**recorded_invoke(name))["body"]:  # 5 in, 10 out
                pass
    assert llm_agent.flush(10.0)
    llm_agent.shutdown()

    with llm_agent.analysis.open(sink) as store:
        (summary,) = store.sessions()
        assert (summary.session_id, summary.user_id, summary.traces, summary.llm_calls) == ("bedrock-1", "carol", 1, 3)
        assert (summary.input_tokens, summary.output_tokens) == (8 + 18135 + 5, 10 + 50 + 10)
        assert (summary.errors, summary.usage_missing_calls) == (0, 0)
        models = {m.model: m for m in store.models()}
        assert {name: (m.providers, m.requests, m.input_tokens, m.output_tokens) for name, m in models.items()} == {
            TITAN: (("aws.bedrock",), 1, 8, 10),
            HAIKU: (("aws.bedrock",), 1, 18135, 50),
            NOVA: (("aws.bedrock",), 1, 5, 10),
        }
        detail = store.model(HAIKU)
        assert (detail.providers, detail.requests, detail.errors) == (("aws.bedrock",), 1, 0)
        assert (detail.input_tokens, detail.output_tokens, detail.cache_read_tokens) == (18135, 50, 0)
        assert detail.finish_reasons == {"max_tokens": 1}
        nova = store.model(NOVA)
        assert nova.ttft is not None and nova.ttft.count == 1
