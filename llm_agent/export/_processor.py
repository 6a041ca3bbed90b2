"""The bounded batching span processor: one per backend, each with its own worker thread.

The app thread's whole cost is ``on_end``: a size estimate (the lengths of the span's text
attributes), one lock, two bound checks, one append (or one counter increment when the queue is
full).  The queue is bounded in spans and in estimated bytes: with captured content a few thousand
queued spans can hold hundreds of megabytes, which a hanging backend would keep forever.
Conversion to ``SpanRecord``, serialisation, I/O, retries and logging all happen on the worker
thread.  Why not the SDK's ``BatchSpanProcessor``: see
docs/pipeline.md (it drops the *oldest* span silently, exports on the caller's thread in
``force_flush``, cannot retry with ``Retry-After`` or count drops by reason, and its shutdown
waits for a hanging exporter).

This module holds the queue, the worker thread that drains it, flush, shutdown, fork safety and the
counts.  What a backend's answer means (retries, splitting, drop reasons) is ``_send.py``; the
sqlite sink's second thread, which commits while the worker converts, is ``_writer.py``.
"""

from __future__ import annotations

import collections
import os
import threading
import time
import weakref
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from llm_agent import _otel_compat
from llm_agent._otel_compat import BOUNDED_DICT_FIELD, SPAN_ATTRIBUTES_FIELD
from llm_agent._ratelog import RateLimitedLog
from llm_agent._secrets import get_logger
from llm_agent.config import DEFAULT_MAX_QUEUE_BYTES
from llm_agent.export import _retry
from llm_agent.export._send import Sender, Target, log_backend_error
from llm_agent.export._writer import CoalescingWriter

logger = get_logger("llm_agent.export")

#: Drop reasons, in the order ``stats()`` reports them.
DROP_REASONS: Final = ("queue_full", "export_failed", "shutdown", "too_large", "invalid")
#: Queue fill level (percent of ``max_queue_size``) above which ``on_end`` offers the GIL.
HIGH_WATER_PERCENT: Final = 50
_yield_gil: Final = time.sleep
#: At most one "dropping spans" warning per backend in this many seconds.
DEFAULT_DROP_LOG_INTERVAL_S: Final = 60.0

#: What a queued span costs besides its text attributes (bytes, estimated): the span object, its
#: context, attribute dict, numbers and short strings' object headers.
SPAN_OVERHEAD_BYTES: Final = 1024
#: Spans queued before ``on_end`` measures a span's text (``span_bytes``, 1-2 us on the app thread,
#: twice the rest of ``on_end``): below this the queue is draining normally and each span counts
#: ``SPAN_OVERHEAD_BYTES``, so the bytes bound is kept within this many spans' text.
MEASURE_FROM_QUEUED: Final = 256


def span_bytes(span: ReadableSpan) -> int:
    """A cheap estimate of the memory a queued span holds: ``SPAN_OVERHEAD_BYTES`` plus the length
    of every text attribute (captured content is where the bytes are).  Runs on the app thread, so
    it reads the span's own attribute dict (as the converters do) and nothing else."""
    raw = getattr(span, SPAN_ATTRIBUTES_FIELD, None)
    raw = getattr(raw, BOUNDED_DICT_FIELD, raw)
    if raw is None:
        raw = span.attributes or {}
    n = SPAN_OVERHEAD_BYTES
    for value in raw.values():
        if type(value) is str:
            n += len(value)
        elif type(value) is tuple:
            for item in value:
                if type(item) is str:
                    n += len(item)
    return n


# Exporters' own HTTP calls must not become spans: the SDK's and the instrumentation packages'
# convention is a context key (``_otel_compat.suppress_keys``) the worker threads set for good.
_SUPPRESS_KEYS: Final = _otel_compat.suppress_keys()


def suppress_instrumentation() -> None:
    """Mark the current (worker) thread's context so that no instrumentation records spans in it."""
    ctx = otel_context.get_current()
    for key in _SUPPRESS_KEYS:
        ctx = otel_context.set_value(key, True, ctx)
    otel_context.attach(ctx)  # never detached: the worker thread lives for this purpose only


class BatchingProcessor(SpanProcessor):
    """Bounded queue -> batches -> ``target`` with retries, on a daemon worker thread."""

    def __init__(
        self,
        target: Target,
        *,
        max_queue_size: int,
        max_export_batch_size: int,
        schedule_delay_s: float,
        retry_max_time_s: float,
        retry_initial_backoff_s: float = _retry.DEFAULT_INITIAL_BACKOFF_S,
        max_queue_bytes: int = DEFAULT_MAX_QUEUE_BYTES,
    ) -> None:
        self.target = target
        self.name = target.name
        self._max_queue = max_queue_size
        self._max_bytes = max_queue_bytes
        self._measure_from = min(MEASURE_FROM_QUEUED, max_queue_size // 8)
        self._high_water = max(1, max_queue_size * HIGH_WATER_PERCENT // 100)
        self._batch_size = max_export_batch_size
        # Targets that commit a batch as one transaction (the sqlite sink) take everything queued
        # when they fall behind: the per-transaction costs (commit, rollup lookups, the GIL
        # hand-over around each SQLite call) are then paid once per queue, not once per batch.
        self._coalesce = bool(getattr(target, "coalesce", False))
        # While it converts, more spans arrive; the writer's hand-over takes those too (up to
        # COALESCE_QUEUES queues' worth, see _writer.py), which frees queue space for the app sooner.
        self._take = max_queue_size if self._coalesce else max_export_batch_size
        self._delay_s = schedule_delay_s
        self._retry_max_s = retry_max_time_s
        self._retry_initial_s = retry_initial_backoff_s
        self._closed = False
        self._deadline = 0.0
        self._init_state()
        self._start_worker()
        if hasattr(os, "register_at_fork"):
            ref = weakref.ref(self)

            def _child() -> None:
                proc = ref()
                if proc is not None:
                    proc._after_fork_in_child()

            os.register_at_fork(after_in_child=_child)

    # --- state ---------------------------------------------------------------------------------
    def _init_state(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._queue: collections.deque[ReadableSpan] = collections.deque()
        self._sizes: collections.deque[int] = collections.deque()  # span_bytes of each queued span
        self._queued_bytes = 0
        self._wake = threading.Event()
        self._stop = threading.Event()  # set by shutdown: cuts retry waits short
        self._done = threading.Event()  # set when the worker has finished (drained + shut down)
        self._flush_waiters: list[threading.Event] = []
        self._inflight = 0
        self._abandoned = False
        self._exported = 0
        self._retried = 0
        self._dropped = dict.fromkeys(DROP_REASONS, 0)
        self._drops_unlogged = 0
        # Per processor, and fresh in a forked child: the child's first drops are logged at once.
        self._drop_log = RateLimitedLog(logger, DEFAULT_DROP_LOG_INTERVAL_S)
        self._sender = Sender(
            self.target, self._stop, retry_max_s=self._retry_max_s, retry_initial_s=self._retry_initial_s
        )
        self._worker: threading.Thread | None = None
        self._writer: CoalescingWriter | None = None

    def _start_worker(self) -> None:
        if self._coalesce:
            self._writer = CoalescingWriter(
                self._sender.send,
                self._account,
                take=self._take_queued,
                prepare=self._prepare,
                has_queued=self._has_queued,
                cut_short=self._hand_over_cut_short,
                abandoned=self._is_abandoned,
                wake=self._wake,
                max_queue_size=self._max_queue,
                name=f"llm_agent-write-{self.name}",
                thread_setup=suppress_instrumentation,
            )
        self._worker = threading.Thread(target=self._run, name=f"llm_agent-export-{self.name}", daemon=True)
        self._worker.start()

    def _after_fork_in_child(self) -> None:
        # The parent's queue belongs to the parent (it exports it); the child starts empty, with
        # fresh locks (one may have been held by a parent thread at fork time) and its own worker.
        self._init_state()
        if not self._closed:
            self._start_worker()
        else:
            self._done.set()

    # --- app thread ----------------------------------------------------------------------------
    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        # Outside the lock (the worker never waits for it), and only once a backlog forms: the
        # length is read unlocked, which is fine for deciding whether to measure.
        size = span_bytes(span) if len(self._queue) >= self._measure_from else SPAN_OVERHEAD_BYTES
        with self._lock:
            if self._closed:
                self._dropped["shutdown"] += 1
                return
            queue = self._queue
            # By bytes too; one span always fits an empty queue, or a big one could never go out.
            if len(queue) >= self._max_queue or (self._queued_bytes + size > self._max_bytes and queue):
                self._dropped["queue_full"] += 1
                self._drops_unlogged += 1
                return
            queue.append(span)
            self._sizes.append(size)
            self._queued_bytes += size
            queued = len(queue)
        if queued >= self._batch_size and not self._wake.is_set():
            self._wake.set()
        if queued >= self._high_water:
            # A CPU-bound app thread keeps the GIL for whole switch intervals (5 ms), in which it can
            # fill the queue while the worker waits to convert it.  Near the limit, offer the GIL
            # (returns at once when no other thread wants it; never waits for the backend's I/O).
            _yield_gil(0)

    def offer(self, spans: list[ReadableSpan]) -> bool:
        """Queue all of ``spans`` or none (``False``: no room now, nothing counted as dropped).

        For a sender that can be told to retry (the OTLP receiver answers 503): unlike ``on_end``
        it never drops, so nothing it accepted is lost to a full queue."""
        sizes = [span_bytes(s) for s in spans]
        total = sum(sizes)
        with self._lock:
            if self._closed:
                return False
            queue = self._queue
            if len(queue) + len(spans) > self._max_queue or (self._queued_bytes + total > self._max_bytes and queue):
                return False
            queue.extend(spans)
            self._sizes.extend(sizes)
            self._queued_bytes += total
            queued = len(queue)
        if queued >= self._batch_size and not self._wake.is_set():
            self._wake.set()
        return True

    # --- control -------------------------------------------------------------------------------
    def request_flush(self) -> threading.Event:
        """Ask the worker to export everything queued now; the event is set when done."""
        done = threading.Event()
        with self._lock:
            if self._closed or self._done.is_set():
                done.set()
                return done
            self._flush_waiters.append(done)
        self._wake.set()
        return done

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.request_flush().wait(timeout_millis / 1000)

    def begin_shutdown(self, deadline: float) -> None:
        """Stop accepting spans and tell the worker to drain, flush and close the backend."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._deadline = deadline
        self._stop.set()
        self._wake.set()

    def finish_shutdown(self, deadline: float) -> bool:
        """Wait for the worker until ``deadline`` (monotonic); count what it could not export."""
        finished = self._done.wait(max(0.0, deadline - time.monotonic()))
        if not finished:
            with self._lock:
                if not self._done.is_set():
                    # The backend hangs: what is still queued or in flight will not make it.
                    self._dropped["shutdown"] += len(self._queue) + self._inflight
                    self._queue.clear()
                    self._sizes.clear()
                    self._queued_bytes = 0
                    self._inflight = 0
                    self._abandoned = True
        return finished

    def shutdown(self, timeout_s: float = 5.0) -> None:  # type: ignore[override]
        deadline = time.monotonic() + timeout_s
        self.begin_shutdown(deadline)
        self.finish_shutdown(deadline)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "exported": self._exported,
                "dropped": dict(self._dropped),
                "retried": self._retried,
                "queued": len(self._queue),
                # Taken from the queue, not yet answered for (the backend may hang): with these,
                # produced = exported + dropped + queued + in_flight at every moment.
                "in_flight": self._inflight,
            }

    # --- worker thread -------------------------------------------------------------------------
    def _run(self) -> None:
        suppress_instrumentation()
        try:
            while True:
                try:
                    if self._cycle():
                        break
                except Exception as exc:  # a bug of ours: report it, keep the worker alive
                    # (not _errors.guard: after an error the loop must still look at _stop)
                    from llm_agent import _errors

                    _errors.report(f"export.{self.name}.worker", exc)
                    if self._stop.is_set():
                        break
        finally:
            self._finish()

    def _cycle(self) -> bool:
        """Wait for work, export it, answer flush requests; True when the worker should stop."""
        # A full batch waiting means no sleep: the queue may have filled while we exported.
        timed_out = False
        if len(self._queue) < self._batch_size and not self._flush_waiters and not self._stop.is_set():
            timed_out = not self._wake.wait(self._delay_s)
        self._wake.clear()
        with self._lock:
            waiters, self._flush_waiters = self._flush_waiters, []
            pending = len(self._queue)
        stopping = self._stop.is_set()
        try:
            if stopping or waiters or timed_out:
                self._drain(pending, stopping)
            else:
                self._drain(pending - pending % self._batch_size, stopping)
            if stopping or waiters or timed_out:
                self._settle()  # a flush answers for what the writer still holds, too
            self._log_drops()
            if waiters:
                self._call_flush()
        finally:
            for w in waiters:
                w.set()
        return stopping

    def _finish(self) -> None:
        if self._writer is not None:
            self._settle()
            self._writer.close()
        try:
            self.target.shutdown(max(0.1, self._deadline - time.monotonic()))
        except Exception as exc:
            log_backend_error(self.name, "shutdown", exc)
        with self._lock:
            waiters, self._flush_waiters = self._flush_waiters, []
        for w in waiters:
            w.set()
        self._done.set()

    def _call_flush(self) -> None:
        try:
            self.target.flush(1.0)
        except Exception as exc:
            log_backend_error(self.name, "flush", exc)

    def _drain(self, count: int, stopping: bool) -> None:
        """Export ``count`` queued spans in batches (all of them when stopping)."""
        while count > 0 or (stopping and self._queue):
            batch = self._take_queued(self._take)
            if not batch:
                return
            count -= len(batch)
            if self._writer is not None:
                self._writer.convert_and_hand_over(batch)
            else:
                self._account(self._export_batch(batch), len(batch))

    def _take_queued(self, limit: int) -> list[ReadableSpan]:
        with self._lock:
            if self._abandoned:
                return []
            n = min(limit, len(self._queue))
            popleft = self._queue.popleft
            batch = [popleft() for _ in range(n)]
            pop_size = self._sizes.popleft
            self._queued_bytes -= sum([pop_size() for _ in range(n)])
            self._inflight += n
        return batch

    def _account(self, outcome: dict[str, int], spans: int) -> None:
        with self._lock:
            if self._abandoned:
                return
            self._inflight -= spans
            for reason, k in outcome.items():
                if reason == "exported":
                    self._exported += k
                elif reason == "retried":
                    self._retried += k
                else:
                    self._dropped[reason] += k

    def _export_batch(self, spans: list[ReadableSpan]) -> dict[str, int]:
        outcome: dict[str, int] = collections.Counter()
        items = self._prepare(spans, outcome)
        if items:
            self._sender.send(items, outcome, time.monotonic())
        return outcome

    def _settle(self) -> None:
        """Wait for the writer's current transaction (which it counts itself, as soon as it ends)."""
        if self._writer is not None:
            self._writer.wait_idle()

    def _prepare(self, spans: list[ReadableSpan], outcome: dict[str, int]) -> list[Any]:
        try:
            items, lost = self.target.prepare(spans)
        except Exception as exc:  # not _errors.guard: the lost spans are counted, too
            from llm_agent import _errors

            _errors.report(f"export.{self.name}.prepare", exc)
            outcome["export_failed"] += len(spans)
            return []
        if lost:  # spans that could not be converted (each reported to llm_agent._errors)
            outcome["export_failed"] += lost
        return list(items)

    def _has_queued(self) -> bool:
        return bool(self._queue)

    def _hand_over_cut_short(self) -> bool:
        """Shutdown began or a flush waits: the writer's hand-over stops collecting more spans."""
        return self._stop.is_set() or bool(self._flush_waiters)

    def _is_abandoned(self) -> bool:
        return self._abandoned

    def _log_drops(self) -> None:
        with self._lock:
            unlogged = self._drops_unlogged
            if not unlogged or not self._drop_log.claim(self.name):
                return
            self._drops_unlogged = 0
        logger.warning(
            "llm_agent: backend %r dropped %d spans because its queue (%d spans or %s MiB) was full; the backend "
            "is slower than the app produces spans (see llm_agent.stats(); further warnings at most every %.0f s)",
            self.name,
            unlogged,
            self._max_queue,
            f"{self._max_bytes / (1024 * 1024):g}",
            DEFAULT_DROP_LOG_INTERVAL_S,
        )
