"""The result of a call through a Stainless-generated SDK (Anthropic, Groq: one shape, as OpenAI's).

A stream is proxied (its span ends with the stream); a ``with_raw_response`` result whose body the
SDK read with the headers ends the call now and is returned untouched, any other raw response is
proxied until the app parses it; a plain result ends the call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llm_agent.instrumentation._call import Call
from llm_agent.instrumentation._raw import AsyncRawProxy, RawProxy, RawState, json_body
from llm_agent.instrumentation._stream import AsyncStreamProxy, SyncStreamProxy


def wrap_result(call: Call, result: Any, types: Any, is_sse_stream: Callable[[Any], bool]) -> Any:
    """``Provider.wrap_result`` for a Stainless SDK; ``types`` has the SDK's ``stream``,
    ``async_stream``, ``api_response`` and ``async_api_response`` classes and, optionally, its
    ``base_model`` (results tested first: the common case)."""
    if isinstance(result, getattr(types, "base_model", ())):
        call.end_with(result)
        return result
    if isinstance(result, types.stream):
        return SyncStreamProxy(result, call.stream_handle())
    if isinstance(result, types.async_stream):
        return AsyncStreamProxy(result, call.stream_handle())
    if isinstance(result, (types.api_response, types.async_api_response)):
        body = None if is_sse_stream(result) else json_body(result)
        if body is not None:
            # with_raw_response read the body with the headers: end now, app object untouched.
            call.end_with(body)
            return result
        proxy = RawProxy if isinstance(result, types.api_response) else AsyncRawProxy
        return proxy(result, RawState(call))
    call.end_with(result)
    return result
