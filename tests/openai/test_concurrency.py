"""50 asyncio tasks and 8 threads, each in its own session with its own user: every span carries
exactly its caller's IDs, none leaks to a neighbour or outside."""

from __future__ import annotations

import asyncio
import threading

import llm_agent
from tests.openai.conftest import MockAPI, chat_body, chat_chunks

MESSAGES = [{"role": "user", "content": "hi"}]


async def test_tasks_and_threads_keep_their_own_ids(spans):
    api = MockAPI().json("/chat/completions", chat_body())
    stream_api = MockAPI().stream("/chat/completions", chat_chunks())
    async_client, async_stream_client = api.client(is_async=True), stream_api.client(is_async=True)
    sync_client = api.client()

    async def task(i: int) -> None:
        with llm_agent.session(f"task-{i}", user_id=f"user-{i}"):
            await async_client.chat.completions.create(model=f"m-task-{i}", messages=MESSAGES)
            stream = await async_stream_client.chat.completions.create(
                model=f"m-task-{i}", messages=MESSAGES, stream=True
            )
            async for _ in stream:
                await asyncio.sleep(0)  # let the other tasks run between chunks

    errors: list[BaseException] = []

    def thread(i: int) -> None:
        try:
            with llm_agent.session(f"thread-{i}", user_id=f"tuser-{i}"):
                for _ in range(3):
                    sync_client.chat.completions.create(model=f"m-thread-{i}", messages=MESSAGES)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    await asyncio.gather(*(task(i) for i in range(50)))
    for t in threads:
        t.join()
    # Outside every session: no IDs.
    await async_client.chat.completions.create(model="m-outside", messages=MESSAGES)
    assert errors == []

    records = spans.records
    assert len(records) == 50 * 2 + 8 * 3 + 1
    for record in records:
        owner = record.request_model.removeprefix("m-")
        if owner == "outside":
            assert (record.session_id, record.user_id) == (None, None)
            continue
        kind, number = owner.split("-")
        expected_user = f"user-{number}" if kind == "task" else f"tuser-{number}"
        assert (record.session_id, record.user_id) == (owner, expected_user)
        assert record.attributes["gen_ai.session.id"] == owner
        assert record.attributes["gen_ai.user.id"] == expected_user
