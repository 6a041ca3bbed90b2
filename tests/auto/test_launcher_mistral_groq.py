"""``llm-agent-instrument`` finds Mistral and Groq when they are installed: an unmodified
Mistral app (its endpoint the local OpenAI-compatible demo server, whose models it asks for) is recorded without naming
any library to instrument."""

from __future__ import annotations

import sys
from pathlib import Path

from auto_helpers import ROOT, base_env, run_instrumented, sink_rows, write

from llm_agent._demo.server import DemoServer
from llm_agent.instrumentation import installed_libraries

MISTRAL_APP = """
    import os
    from mistralai.client import Mistral

    client = Mistral(api_key="test_mistral_api_key", server_url=os.environ["DEMO_SERVER"])
    reply = client.chat.complete(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
    print("tokens:", reply.usage.prompt_tokens, reply.usage.completion_tokens)
"""


def test_both_are_detected_as_installed() -> None:
    assert {"mistralai", "groq"} <= set(installed_libraries())


def test_unmodified_mistral_app_is_recorded_by_auto_detection(tmp_path: Path, server: DemoServer) -> None:
    app = write(tmp_path / "app.py", MISTRAL_APP)
    # PYTHONPATH: the app imports llm_agent from this checkout, whichever copy is installed.
    env = base_env(tmp_path, server, DEMO_SERVER=server.base_url.removesuffix("/v1"), PYTHONPATH=str(ROOT))
    del env["LLM_AGENT_INSTRUMENT"]  # every supported library that is installed
    result = run_instrumented([sys.executable, str(app)], env)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("tokens:"))
    tokens = tuple(int(n) for n in line.split()[1:])
    (row,) = sink_rows(tmp_path / "sink.sqlite")
    assert row == {
        "name": "chat gpt-4o-mini", "session_id": None, "user_id": None, "span_kind": "LLM",
        "model": "gpt-4o-mini", "response_model": "gpt-4o-mini-2024-07-18", "input_tokens": tokens[0],
        "output_tokens": tokens[1], "service_name": "app", "status": "UNSET",
    }  # fmt: skip
