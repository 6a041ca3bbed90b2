"""Async streaming: several users at once, each turn a trace, tokens printed as they arrive.

    python examples/async_streaming.py --offline

Session and trace context follow ``await`` and asyncio tasks, so concurrent conversations never
mix up their IDs.  ``stream_options.include_usage`` makes OpenAI report the stream's token usage.
"""

from __future__ import annotations

import asyncio

from _offline import openai_client, parser

import llm_agent

QUESTIONS = {"carol": ["What is prompt caching?", "Does it work for streams?"], "dave": ["Explain TTFT briefly."]}


async def converse(client, user: str, questions: list[str]) -> str:
    history: list[dict] = []
    async with llm_agent.session(f"async-{user}", user_id=user):
        for n, question in enumerate(questions, 1):
            history.append({"role": "user", "content": question})
            async with llm_agent.trace(f"turn {n}"):
                stream = await client.chat.completions.create(
                    model="gpt-4o-mini", messages=history, stream=True, stream_options={"include_usage": True}
                )
                parts = []
                async for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        parts.append(chunk.choices[0].delta.content)
            history.append({"role": "assistant", "content": "".join(parts)})
    return f"{user}: {len(questions)} turns, last answer starts {''.join(parts)[:40]!r}"


async def amain(offline: bool) -> None:
    with openai_client(offline, use_async=True) as client:
        results = await asyncio.gather(*(converse(client, u, qs) for u, qs in QUESTIONS.items()))
    for line in results:
        print(line)


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    llm_agent.init(service_name="async-streaming-example")
    asyncio.run(amain(args.offline))
    llm_agent.shutdown()
    print("see them with: llm-agent sessions --where \"session_id == 'async-carol'\"")


if __name__ == "__main__":
    main()
