"""What the auto-instrumentation start-up hook does once llm_agent is importable."""

from __future__ import annotations

import sys


def start() -> bool:
    """``llm_agent.init()`` from the environment; True if running.  Never raises.

    A wrong ``LLM_AGENT_*`` value prints one line naming the variable; the app then runs exactly as
    it would without llm_agent.
    """
    try:
        import llm_agent

        llm_agent.init()
        return True
    except Exception as exc:
        try:
            sys.stderr.write(f"llm_agent: auto-instrumentation is off (the app runs uninstrumented): {exc}\n")
        except Exception:  # a closed stderr must not stop the app either
            pass
        return False
