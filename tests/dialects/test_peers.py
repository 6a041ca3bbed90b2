"""Real peer instrumentations, exported with the standard OTLP/HTTP exporter to ``llm-agent
collect``, give the same session and model analysis as llm_agent's own spans of that workload.

Each peer runs ``peer_workload.py`` in its own environment (they patch the same SDK and pin
different openai / util-genai releases); ``.ci/run`` builds them, otherwise the test skips saying
how.  The workload's local server is seeded, so every run gets the same replies and token counts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import llm_agent.analysis
from llm_agent._collect import _server

ROOT = Path(__file__).resolve().parents[2]
WORKLOAD = Path(__file__).resolve().parent / "peer_workload.py"
#: peer -> (environment, the package it needs there)
PEERS = {
    "openinference": (".venv-peers", "openinference.instrumentation.openai"),
    "openllmetry": (".venv-peers", "opentelemetry.instrumentation.openai"),
    "genai_openai": (".venv-peers", "opentelemetry.instrumentation.genai.openai"),
    "otel_v2": (".venv-peers-v2", "opentelemetry.instrumentation.openai_v2"),
}
WINDOW = {"since": "3650d"}


def _python(venv: str, module: str) -> str:
    python = ROOT / venv / "bin" / "python"
    if not python.exists():
        pytest.skip(f"{venv}/ is absent; .ci/run creates it (see docs/collect.md, 'Testing against the peers')")
    found = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True, cwd=ROOT, check=False)
    if found.returncode != 0:
        pytest.skip(f"{module} is not installed in {venv}/")
    return str(python)


def _run(python: str, *args: str) -> None:
    """``peer_workload.py args`` (or ``--script PATH args``) under ``python``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OTEL_SDK_DISABLED": "false"}
    env.pop("LLM_AGENT_BACKENDS", None)
    script, rest = (args[1], args[2:]) if args[:1] == ("--script",) else (str(WORKLOAD), args)
    done = subprocess.run([python, script, *rest], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def _numbers(path: str) -> dict[str, Any]:
    """What must agree: per session, per trace of it, per model (not span counts or durations:
    a peer's tree has other spans around the calls)."""
    with llm_agent.analysis.open(path) as store:
        sessions = {
            s.session_id: (s.user_id, s.traces, s.llm_calls, s.input_tokens, s.output_tokens, s.cache_read_tokens,
                           s.usage_missing_calls, s.errors, s.models)
            for s in store.sessions(**WINDOW, limit=None)
        }  # fmt: skip
        traces = {}
        for sid in sessions:
            detail = store.session(sid)
            assert detail is not None
            traces[sid] = [(t.name, t.llm_calls, t.input_tokens, t.output_tokens, t.models) for t in detail.traces]
        models = [(m.model, m.providers, m.requests, m.errors, m.input_tokens, m.output_tokens)
                  for m in store.models(**WINDOW)]  # fmt: skip
        per_model = {}
        for m in store.models(**WINDOW):
            a = store.model(m.model, **WINDOW)
            per_model[m.model] = (a.requests, a.errors, a.input_tokens, a.output_tokens, a.cache_read_tokens,
                                  a.usage_missing_calls, a.avg_input_tokens, a.avg_output_tokens)  # fmt: skip
    return {"sessions": sessions, "traces": traces, "models": models, "model": per_model}


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    sink = str(tmp_path_factory.mktemp("ours") / "sink.sqlite")
    _run(sys.executable, "llm_agent", sink)
    numbers = _numbers(sink)
    assert len(numbers["sessions"]) == 3 and len(numbers["models"]) == 3
    return numbers


@pytest.mark.parametrize("peer", sorted(PEERS))
def test_a_peers_spans_through_collect_give_our_numbers(peer: str, ours: dict[str, Any], tmp_path: Path) -> None:
    python = _python(*PEERS[peer])
    server, ingest = _server.start(str(tmp_path / "sink.sqlite"), "127.0.0.1", 0)
    try:
        _run(python, peer, f"{server.endpoint}/v1/traces")
    finally:
        _server.stop(server)
    assert ingest.stats()["rejected"] == 0
    assert _numbers(str(ingest.sink_path)) == ours
