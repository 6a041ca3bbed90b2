"""Received or imported spans -> the sqlite sink, through the same bounded pipeline as the app's.

One ``Pipeline`` with the sqlite backend: its batching processor, converter (with every dialect's
normalisation) and rollups are the ones an app's own spans go through.  The queue is larger than
an app's (an OTLP request carries up to thousands of spans) and is offered whole requests: a
request is queued entirely or not at all, so the receiver can answer 503 and the sender retries;
nothing accepted is dropped for want of room.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan

from llm_agent.config import Settings
from llm_agent.export import Pipeline

#: Spans the receiver's queue holds (an app's default is 2048; an OTLP batch is up to 512 a request).
DEFAULT_QUEUE_SPANS: Final = 65536
#: Bytes of span data the receiver's queue holds (estimated as the export pipeline does).
DEFAULT_QUEUE_BYTES: Final = 256 * 1024 * 1024
#: How long an offer waits for room before the caller is told to come back (receiver: 503).
DEFAULT_OFFER_WAIT_S: Final = 2.0
_POLL_S: Final = 0.005


class Ingest:
    """Counts: ``received`` (decoded spans), ``rejected`` (unusable or refused), ``stored`` (committed)."""

    def __init__(
        self,
        sink_path: str | None,
        *,
        queue_spans: int = DEFAULT_QUEUE_SPANS,
        queue_bytes: int = DEFAULT_QUEUE_BYTES,
        offer_wait_s: float = DEFAULT_OFFER_WAIT_S,
    ) -> None:
        settings = Settings.resolve(
            sink_path=sink_path, backends=["sqlite"], instrument=[], max_queue_size=queue_spans,
            max_queue_bytes=queue_bytes,
        )  # fmt: skip
        self.sink_path = settings.sink_path
        self._pipeline = Pipeline(settings, ["sqlite"])
        (self._processor,) = self._pipeline._backend_processors
        # The metrics processor is not used: received spans make no client metrics here.
        self.queue_spans = queue_spans
        self.offer_wait_s = offer_wait_s
        self._lock = threading.Lock()
        self.received = 0
        self.rejected = 0
        #: Requests answered "come back later" (503): their spans are the sender's to retry.
        self.refused = 0

    def offer(self, spans: list[ReadableSpan], wait_s: float = DEFAULT_OFFER_WAIT_S) -> bool:
        """Queue all of ``spans`` (waiting up to ``wait_s`` for room) or none: ``False`` = full."""
        deadline = time.monotonic() + wait_s
        asked = False
        while True:
            if self._processor.offer(spans):
                with self._lock:
                    self.received += len(spans)
                return True
            if time.monotonic() >= deadline:
                return False
            if not asked:  # the worker may be waiting out its schedule delay: have it write now
                self._processor.request_flush()
                asked = True
            time.sleep(_POLL_S)

    def refuse(self) -> None:
        with self._lock:
            self.refused += 1

    def reject(self, count: int) -> None:
        with self._lock:
            self.rejected += count

    @property
    def stored(self) -> int:
        return int(self._processor.stats()["exported"])

    def stats(self) -> dict[str, Any]:
        s = self._processor.stats()
        with self._lock:
            return {"received": self.received, "stored": s["exported"], "rejected": self.rejected,
                    "queued": s["queued"] + s["in_flight"], "dropped": sum(s["dropped"].values()),
                    "refused_requests": self.refused}  # fmt: skip

    def flush(self, timeout_s: float = 60.0) -> bool:
        return bool(self._pipeline.flush(timeout_s))

    def close(self, timeout_s: float = 60.0) -> None:
        self._pipeline.shutdown(timeout_s)
