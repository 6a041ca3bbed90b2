"""Zero-code instrumentation: ``llm-agent-instrument python app.py``.

``launcher`` puts ``_site/`` (holding only ``sitecustomize.py``) first on ``PYTHONPATH`` and execs
the command; Python runs that ``sitecustomize`` at start-up in the app and in every Python child
process, and it calls ``llm_agent.init()`` from the ``LLM_AGENT_*`` variables (``_bootstrap``).
``otel.LLMAgentInstrumentor`` lets ``opentelemetry-instrument`` start llm_agent the same way.
See docs/auto-instrumentation.md.
"""

from __future__ import annotations

import os
from typing import Final

#: The directory the launcher puts on PYTHONPATH.  It holds nothing but sitecustomize.py (and an
#: empty __init__.py so packaging ships it), so no other top-level name is shadowed in the app.
SITE_DIR: Final = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_site")

__all__ = ["SITE_DIR"]
