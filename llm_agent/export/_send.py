"""Sending one batch to a backend until it is taken, split, dropped or out of retry time.

The processor decides *when* a batch goes out and on which thread (its worker, or the sqlite sink's
writer, ``_writer.py``); this module decides what each answer of the backend means: ``SUCCESS``
counts the batch exported, ``TOO_LARGE`` splits it in halves until the parts fit, ``INVALID`` (or
a backend's ``OverflowError``/``ValueError``/``TypeError``: data it cannot take) splits it in halves
until the record it refuses is alone, so one bad span never costs the others, ``RETRYABLE`` and
``RetryAfter`` wait (backoff from ``_retry.py``, or the server's ``Retry-After``) within the
per-batch time budget and give up at shutdown, and anything else, an exception included, drops it
as ``export_failed``.  Each outcome is counted by reason in the caller's ``outcome`` counter.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Final, Protocol

from opentelemetry.sdk.trace import ReadableSpan

from llm_agent._ratelog import RateLimitedLog
from llm_agent.backends._types import ExportResult, RetryAfter
from llm_agent.export import _retry

logger = logging.getLogger("llm_agent.export")


class Target(Protocol):
    """What a processor feeds: a backend behind its adapter (see ``llm_agent.export._targets``)."""

    name: str

    def prepare(self, spans: list[ReadableSpan]) -> tuple[list[Any], int]:
        """Convert on the worker thread: (items to export, spans that could not be converted)."""
        ...

    def export(self, items: list[Any]) -> ExportResult | RetryAfter: ...

    def flush(self, timeout_s: float) -> bool: ...

    def shutdown(self, timeout_s: float) -> None: ...


#: At most one "backend raised" warning per backend and call (export, flush, shutdown) in this
#: many seconds; the batches are counted either way.
BACKEND_ERROR_LOG_INTERVAL_S: Final = 60.0
# Per process, not per processor: a backend that raises on every batch logs once a minute even when
# the app builds several pipelines.
_backend_errors = RateLimitedLog(logger, BACKEND_ERROR_LOG_INTERVAL_S)


#: What a backend's ``export`` may raise for one record's sake (a value out of its range, of a type
#: it cannot encode): handled as ``ExportResult.INVALID``.
DATA_ERRORS: Final = (OverflowError, ValueError, TypeError)
_invalid_log = RateLimitedLog(logger, BACKEND_ERROR_LOG_INTERVAL_S)


def log_backend_error(backend: str, what: str, exc: BaseException) -> None:
    """A backend's ``export``, ``flush`` or ``shutdown`` raised: warn, at a limited rate."""
    _backend_errors.warning(
        f"{backend}.{what}",
        "llm_agent: backend %r raised in %s: %r (spans counted as export_failed)",
        backend,
        what,
        exc,
    )


class Sender:
    """The send/retry loop for one processor's target; ``send`` runs on an export thread."""

    def __init__(
        self,
        target: Target,
        stop: threading.Event,
        *,
        retry_max_s: float,
        retry_initial_s: float,
    ) -> None:
        self.target = target
        self.name = target.name
        self._stop = stop  # set by the processor's shutdown: cuts retry waits short
        self._retry_max_s = retry_max_s
        self._retry_initial_s = retry_initial_s

    def send(self, items: list[Any], outcome: dict[str, int], started: float) -> None:
        """Export ``items``, adding to ``outcome`` per reason; ``started`` (monotonic) opens the budget."""
        attempt = 0
        while True:
            try:
                result = self.target.export(items)
            except DATA_ERRORS as exc:
                if len(items) == 1:
                    log_backend_error(self.name, "export", exc)
                result = ExportResult.INVALID
            except Exception as exc:
                log_backend_error(self.name, "export", exc)
                result = ExportResult.FAILURE
            if result is ExportResult.SUCCESS:
                outcome["exported"] += len(items)
                return
            if result is ExportResult.TOO_LARGE or result is ExportResult.INVALID:
                if len(items) == 1:
                    reason = result.value  # "too_large" / "invalid": the drop reasons of the same names
                    outcome[reason] += 1
                    if result is ExportResult.INVALID:
                        _invalid_log.warning(
                            self.name,
                            "llm_agent: backend %r refused a span it cannot store; the rest of its batch "
                            "was stored (counted as invalid in llm_agent.stats())",
                            self.name,
                        )
                    return
                half = len(items) // 2
                self.send(items[:half], outcome, started)
                self.send(items[half:], outcome, started)
                return
            if not isinstance(result, RetryAfter) and result is not ExportResult.RETRYABLE:
                outcome["export_failed"] += len(items)
                return
            if self._stop.is_set():
                outcome["shutdown"] += len(items)
                return
            if isinstance(result, RetryAfter):
                wait = max(0.0, result.seconds)
            else:
                wait = _retry.backoff_s(attempt, self._retry_initial_s)
            if time.monotonic() + wait - started > self._retry_max_s:
                logger.warning(
                    "llm_agent: backend %r still failing after %.1f s of retries; dropping %d spans",
                    self.name,
                    time.monotonic() - started,
                    len(items),
                )
                outcome["export_failed"] += len(items)
                return
            outcome["retried"] += 1
            if self._stop.wait(wait):
                outcome["shutdown"] += len(items)
                return
            attempt += 1
