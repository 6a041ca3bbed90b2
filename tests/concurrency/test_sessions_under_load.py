"""64 threads and 256 asyncio tasks, each in its own session and user, mixed streamed/plain calls.

Every worker has its own mock API that stamps the worker's session into the response id and
answers with worker-specific token counts. Then:

* no span carries another worker's session or user (the response id says whose call it was);
* the SQLite sink's per-session totals are exact (``llm_agent.analysis.open(path).session(id)``);
* nothing was dropped and no internal error was reported.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import openai
import openai._base_client as _base_client

import llm_agent
import llm_agent.analysis
from llm_agent import _errors
from llm_agent.testing import capture_spans

HTTP: Any = getattr(_base_client, "httpx2", None) or _base_client.httpx
THREADS = 64
TASKS = 256
#: per worker: plain, streamed, plain
CALLS = (False, True, False)


def tokens(worker: str) -> tuple[int, int]:
    n = int(worker.rsplit("-", 1)[1])
    return n + 1, 2 * n + 1


def handler_for(worker: str) -> Any:
    prompt, completion = tokens(worker)
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def handler(request: Any) -> Any:
        body = json.loads(request.content)
        rid = f"chatcmpl-{worker}"
        if body.get("stream"):
            base = {"id": rid, "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini"}
            chunks = [
                {
                    **base,
                    "choices": [{"index": 0, "delta": {"role": "assistant", "content": "a"}, "finish_reason": None}],
                },
                {**base, "choices": [{"index": 0, "delta": {"content": "b"}, "finish_reason": "stop"}]},
                {**base, "choices": [], "usage": usage},
            ]
            sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
            return HTTP.Response(200, content=sse.encode(), headers={"content-type": "text/event-stream"})
        return HTTP.Response(
            200,
            json={
                "id": rid,
                "object": "chat.completion",
                "created": 1,
                "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "ab"}, "finish_reason": "stop"}],
                "usage": usage,
            },
        )

    return handler


MESSAGES = [{"role": "user", "content": "hi"}]


def thread_worker(worker: str, barrier: threading.Barrier) -> None:
    client = openai.OpenAI(
        api_key="test_openai_api_key",
        base_url="https://api.openai.com/v1",
        max_retries=0,
        http_client=HTTP.Client(transport=HTTP.MockTransport(handler_for(worker))),
    )
    barrier.wait()
    with llm_agent.session(f"sess-{worker}", user_id=f"user-{worker}"):
        for stream in CALLS:
            if stream:
                for _chunk in client.chat.completions.create(
                    model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
                ):
                    pass
            else:
                client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


async def task_worker(worker: str) -> None:
    client = openai.AsyncOpenAI(
        api_key="test_openai_api_key",
        base_url="https://api.openai.com/v1",
        max_retries=0,
        http_client=HTTP.AsyncClient(transport=HTTP.MockTransport(handler_for(worker))),
    )
    with llm_agent.session(f"sess-{worker}", user_id=f"user-{worker}"):
        for stream in CALLS:
            if stream:
                response = await client.chat.completions.create(
                    model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
                )
                async for _chunk in response:
                    await asyncio.sleep(0)  # interleave with the other tasks mid-stream
            else:
                await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            await asyncio.sleep(0)


async def all_tasks() -> None:
    await asyncio.gather(*(task_worker(f"task-{i}") for i in range(TASKS)))


def test_threads_and_tasks_keep_their_own_session_and_user(tmp_path: Path) -> None:
    sink = tmp_path / "sink.sqlite"
    errors_before = _errors.internal_error_count()  # a process-wide counter
    workers = [f"thread-{i}" for i in range(THREADS)] + [f"task-{i}" for i in range(TASKS)]
    with capture_spans(instrument=["openai"], backends=["memory", "sqlite"], sink_path=str(sink)) as spans:
        barrier = threading.Barrier(THREADS)
        threads = [threading.Thread(target=thread_worker, args=(f"thread-{i}", barrier)) for i in range(THREADS)]
        for t in threads:
            t.start()
        asyncio.run(all_tasks())  # runs while the threads do
        for t in threads:
            t.join()
        records = spans.records
        assert llm_agent.flush(30.0)
        stats = llm_agent.stats()

        # whose call each span was, from the response id the worker's own API stamped
        owners = {r.attributes.get("gen_ai.response.id", "").removeprefix("chatcmpl-"): [] for r in records}
        for r in records:
            owners[r.attributes.get("gen_ai.response.id", "").removeprefix("chatcmpl-")].append(r)
        assert sorted(owners) == sorted(workers)
        mismatched = [
            (worker, r.session_id, r.user_id)
            for worker, rs in owners.items()
            for r in rs
            if (r.session_id, r.user_id, r.attributes.get("gen_ai.conversation.id"))
            != (f"sess-{worker}", f"user-{worker}", f"sess-{worker}")
        ]
        assert mismatched == []
        assert {w: len(rs) for w, rs in owners.items()} == {w: len(CALLS) for w in workers}

    assert stats["internal_errors"] == errors_before
    assert {name: b["exported"] for name, b in stats["backends"].items()} == {
        "memory": len(workers) * len(CALLS),
        "sqlite": len(workers) * len(CALLS),
    }
    dropped = {(name, why): n for name, b in stats["backends"].items() for why, n in b["dropped"].items() if n}
    assert dropped == {}

    store = llm_agent.analysis.open(sink)
    got = {}
    for worker in workers:
        s = store.session(f"sess-{worker}").summary
        got[worker] = (s.user_id, s.users, s.llm_calls, s.input_tokens, s.output_tokens, s.total_tokens, s.errors)
    expected = {}
    for worker in workers:
        prompt, completion = tokens(worker)
        n = len(CALLS)
        expected[worker] = (
            f"user-{worker}",
            (f"user-{worker}",),
            n,
            n * prompt,
            n * completion,
            n * (prompt + completion),
            0,
        )
    assert got == expected
