"""An unmodified app calling ``ollama.chat`` under ``llm-agent-instrument``: Ollama is detected as
installed, patched when the app imports it, and the module function is recorded once in the sink.

The app talks to a loopback HTTP server answering as an Ollama server does (``/api/chat``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.ollama.ollama_helpers import CHAT_BODY, MODEL

ROOT = Path(__file__).resolve().parents[2]
APP = textwrap.dedent(
    """
    import ollama

    reply = ollama.chat(model="llama3.2:1b", messages=[{"role": "user", "content": "hi"}])
    print("answer:", reply.message.content, reply.prompt_eval_count, reply.eval_count)
    """
)


class _Ollama(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # the http.server API names it
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps(CHAT_BODY).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Ollama)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_unmodified_app_is_recorded(tmp_path: Path, server: str) -> None:
    app = tmp_path / "app.py"
    app.write_text(APP)
    sink = tmp_path / "sink.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLM_AGENT_", "OTEL_", "PYTHON", "OLLAMA_"))}
    # This checkout's llm_agent in the app's process too (the launcher puts its hook before it).
    env.update(OLLAMA_HOST=server, LLM_AGENT_SINK_PATH=str(sink), LLM_AGENT_SCHEDULE_DELAY_S="0.05",
               LLM_AGENT_SESSION_ID="local-1", PYTHONPATH=str(ROOT))
    launcher = [sys.executable, "-E", "-m", "llm_agent.auto.launcher"]
    result = subprocess.run([*launcher, sys.executable, str(app)], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "answer: ok 11 4\n"
    with sqlite3.connect(sink) as conn:
        rows = conn.execute(
            "SELECT name, session_id, span_kind, provider, model, input_tokens, output_tokens, status FROM spans"
        ).fetchall()
    assert rows == [(f"chat {MODEL}", "local-1", "LLM", "ollama", MODEL, 11, 4, "UNSET")]
