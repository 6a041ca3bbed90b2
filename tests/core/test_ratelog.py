"""The shared rate-limited logger: at most one line per key per interval; the rest counted."""

from __future__ import annotations

import logging
import os
import signal

import pytest

from llm_agent._ratelog import RateLimitedLog

logger = logging.getLogger("llm_agent.test_ratelog")


class Clock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_one_line_per_key_per_interval_and_the_rest_counted():
    clock = Clock()
    log = RateLimitedLog(logger, 60.0, clock=clock)
    seen = []
    seen.append(log.claim("a"))  # the first line of a key is always written
    clock.now += 59.999
    seen.append(log.claim("a"))
    seen.append(log.claim("a"))
    held = log.held_back("a")
    clock.now += 0.001  # exactly one interval after the line that was written
    seen.append(log.claim("a"))
    assert (seen, held, log.held_back("a")) == ([True, False, False, True], 2, 0)


def test_keys_are_limited_independently():
    clock = Clock()
    log = RateLimitedLog(logger, 10.0, clock=clock)
    first = [log.claim("a"), log.claim("b"), log.claim("a"), log.claim("b"), log.claim("c")]
    clock.now += 10.0
    second = [log.claim("b"), log.claim("a")]
    assert (first, second) == ([True, True, False, False, True], [True, True])


def test_a_line_held_back_does_not_restart_the_interval():
    clock = Clock()
    log = RateLimitedLog(logger, 10.0, clock=clock)
    claims = []
    for _ in range(4):  # claims at 0, 6, 12, 18 s: the written line at 0 s opens the interval
        claims.append(log.claim("k"))
        clock.now += 6.0
    assert claims == [True, False, True, False]


def test_reset_forgets_every_key():
    clock = Clock()
    log = RateLimitedLog(logger, 60.0, clock=clock)
    log.claim("a")
    log.claim("a")
    log.reset()
    assert (log.held_back("a"), log.claim("a"), log.claim("a")) == (0, True, False)


def test_warning_writes_through_the_logger_only_when_due(caplog):
    clock = Clock()
    log = RateLimitedLog(logger, 60.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger=logger.name):
        written = [log.warning("k", "backend %r failed: %s", "x", 1), log.warning("k", "backend %r failed: %s", "x", 2)]
        clock.now += 60.0
        written.append(log.warning("k", "backend %r failed: %s", "x", 3))
    lines = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert written == [True, False, True]
    assert lines == [
        ("llm_agent.test_ratelog", logging.WARNING, "backend 'x' failed: 1"),
        ("llm_agent.test_ratelog", logging.WARNING, "backend 'x' failed: 3"),
    ]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_can_log_although_the_lock_was_held_at_fork():
    log = RateLimitedLog(logger, 60.0, clock=Clock())
    log._lock.acquire()  # as if another thread were inside claim() at the moment of the fork
    try:
        pid = os.fork()
        if pid == 0:  # the child: claim() must not wait for a lock nobody will release
            code = 2
            try:
                signal.signal(signal.SIGALRM, signal.SIG_DFL)  # a hang kills the child, nothing else
                signal.alarm(5)
                code = 0 if log.claim("k") else 1
            finally:
                os._exit(code)  # never back into the test session
    finally:
        log._lock.release()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
