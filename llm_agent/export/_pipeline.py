"""``Pipeline``: the backends of one ``init()``, each behind its own batching processor."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import SpanProcessor

from llm_agent import _errors
from llm_agent.backends import create_backend
from llm_agent.config import ConfigError, Settings
from llm_agent.export._metrics import MetricsProcessor, MetricsTarget
from llm_agent.export._processor import BatchingProcessor
from llm_agent.export._targets import make_target


class Pipeline:
    """Build with ``Pipeline(settings, backends)``; add ``.processors`` to the TracerProvider.

    ``backends`` holds names (``"sqlite"``, ``"otlp"``, ``"http"``, ``"console"``, ``"memory"``,
    entry-point names), ``Backend`` objects or OpenTelemetry ``SpanExporter`` objects.  Raises
    ``ConfigError`` (before any thread starts) when one of them cannot be used.
    """

    def __init__(self, settings: Settings, backends: Sequence[Any]) -> None:
        if isinstance(backends, (str, bytes)) or not isinstance(backends, Sequence):
            backends = [backends]
        created: list[tuple[str, Any]] = []
        try:
            for spec in backends:
                name, backend = create_backend(spec, settings)
                if any(n == name for n, _ in created):
                    if isinstance(spec, str):
                        raise ConfigError(f"option 'backends' (env LLM_AGENT_BACKENDS): {name!r} is listed twice")
                    name = f"{name}#{sum(1 for n, _ in created if n.split('#')[0] == name) + 1}"
                created.append((name, backend))
        except BaseException:
            for _, backend in created:
                _quiet_shutdown(backend)
            raise
        options = {
            "max_queue_size": settings.max_queue_size,
            "max_queue_bytes": settings.max_queue_bytes,
            "max_export_batch_size": settings.max_export_batch_size,
            "schedule_delay_s": settings.schedule_delay_s,
            "retry_max_time_s": settings.retry_max_time_s,
        }
        self.backends: dict[str, Any] = dict(created)
        self._backend_processors = [BatchingProcessor(make_target(n, b), **options) for n, b in created]
        self._metrics_processor = MetricsProcessor(MetricsTarget(), **options)
        self.processors: list[SpanProcessor] = [*self._backend_processors, self._metrics_processor]
        from llm_agent.backends.memory import MemoryBackend

        self.memory: MemoryBackend | None = next(
            (b for b in self.backends.values() if isinstance(b, MemoryBackend)), None
        )
        self._closed = False

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Export everything finished so far, all backends in parallel; True if all made it in time."""
        deadline = time.monotonic() + max(0.0, timeout_s)
        events = [p.request_flush() for p in self.processors]
        return all(e.wait(max(0.0, deadline - time.monotonic())) for e in events)

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Drain and close every backend; returns within ``timeout_s`` even if one hangs."""
        if self._closed:
            return
        self._closed = True
        deadline = time.monotonic() + max(0.0, timeout_s)
        for p in self.processors:
            p.begin_shutdown(deadline)
        for p in self.processors:
            p.finish_shutdown(deadline)

    def stats(self) -> dict[str, Any]:
        """``{"backends": {name: {exported, dropped: {reason: n}, retried, queued}}, "metrics": {...},
        "internal_errors": n}``."""
        return {
            "backends": {p.name: p.stats() for p in self._backend_processors},
            "metrics": self._metrics_processor.stats(),
            "internal_errors": _errors.internal_error_count(),
        }


def _quiet_shutdown(backend: Any) -> None:
    try:
        if hasattr(backend, "flush") and not hasattr(backend, "force_flush"):
            backend.shutdown(0.5)
        else:
            backend.shutdown()
    except Exception:
        pass
