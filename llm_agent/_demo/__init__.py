"""`llm-agent demo`: an offline tour (see run.py); the local OpenAI-compatible server is in server.py."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `llm-agent demo` (imports lazily: the CLI must stay quick)."""
    from llm_agent._demo.run import main as run_main

    return run_main(argv)
