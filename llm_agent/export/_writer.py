"""The coalescing writer: a second export thread for targets that commit a batch as one transaction.

Why a second thread: converting spans to rows holds the GIL and the SQLite write mostly does not,
so with the worker converting while this thread commits, the two overlap on two cores; and while a
transaction is being written the worker keeps emptying the app's queue (up to ``COALESCE_QUEUES``
queues' worth of converted spans), so the queue never waits for a commit.  The next transaction
then takes everything converted meanwhile, and its fixed costs (commit, rollup lookups, the GIL
hand-over around each SQLite call) are paid once per several thousand spans when the sink is busy.

The queue itself, and when to drain it, stay with the processor (``_processor.py``); it hands this
module a batch it took and the functions to take, convert and count more.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan

#: A coalescing target's transaction holds at most this many queues' worth of converted spans.
COALESCE_QUEUES: Final = 4
#: While the writer commits, the converter looks for newly queued spans this often.
_POLL_WHILE_WRITING_S: Final = 0.005
#: The converter offers the GIL to the writer after converting this many spans (~1 ms).
_CONVERT_SLICE: Final = 128
_yield_gil: Final = time.sleep

#: ``send(items, outcome, started)``: ``Sender.send``, run on the writer thread.
SendFn = Callable[[list[Any], dict[str, int], float], None]
#: ``account(outcome, spans)``: count a finished send of ``spans`` queued spans in the processor.
AccountFn = Callable[[dict[str, int], int], None]


class CoalescingWriter:
    """One thread that runs a coalescing target's sends, one transaction at a time.

    ``convert_and_hand_over`` runs on the processor's worker thread; the commit on this one.
    """

    def __init__(
        self,
        send: SendFn,
        account: AccountFn,
        *,
        take: Callable[[int], list[ReadableSpan]],
        prepare: Callable[[list[ReadableSpan], dict[str, int]], list[Any]],
        has_queued: Callable[[], bool],
        cut_short: Callable[[], bool],
        abandoned: Callable[[], bool],
        wake: threading.Event,
        max_queue_size: int,
        name: str,
        thread_setup: Callable[[], None],
    ) -> None:
        self._send = send
        self._account = account  # counts a finished send, so stats() is current after each commit
        self._take = take  # up to n queued spans (fewer, or none, if not queued or abandoned)
        self._prepare = prepare  # converts; failures counted in the outcome
        self._has_queued = has_queued
        self._cut_short = cut_short  # shutdown or a flush waiting: hand over what is converted now
        self._abandoned = abandoned  # shutdown gave up on this backend: submit nothing more
        self._wake = wake  # set after each send so the converter hands over the next batch at once
        self._max_items = max_queue_size * COALESCE_QUEUES
        self._thread_setup = thread_setup
        self._cond = threading.Condition(threading.Lock())
        self._job: tuple[list[Any], dict[str, int], int] | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # --- worker thread -------------------------------------------------------------------------
    def convert_and_hand_over(self, spans: list[ReadableSpan]) -> None:
        """Convert ``spans`` (taken from the queue) while the previous transaction commits, then submit.

        While this thread is busy the converter keeps taking and converting newly queued spans, up to
        ``COALESCE_QUEUES`` queues' worth; the next transaction takes all of them.
        """
        outcome: dict[str, int] = collections.Counter()
        taken = len(spans)
        items = self._prepare_yielding(spans, outcome)
        while self.busy() and len(items) < self._max_items:
            if not self._has_queued():
                self._wake.wait(_POLL_WHILE_WRITING_S)
                self._wake.clear()
                if self._cut_short():
                    break
                continue
            more = self._take(self._max_items - len(items))
            taken += len(more)
            items += self._prepare_yielding(more, outcome)
        self.wait_idle()
        if self._abandoned():
            return
        if items:
            self.submit(items, outcome, taken)
        else:
            self._account(outcome, taken)

    def _prepare_yielding(self, spans: list[ReadableSpan], outcome: dict[str, int]) -> list[Any]:
        """``prepare`` in slices, offering the GIL to the writer between them.

        The writer gives the GIL up for every SQLite call and, without this, waits for it for a
        whole switch interval (5 ms) each time: about 20 statements per transaction.
        """
        if len(spans) <= _CONVERT_SLICE:
            return self._prepare(spans, outcome)
        items: list[Any] = []
        for i in range(0, len(spans), _CONVERT_SLICE):
            items += self._prepare(spans[i : i + _CONVERT_SLICE], outcome)
            _yield_gil(0)  # returns at once when no other thread wants the GIL
        return items

    def busy(self) -> bool:
        return self._job is not None

    def submit(self, items: list[Any], outcome: dict[str, int], spans: int) -> None:
        with self._cond:
            self._job = (items, outcome, spans)
            self._cond.notify_all()

    def wait_idle(self) -> None:
        """Block until no send runs (its outcome is counted by then)."""
        with self._cond:
            while self._job is not None:
                self._cond.wait()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # --- writer thread -------------------------------------------------------------------------
    def _run(self) -> None:
        self._thread_setup()
        while True:
            with self._cond:
                while self._job is None and not self._closed:
                    self._cond.wait()
                if self._job is None:
                    return
                items, outcome, spans = self._job
            try:
                self._send(items, outcome, time.monotonic())
            except Exception as exc:  # send handles backend errors; this is a bug of ours
                from llm_agent import _errors

                _errors.report("export.writer", exc)
                outcome["export_failed"] += len(items)
            self._account(outcome, spans)  # before going idle: a flush that waited sees the counts
            with self._cond:
                self._job = None
                self._cond.notify_all()
            self._wake.set()
