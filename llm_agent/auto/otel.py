"""``opentelemetry-instrument`` support: the ``opentelemetry_instrumentor`` entry point ``llm_agent``.

Registered under its own name (``openai`` is claimed by three other packages), it starts
llm_agent with ``init()`` from the ``LLM_AGENT_*`` variables, on the tracer provider the OTel
distro configured if there is one.  ``init()`` is idempotent and our instrumentors patch once, so
using it together with ``llm-agent-instrument`` or an explicit ``llm_agent.init()`` records every
call once.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

try:
    from opentelemetry.instrumentation.instrumentor import BaseInstrumentor
except ImportError:  # opentelemetry-instrumentation is optional; keep the class importable anyway

    class BaseInstrumentor:  # type: ignore[no-redef]
        def instrument(self, **kwargs: Any) -> None:
            self._instrument(**kwargs)

        def uninstrument(self, **kwargs: Any) -> None:
            self._uninstrument(**kwargs)


class LLMAgentInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Starts llm_agent (every supported LLM library that is installed, or ``LLM_AGENT_INSTRUMENT``)."""

    _started_agent = False

    def instrumentation_dependencies(self) -> Collection[str]:
        # Nothing to check here: init() instruments whichever supported libraries are installed.
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        from llm_agent import _agent
        from llm_agent.auto import _bootstrap

        if _agent.get_agent() is not None:
            return  # already started (by the launcher's hook or the app): nothing to add
        self._started_agent = _bootstrap.start()

    def _uninstrument(self, **kwargs: Any) -> None:
        if self._started_agent:
            import llm_agent

            self._started_agent = False
            llm_agent.shutdown()
