"""On the direct span path the finished span is built by its first reader (an export worker).

What the app's thread hands over must not change the span afterwards: the call's keyword
arguments and ``base_url`` as they were, the captured messages read at the call, the stream's
accumulator frozen at the end; several exporters reading one span concurrently see one build.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from openai.types.chat import ChatCompletionChunk
from opentelemetry.sdk.trace import ReadableSpan

from llm_agent.instrumentation import _direct_spans
from llm_agent.testing import capture_spans
from tests.openai.conftest import MockAPI, chat_body, chat_chunks
from tests.openai.test_direct_spans import Collecting


def test_concurrent_readers_share_one_build() -> None:
    from opentelemetry import context as otel_context
    from opentelemetry.sdk.trace import TracerProvider

    from llm_agent.export import Dispatcher as _Dispatcher
    from llm_agent.instrumentation._spans import PendingSpan

    provider = TracerProvider()
    provider.add_span_processor(_Dispatcher())
    tracer = provider.get_tracer("t")
    plan = _direct_spans.plan_for(tracer, _Dispatcher)
    assert plan is not None
    handed: list[Any] = []
    plan.dispatcher = type("Collect", (), {"on_end": staticmethod(handed.append)})()
    builds: list[int] = []

    def request() -> dict[str, Any]:
        builds.append(1)
        time.sleep(0.02)  # a slow build: every reader arrives while it runs
        return {"gen_ai.request.model": "m", "gen_ai.request.seed": 7}

    pending = PendingSpan("chat m", {"session.id": "s"}, tracer, otel_context.Context(), request)
    late = lambda: {"gen_ai.response.id": "r"}  # noqa: E731
    assert _direct_spans.emit(plan, pending, {"gen_ai.usage.input_tokens": 3}, late, None, 100)
    (span,) = handed
    assert type(span) is _direct_spans._DeferredSpan and isinstance(span, ReadableSpan)
    assert "_attributes" not in span.__dict__  # nothing built on the app's thread
    seen: list[dict[str, Any]] = []
    start = threading.Barrier(8)

    def read() -> None:
        start.wait()
        seen.append(dict(span.attributes))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert builds == [1] and len(seen) == 8
    assert seen == [
        {
            "gen_ai.request.model": "m",
            "gen_ai.request.seed": 7,
            "session.id": "s",
            "gen_ai.response.id": "r",
            "gen_ai.usage.input_tokens": 3,
        }
    ] * 8
    assert list(seen[0]) == list(dict(span.attributes))  # request side first, as if read at the start
    assert span._llm_parts is None  # the call's inputs are released once built
    assert span.name == "chat m" and span.end_time >= span.start_time and span.parent is None
    assert span.context.span_id != 0 and span.status.is_unset


def test_the_request_is_read_as_it_was_at_the_call(api: MockAPI) -> None:
    api.json("/chat/completions", chat_body())
    holding = Collecting()  # keeps the span objects themselves
    with capture_spans(backends=[holding], instrument=["openai"]) as capture:
        client = api.client()
        params = {"model": "gpt-4o-mini", "messages": [], "seed": 7}
        client.chat.completions.create(**params)
        # The app changes its own dict and the client after the call, before the span is built.
        params["model"] = "gpt-4o"
        params["seed"] = 8
        client.base_url = "http://other.example:9999/v1"
        capture.agent.flush(10.0)
        attrs = dict(holding.spans[0].attributes)
    assert attrs["gen_ai.request.model"] == "gpt-4o-mini" and attrs["gen_ai.request.seed"] == 7
    assert attrs["server.address"] == "api.openai.com" and attrs["server.port"] == 443
    assert attrs["gen_ai.provider.name"] == "openai"


def test_captured_messages_are_read_at_the_call(api: MockAPI) -> None:
    api.json("/chat/completions", chat_body())
    holding = Collecting()  # keeps the span objects themselves
    with capture_spans(backends=[holding], instrument=["openai"], capture_content=True) as capture:
        messages = [{"role": "user", "content": "hi"}]
        api.client().chat.completions.create(model="gpt-4o-mini", messages=messages)
        messages.append({"role": "assistant", "content": "appended after the call"})
        capture.agent.flush(10.0)
        attrs = dict(holding.spans[0].attributes)
    assert attrs["gen_ai.input.messages"] == '[{"role":"user","content":"hi"}]'


def test_chunks_after_the_end_do_not_reach_the_span(api: MockAPI) -> None:
    chunks = chat_chunks()
    api.stream("/chat/completions", chunks)
    finish, usage = (ChatCompletionChunk.model_validate(c) for c in chunks[2:])
    holding = Collecting()  # keeps the span objects themselves
    with capture_spans(backends=[holding], instrument=["openai"]) as capture:
        stream = api.client().chat.completions.create(model="gpt-4o-mini", messages=[], stream=True)
        next(stream)
        stream.close()  # the span ends here, with one chunk seen
        handle = stream._self_handle
        # Whatever reaches the handle after its end is passed over, not accumulated into the
        # span that an exporter has not built yet.
        assert handle.add(finish) is False and handle.add(usage) is False
        capture.agent.flush(10.0)
        attrs = dict(holding.spans[0].attributes)
    assert attrs["llm_agent.stream.chunks"] == 1 and attrs["gen_ai.response.id"] == "chatcmpl-2"
    assert "gen_ai.response.finish_reasons" not in attrs and "gen_ai.usage.input_tokens" not in attrs
