"""The state the layers below the facade read, and the dispatcher on the provider, across init/shutdown."""

from __future__ import annotations

import llm_agent
from llm_agent import _state
from llm_agent.config import Settings
from llm_agent.export import _dispatcher
from llm_agent.testing import capture_spans


def test_the_state_follows_init_and_shutdown() -> None:
    assert (_state.get_settings(), _state.tracer) == (Settings(), None)
    agent = llm_agent.init(backends=["memory"], instrument=[], capture_content=True)
    assert _state.get_settings() is agent.settings and agent.settings.capture_content is True
    assert _state.get_tracer() is _state.tracer and _state.tracer is not None
    attached = _dispatcher.attached(agent.tracer_provider)
    assert attached is not None and attached.flush == agent.flush
    llm_agent.shutdown()
    assert (_state.get_settings(), _state.tracer, attached.processors, attached.flush) == (Settings(), None, (), None)


def test_the_providers_force_flush_flushes_the_running_agent() -> None:
    """The app flushing its provider exports what our queues hold (the batch delay is far away)."""
    with capture_spans(schedule_delay_s=60.0) as spans:
        _state.get_tracer().start_span("mine").end()
        provider = spans.agent.tracer_provider
        assert provider.force_flush(10_000) is True
        memory = spans.agent.pipeline.memory
        assert memory is not None and [r.name for r in memory.records] == ["mine"]
    assert provider.force_flush(10_000) is True  # nothing running: nothing to wait for
