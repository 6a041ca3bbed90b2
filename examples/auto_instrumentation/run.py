"""Zero-code instrumentation: run the unmodified app.py under ``llm-agent-instrument``.

    python examples/auto_instrumentation/run.py --offline

is the same as typing

    LLM_AGENT_SESSION_ID=nightly-report llm-agent-instrument python examples/auto_instrumentation/app.py

with OPENAI_BASE_URL pointing at the local demo server.  Afterwards it reads the session back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for _offline.py next door

from _offline import parser

import llm_agent.analysis

APP = Path(__file__).resolve().with_name("app.py")


def main() -> int:
    args = parser(__doc__.splitlines()[0]).parse_args()
    launcher = shutil.which("llm-agent-instrument")
    # Without the console script (package not installed), the module does the same.
    command = [launcher] if launcher else [sys.executable, "-m", "llm_agent.auto.launcher"]
    command += ["--session-id", "nightly-report", "--user-id", "batch", sys.executable, str(APP)]
    env = dict(os.environ)
    if args.offline or not env.get("OPENAI_API_KEY"):
        from llm_agent._demo.server import DemoServer

        with DemoServer() as server:
            env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="offline-demo-key")
            code = subprocess.call(command, env=env)
    else:
        code = subprocess.call(command, env=env)
    if code:
        return code
    with llm_agent.analysis.open() as store:
        detail = store.session("nightly-report")
        if detail is None:
            print("nothing recorded: see docs/troubleshooting.md", file=sys.stderr)
            return 1
        print(f"recorded: session {detail.summary.session_id}, {detail.summary.llm_calls} LLM calls in total, "
              f"{detail.summary.total_tokens} tokens")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
