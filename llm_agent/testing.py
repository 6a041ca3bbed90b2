"""Public test helpers: capture spans in memory, assert on them, deterministic IDs.

from llm_agent.testing import capture_spans

def test_my_app():
    with capture_spans() as spans:
        my_app.answer("hi")
    (span,) = spans.by_name("chat gpt-4o")
    assert span.input_tokens == 12
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from opentelemetry.sdk.trace.id_generator import IdGenerator

from llm_agent import _agent, _errors, _state
from llm_agent.backends._types import SpanRecord


class SpanCapture:
    """The spans finished while a ``capture_spans()`` block is active, as ``SpanRecord``s."""

    def __init__(self, agent: _agent.Agent) -> None:
        self.agent = agent

    @property
    def records(self) -> list[SpanRecord]:
        """Every finished span so far, in end order (flushes the pipeline first)."""
        self.agent.flush(10.0)
        memory = self.agent.pipeline.memory
        return list(memory.records) if memory is not None else []

    def by_name(self, name: str) -> list[SpanRecord]:
        return [r for r in self.records if r.name == name]

    def one(self, name: str | None = None) -> SpanRecord:
        """The only span (with that name); AssertionError otherwise."""
        found = self.records if name is None else self.by_name(name)
        assert len(found) == 1, f"expected exactly one span{f' named {name!r}' if name else ''}, got " + repr(
            [r.name for r in found]
        )
        return found[0]

    def clear(self) -> None:
        self.agent.flush(10.0)
        memory = self.agent.pipeline.memory
        if memory is not None:
            memory.clear()


@contextlib.contextmanager
def capture_spans(**init_options: Any) -> Iterator[SpanCapture]:
    """Run the block under a fresh ``init(backends=["memory"], ...)``; shut down afterwards."""
    _agent.shutdown()
    init_options.setdefault("backends", ["memory"])
    if "memory" not in init_options["backends"]:
        init_options["backends"] = [*init_options["backends"], "memory"]
    init_options.setdefault("schedule_delay_s", 0.05)
    agent = _agent.init(**init_options)
    try:
        yield SpanCapture(agent)
    finally:
        _agent.shutdown()


@contextlib.contextmanager
def expect_internal_errors() -> Iterator[list[tuple[str, BaseException | None]]]:
    """Allow internal errors inside the block and hand them over (for failure-injection tests)."""
    start = len(_errors.collected)
    caught: list[tuple[str, BaseException | None]] = []
    try:
        yield caught
    finally:
        caught.extend(_errors.collected[start:])
        del _errors.collected[start:]


def check_internal_errors() -> None:
    """AssertionError if instrumentation reported internal errors (used by an autouse fixture)."""
    errors = list(_errors.collected)
    _errors.reset_for_tests()
    if errors:
        lines = "\n".join(f"  {where}: {exc!r}" for where, exc in errors)
        raise AssertionError(f"llm_agent reported {len(errors)} internal error(s):\n{lines}")


class SequentialIdGenerator(IdGenerator):
    """Deterministic trace and span IDs: 1, 2, 3, ... (thread-safe)."""

    def __init__(self, start: int = 1) -> None:
        self._lock = threading.Lock()
        self._next_span = start
        self._next_trace = start

    def generate_span_id(self) -> int:
        with self._lock:
            value = self._next_span
            self._next_span += 1
            return value

    def generate_trace_id(self) -> int:
        with self._lock:
            value = self._next_trace
            self._next_trace += 1
            return value


@contextlib.contextmanager
def deterministic_ids(start: int = 1) -> Iterator[SequentialIdGenerator]:
    """Make the running agent's provider hand out sequential IDs inside the block."""
    agent = _agent.get_agent()
    if agent is None:
        raise RuntimeError("deterministic_ids() needs a running agent (call init() or capture_spans())")
    provider = agent.tracer_provider
    tracer = _state.get_tracer()
    gen = SequentialIdGenerator(start)
    old_provider_gen = provider.id_generator
    old_tracer_gen = getattr(tracer, "id_generator", None)
    provider.id_generator = gen  # type: ignore[assignment]  # typed as the SDK's default class; any IdGenerator works
    if old_tracer_gen is not None:
        tracer.id_generator = gen  # type: ignore[attr-defined]
    try:
        yield gen
    finally:
        provider.id_generator = old_provider_gen
        if old_tracer_gen is not None:
            tracer.id_generator = old_tracer_gen  # type: ignore[attr-defined]


__all__ = [
    "SequentialIdGenerator",
    "SpanCapture",
    "capture_spans",
    "check_internal_errors",
    "deterministic_ids",
    "expect_internal_errors",
]
