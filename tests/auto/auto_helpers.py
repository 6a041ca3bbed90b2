"""Helpers for running real apps under ``llm-agent-instrument`` against the local demo server."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from llm_agent._demo.server import DemoServer

ROOT = Path(__file__).resolve().parents[2]

#: An unmodified app: it knows nothing of llm_agent and takes the endpoint from OPENAI_BASE_URL.
PLAIN_APP = textwrap.dedent(
    """
    import openai

    client = openai.OpenAI(max_retries=0)
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Summarise the release notes"}]
    )
    print("answer:", reply.choices[0].message.content)
    print("tokens:", reply.usage.prompt_tokens, reply.usage.completion_tokens)
    """
)


@pytest.fixture
def server() -> Iterator[DemoServer]:
    with DemoServer(latency_scale=0.0) as srv:
        yield srv


def base_env(tmp_path: Path, server: DemoServer, **extra: str) -> dict[str, str]:
    """The test process's environment minus anything llm_agent or Python-path related."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_AGENT_", "OTEL_", "PYTHON"))}
    env.update(
        OPENAI_BASE_URL=server.base_url,
        OPENAI_API_KEY="test_openai_api_key",
        LLM_AGENT_SINK_PATH=str(tmp_path / "sink.sqlite"),
        LLM_AGENT_SCHEDULE_DELAY_S="0.05",
        LLM_AGENT_INSTRUMENT="openai",
    )
    env.update(extra)
    return env


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def run(args: list[str], env: Mapping[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def launcher() -> list[str]:
    """``llm-agent-instrument`` from this checkout (run as a module: the package need not be installed)."""
    # -E: the launcher process itself ignores the PYTHONPATH under test (the app it starts does not).
    return [sys.executable, "-E", "-m", "llm_agent.auto.launcher"]


def run_instrumented(args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return run([*launcher(), *args], env, cwd=ROOT)


def sink_rows(path: Path) -> list[dict[str, Any]]:
    """The spans in the sink, oldest first (the columns these tests check)."""
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT name, session_id, user_id, span_kind, model, response_model, input_tokens, output_tokens, "
            "service_name, status "
            "FROM spans ORDER BY start_ns"
        ).fetchall()
    return [dict(r) for r in rows]
