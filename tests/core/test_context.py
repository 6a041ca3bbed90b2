from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest
from opentelemetry import baggage
from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace

import llm_agent
from llm_agent import current_ids
from llm_agent.testing import capture_spans

IDS_SESSION_ONLY = {"session.id": "s1", "gen_ai.conversation.id": "s1", "gen_ai.session.id": "s1"}


def test_session_nests_inner_wins_and_restores_on_error():
    assert current_ids() == (None, None)
    with llm_agent.session("outer", user_id="alice"):
        assert current_ids() == ("outer", "alice")
        with pytest.raises(KeyError):
            with llm_agent.session("inner"):
                assert current_ids() == ("inner", "alice")  # user inherited
                with llm_agent.user("bob"):
                    assert current_ids() == ("inner", "bob")
                raise KeyError("boom")
        assert current_ids() == ("outer", "alice")
    assert current_ids() == (None, None)


def test_id_validation():
    with pytest.raises(ValueError, match="session_id: must not be empty"):
        llm_agent.session("")
    with pytest.raises(ValueError, match="session_id: at most 256 characters, got 257"):
        llm_agent.session("x" * 257)
    with pytest.warns(UserWarning, match="converting non-string ID 42"):
        scope = llm_agent.session(42)
    with scope:
        assert current_ids() == ("42", None)


def test_decorators_sync_async_generators():
    @llm_agent.session("s-sync", user_id="u")
    def sync_fn():
        return current_ids()

    @llm_agent.session("s-async")
    async def async_fn():
        await asyncio.sleep(0)
        return current_ids()

    @llm_agent.session("s-gen")
    def gen_fn():
        yield current_ids()
        yield current_ids()

    @llm_agent.user("u-agen")
    async def agen_fn():
        yield current_ids()
        await asyncio.sleep(0)
        yield current_ids()

    assert sync_fn() == ("s-sync", "u")
    assert asyncio.run(async_fn()) == ("s-async", None)
    seen = []
    for item in gen_fn():
        seen.append(item)
        seen.append(current_ids())  # the consumer between steps is outside the session
    assert seen == [("s-gen", None), (None, None), ("s-gen", None), (None, None)]

    async def consume():
        return [(item, current_ids()) async for item in agen_fn()]

    assert asyncio.run(consume()) == [((None, "u-agen"), (None, None))] * 2
    assert current_ids() == (None, None)


def test_generator_close_and_throw_reach_the_body():
    events = []

    @llm_agent.session("g")
    def gen_fn():
        try:
            while True:
                try:
                    yield 1
                except ValueError:
                    events.append(("thrown", current_ids()))
        finally:
            events.append(("closed", current_ids()))

    g = gen_fn()
    next(g)
    assert g.throw(ValueError()) == 1
    g.close()
    assert events == [("thrown", ("g", None)), ("closed", ("g", None))]


def test_ids_follow_tasks_and_copied_context_threads():
    async def worker(i):
        with llm_agent.session(f"s{i}", user_id=f"u{i}"):
            await asyncio.sleep(0.001 * (i % 3))
            inner = await asyncio.gather(asyncio.sleep(0, result=current_ids()))
            return inner[0]

    async def main():
        return await asyncio.gather(*(worker(i) for i in range(50)))

    assert asyncio.run(main()) == [(f"s{i}", f"u{i}") for i in range(50)]

    results = {}

    def in_thread(i):
        results[i] = current_ids()

    threads = []
    for i in range(8):
        with llm_agent.session(f"t{i}"):
            ctx = contextvars.copy_context()
        t = threading.Thread(target=ctx.run, args=(in_thread, i))
        threads.append(t)
        t.start()
    for t in threads:
        t.join()
    assert results == {i: (f"t{i}", None) for i in range(8)}


def test_baggage_in_and_out():
    token = otel_context.attach(baggage.set_baggage("session.id", "from-upstream"))
    try:
        assert current_ids() == ("from-upstream", None)
        with llm_agent.session("mine", user_id="me"):
            assert baggage.get_baggage("session.id") == "mine"
            assert baggage.get_baggage("user.id") == "me"
        assert baggage.get_baggage("session.id") == "from-upstream"
    finally:
        otel_context.detach(token)


def test_foreign_spans_and_trace_roots_are_stamped():
    with capture_spans() as spans:
        other = otel_trace.get_tracer("someone.else")
        with llm_agent.session("s1"):
            with llm_agent.trace("turn-1"):
                with other.start_as_current_span("tool-call"):
                    pass
        with other.start_as_current_span("outside"):
            pass
        records = {r.name: r for r in spans.records}
    assert set(records) == {"turn-1", "tool-call", "outside"}
    assert records["turn-1"].attributes == {
        "llm_agent.trace.name": "turn-1",
        "gen_ai.span.kind": "CHAIN",
        **IDS_SESSION_ONLY,
    }
    assert records["tool-call"].attributes == IDS_SESSION_ONLY
    assert records["tool-call"].parent_span_id == records["turn-1"].span_id
    assert records["tool-call"].trace_id == records["turn-1"].trace_id
    assert records["turn-1"].parent_span_id is None
    assert records["outside"].attributes == {}
    assert records["turn-1"].session_id == "s1"


def test_trace_marks_error_and_propagates_same_exception():
    err = RuntimeError("bad turn")
    with capture_spans() as spans:
        with pytest.raises(RuntimeError) as info:
            with llm_agent.trace("turn"):
                raise err
        assert info.value is err
        (rec,) = spans.records
    assert rec.status == "ERROR"
    assert rec.error_type == "RuntimeError"
    assert rec.attributes["error.type"] == "RuntimeError"
    assert [e["name"] for e in rec.events] == ["exception"]


def test_default_session_from_settings():
    with capture_spans(default_session_id="batch-1", default_user_id="cron") as spans:
        assert current_ids() == ("batch-1", "cron")
        with llm_agent.session("explicit"):
            assert current_ids() == ("explicit", "cron")
        with llm_agent.trace("job"):
            pass
        (rec,) = spans.records
    assert (rec.session_id, rec.user_id) == ("batch-1", "cron")
    assert current_ids() == (None, None)


def test_arms_names_can_be_switched_off():
    with capture_spans(arms_compat=False) as spans:
        with llm_agent.session("s1", user_id="u1"), llm_agent.trace("t"):
            pass
        (rec,) = spans.records
    assert rec.attributes == {
        "llm_agent.trace.name": "t",
        "session.id": "s1",
        "gen_ai.conversation.id": "s1",
        "user.id": "u1",
    }


def test_init_is_idempotent_and_uses_existing_provider():
    a = llm_agent.init(backends=["memory"])
    assert llm_agent.init(backends=["memory"]) is a
    assert otel_trace.get_tracer_provider() is a.tracer_provider


def test_second_init_says_which_arguments_it_ignores(caplog, tmp_path):
    a = llm_agent.init(backends=["memory"], capture_content=False)
    with caplog.at_level("WARNING", logger="llm_agent"):
        assert llm_agent.init(backends=["memory"], capture_content=False) is a  # same settings: silent
        assert not caplog.records
        assert llm_agent.init(capture_content=True, sink_path=str(tmp_path / "other.sqlite")) is a
    (record,) = caplog.records
    assert record.getMessage() == (
        f"llm_agent.init(): the agent is already running, so capture_content=True, "
        f"sink_path={str(tmp_path / 'other.sqlite')!r} are ignored; call llm_agent.shutdown() first to start it "
        "again with other settings"
    )
    assert a.settings.capture_content is False


def test_second_init_still_rejects_a_wrong_value():
    llm_agent.init(backends=["memory"])
    with pytest.raises(llm_agent.ConfigError, match="max_queue_size"):
        llm_agent.init(max_queue_size=-1)
