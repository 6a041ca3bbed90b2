"""Groq and Mistral scenarios for ab.py: chat and its stream, bare against instrumented.

The clients talk to the fake OpenAI-compatible API of fake_api.py through a mock transport of each
SDK's HTTP library (httpx for groq, httpx2 for mistralai 3.x); it routes by the path's end, and both
chat APIs have OpenAI's shape.  The bare call is the class's original method (``__wrapped__``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fake_api
from subject import MESSAGES, http_module

#: scenario -> (bare call, instrumented call)
Calls = dict[str, tuple[Callable[[], Any], Callable[[], Any]]]
_KWARGS = {"model": fake_api.MODEL, "messages": MESSAGES, "temperature": 0.2, "max_tokens": 64}


def _consume(stream: Any) -> None:
    for _chunk in stream:
        pass


def groq_calls() -> Calls:
    import groq
    import httpx

    client = groq.Groq(
        api_key="test_groq_api_key",
        base_url="http://fake-groq.test",
        max_retries=0,
        http_client=httpx.Client(transport=fake_api.mock_transport(httpx)),
    )
    res = client.chat.completions
    create = type(res).create
    bare = getattr(create, "__wrapped__", create)
    return {
        "groq_chat": (lambda: bare(res, **_KWARGS), lambda: res.create(**_KWARGS)),
        "groq_chat_stream": (
            lambda: _consume(bare(res, **_KWARGS, stream=True)),
            lambda: _consume(res.create(**_KWARGS, stream=True)),
        ),
    }


def mistral_calls() -> Calls:
    from mistralai.client import Mistral

    httpx2 = http_module()
    mistral = Mistral(
        api_key="test_mistral_api_key",
        server_url="http://fake-mistral.test",
        client=httpx2.Client(transport=fake_api.mock_transport(httpx2)),
    )
    chat = mistral.chat
    complete, stream = type(chat).complete, type(chat).stream
    bare_complete = getattr(complete, "__wrapped__", complete)
    bare_stream = getattr(stream, "__wrapped__", stream)
    return {
        "mistral_chat": (lambda: bare_complete(chat, **_KWARGS), lambda: chat.complete(**_KWARGS)),
        "mistral_chat_stream": (
            lambda: _consume(bare_stream(chat, **_KWARGS)),
            lambda: _consume(chat.stream(**_KWARGS)),
        ),
    }
