"""ab.py's DashScope scenarios: the 2.x client (``dashscope.Client``) on httpx's ``MockTransport``,
answering the native API's bodies (the shape of the recorded exchanges in tests/cassettes/dashscope).

The bare call is the resource class's ``create.__wrapped__`` (the instrumentation wraps it with
wrapt), as for OpenAI's scenarios.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MODEL = "qwen-plus"
_USAGE = {"input_tokens": 12, "output_tokens": 5, "total_tokens": 17, "prompt_tokens_details": {"cached_tokens": 0}}
_ANSWER = json.dumps(
    {
        "output": {"choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "Paris."}}]},
        "usage": _USAGE,
        "request_id": "req-bench",
    }
).encode()
#: Incremental events, the running usage on each (as DashScope streams them).
_STREAM = "".join(
    f"id:{i}\nevent:result\n:HTTP_STATUS/200\ndata:"
    + json.dumps(
        {
            "output": {
                "choices": [
                    {"finish_reason": "stop" if i == 8 else "null", "message": {"role": "assistant", "content": "tok "}}
                ]
            },
            "usage": {"input_tokens": 12, "output_tokens": i, "total_tokens": 12 + i},
            "request_id": "req-bench-stream",
        }
    )
    + "\n\n"
    for i in range(1, 9)
).encode()


def calls() -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """scenario -> (bare call, instrumented call); empty where dashscope is not installed."""
    try:
        import dashscope
        import httpx
    except ImportError:
        return {}

    def handler(request: Any) -> Any:
        if b'"incremental_output"' in request.content:
            return httpx.Response(200, content=_STREAM, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, content=_ANSWER, headers={"content-type": "application/json"})

    base_url = "https://bench.dashscope.test/api/v1"
    http = httpx.Client(transport=httpx.MockTransport(handler), base_url=base_url)
    client = dashscope.Client(api_key="bench", base_url=base_url, max_retries=0, http_client=http)
    resource = client.chat.completions
    create = type(resource).create
    bare = getattr(create, "__wrapped__", create)
    kwargs = {"model": MODEL, "messages": [{"role": "user", "content": "What is the capital of France?"}]}
    stream_kwargs = {**kwargs, "stream": True}

    def consume(stream: Any) -> None:
        for _chunk in stream:
            pass

    return {
        "dashscope_chat": (lambda: bare(resource, **kwargs), lambda: resource.create(**kwargs)),
        "dashscope_stream": (
            lambda: consume(bare(resource, **stream_kwargs)),
            lambda: consume(resource.create(**stream_kwargs)),
        ),
    }
