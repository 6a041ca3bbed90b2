"""Gemini API and Vertex AI calls in one session: the sink's rollups and model analysis count them.

Real SDK against recorded exchanges (vcrpy) and a loopback server; spans go to a real SQLite
sink file, read back with ``llm_agent.analysis``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import llm_agent
import llm_agent.analysis
from tests.google_genai.genai_helpers import Loopback, gemini_client, recorded_request, response_json, vertex_client

VERTEX_STREAM = "test_streaming[logcontent-gemini-2.5-flash-vertexaiapi-sync-default]"


def test_session_rollups_and_models(tmp_path: Path, cassette: Any, loopback: Loopback) -> None:
    sink = tmp_path / "sink.db"
    llm_agent.init(backends=["sqlite"], sink_path=str(sink), instrument=["google_genai"], schedule_delay_s=0.05)
    usage = {"promptTokenCount": 100, "candidatesTokenCount": 10, "cachedContentTokenCount": 60}
    loopback.reply(200, json.dumps(response_json("ok", model="gemini-2.0-flash", usage=usage)).encode())
    with llm_agent.session("gemini-1", user_id="ada"), llm_agent.trace("answer"):
        gemini_client(loopback.base_url).models.generate_content(model="gemini-2.0-flash", contents="hi")
        with cassette(VERTEX_STREAM):
            for _ in vertex_client().models.generate_content_stream(
                model="gemini-2.5-flash", contents=recorded_request(VERTEX_STREAM)["contents"]
            ):
                pass
        with cassette("test_embed_content"):
            gemini_client().models.embed_content(model="gemini-embedding-001", contents="Why is the sky blue?")
    assert llm_agent.flush(10.0)
    llm_agent.shutdown()

    with llm_agent.analysis.open(sink) as store:
        (summary,) = store.sessions()
        assert (summary.session_id, summary.user_id, summary.traces, summary.llm_calls) == ("gemini-1", "ada", 1, 3)
        assert (summary.input_tokens, summary.output_tokens) == (100 + 8, 10 + 388 + 2193)
        assert (summary.cache_read_tokens, summary.usage_missing_calls) == (60, 1)  # the embedding: unknown
        assert sorted(summary.models) == ["gemini-2.0-flash", "gemini-2.5-flash", "gemini-embedding-001"]
        models = {m.model: (m.providers, m.requests, m.input_tokens, m.avg_input_tokens) for m in store.models()}
        assert models == {
            "gemini-2.0-flash": (("gcp.gemini",), 1, 100, 100.0),
            "gemini-2.5-flash": (("gcp.vertex_ai",), 1, 8, 8.0),
            # Sums of no known count are 0; the per-call average says there was none.
            "gemini-embedding-001": (("gcp.gemini",), 1, 0, None),
        }
        flash = store.model("gemini-2.5-flash")
        assert (flash.providers, flash.requests, flash.errors, flash.ttft.count) == (("gcp.vertex_ai",), 1, 0, 1)
        assert (flash.reasoning_tokens, flash.finish_reasons) == (2193, {"stop": 1})
