"""The error funnel: ``report`` counts, logs at a limited rate and (under pytest) collects;
``guard(where)`` reports and swallows an ``Exception`` and lets every other ``BaseException`` through."""

from __future__ import annotations

import logging

import pytest

from llm_agent import _errors
from llm_agent._errors import guard
from llm_agent.testing import check_internal_errors, expect_internal_errors


def test_guard_reports_and_swallows_an_exception():
    boom = ValueError("boom")
    before = _errors.internal_error_count()
    after_block = []
    with expect_internal_errors() as caught:
        with guard("test.guard"):
            raise boom
        after_block.append("ran")
    assert (caught, after_block, _errors.internal_error_count() - before) == ([("test.guard", boom)], ["ran"], 1)


def test_guard_without_an_exception_reports_nothing():
    before = _errors.internal_error_count()
    with guard("test.guard") as value:
        pass
    assert (value, _errors.collected, _errors.internal_error_count()) == (None, [], before)


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit, GeneratorExit])
def test_guard_lets_base_exceptions_through_unreported(exc_type):
    before = _errors.internal_error_count()
    with pytest.raises(exc_type):
        with guard("test.guard"):
            raise exc_type()
    assert (_errors.collected, _errors.internal_error_count()) == ([], before)


def test_a_generator_closed_inside_guard_closes():
    # close() raises GeneratorExit at the yield: swallowing it would make close() a RuntimeError.
    def numbers():
        with guard("test.guard"):
            yield 1
            yield 2

    gen = numbers()
    first = next(gen)
    gen.close()
    assert (first, gen.gi_frame, _errors.collected) == (1, None, [])


def test_an_error_reported_by_guard_fails_the_test_that_caused_it():
    with guard("test.guard"):
        raise ValueError("boom")
    assert _errors.collected == [("test.guard", _errors.collected[0][1])]
    with pytest.raises(AssertionError) as failure:
        check_internal_errors()  # what the autouse fixture calls after each test
    assert str(failure.value) == "llm_agent reported 1 internal error(s):\n  test.guard: ValueError('boom')"


def test_report_logs_one_line_per_call_site_per_interval_and_counts_all(caplog):
    before = _errors.internal_error_count()
    with caplog.at_level(logging.WARNING, logger="llm_agent"), expect_internal_errors() as caught:
        _errors.report("test.a", ValueError("one"))
        _errors.report("test.a", ValueError("two"))
        _errors.report("test.b", message="three")
    lines = [r.getMessage() for r in caplog.records if r.name == "llm_agent"]
    assert [where for where, _ in caught] == ["test.a", "test.a", "test.b"]
    assert _errors.internal_error_count() - before == 3
    assert lines == [
        "llm_agent internal error in test.a: ValueError('one') (the app is unaffected; further errors here are "
        "counted, not logged, for 60 s)",
        "llm_agent internal error in test.b: three (the app is unaffected; further errors here are "
        "counted, not logged, for 60 s)",
    ]
