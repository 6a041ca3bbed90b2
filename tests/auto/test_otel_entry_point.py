"""``opentelemetry-instrument`` loads llm_agent through its entry point; with our launcher too, once."""

from __future__ import annotations

import importlib.metadata
import os
import sys
from pathlib import Path

import pytest
from auto_helpers import PLAIN_APP, base_env, launcher, run, sink_rows, write

from llm_agent._demo.server import DemoServer

OTEL_INSTRUMENT = os.path.join(os.path.dirname(sys.executable), "opentelemetry-instrument")

pytestmark = pytest.mark.skipif(
    not os.path.exists(OTEL_INSTRUMENT)
    or not importlib.metadata.entry_points(group="opentelemetry_instrumentor", name="llm_agent"),
    reason="needs opentelemetry-instrumentation and llm-agent installed (pip install -e '.[test]')",
)


def test_entry_point_is_ours() -> None:
    (ep,) = importlib.metadata.entry_points(group="opentelemetry_instrumentor", name="llm_agent")
    from llm_agent.auto.otel import LLMAgentInstrumentor

    assert ep.load() is LLMAgentInstrumentor
    from opentelemetry.instrumentation.instrumentor import BaseInstrumentor

    assert issubclass(LLMAgentInstrumentor, BaseInstrumentor)


@pytest.mark.parametrize(
    "prefix",
    [
        pytest.param(lambda: [OTEL_INSTRUMENT], id="opentelemetry-instrument"),
        pytest.param(lambda: [OTEL_INSTRUMENT, *launcher()], id="opentelemetry-instrument+llm-agent-instrument"),
        pytest.param(lambda: [*launcher(), OTEL_INSTRUMENT], id="llm-agent-instrument+opentelemetry-instrument"),
    ],
)
def test_each_call_recorded_once(tmp_path: Path, server: DemoServer, prefix) -> None:
    app = write(tmp_path / "app.py", PLAIN_APP)
    env = base_env(tmp_path, server, LLM_AGENT_SESSION_ID="otel-s", OTEL_TRACES_EXPORTER="none",
                   OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none")  # fmt: skip
    result = run([*prefix(), sys.executable, str(app)], env, cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("answer: About")
    rows = sink_rows(tmp_path / "sink.sqlite")
    assert [(r["name"], r["session_id"]) for r in rows] == [("chat gpt-4o-mini", "otel-s")]


def test_instrumentor_stops_only_the_agent_it_started(monkeypatch: pytest.MonkeyPatch) -> None:
    import llm_agent
    from llm_agent import _agent
    from llm_agent.auto.otel import LLMAgentInstrumentor

    monkeypatch.setenv("LLM_AGENT_BACKENDS", "memory")
    monkeypatch.setenv("LLM_AGENT_INSTRUMENT", "openai")
    inst = LLMAgentInstrumentor()
    inst.instrument()
    started = _agent.get_agent()
    assert started is not None and started.instrumented == ["openai"]
    inst.uninstrument()
    assert _agent.get_agent() is None

    own = llm_agent.init()  # the app's (or the launcher's) agent: the entry point must leave it alone
    inst.instrument()
    assert _agent.get_agent() is own
    inst.uninstrument()
    assert _agent.get_agent() is own
