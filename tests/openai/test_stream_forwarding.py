"""The stream proxies skip the SDK's forwarding ``__iter__``/``__next__`` layer only where it is one.

The real SDK streams are iterated end to end by the lifecycle, cassette and fuzz tests; here: the
forwarding check recognises the installed SDKs' methods, rejects any other code, and a stream
class with its own iteration logic is iterated through that logic.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from llm_agent.instrumentation import _stream
from llm_agent.instrumentation._spans import start_span
from llm_agent.instrumentation.openai import _sdk
from llm_agent.testing import SpanCapture


def test_the_openai_streams_forward() -> None:
    # openai's generated Stream classes only forward (every supported release; CI runs this on the
    # oldest and the newest); anthropic's notify an observer per item, so they are iterated as is.
    assert _sdk._forwarding(openai.Stream, "__iter__", _sdk._reference_iter)
    assert _sdk._forwarding(openai.Stream, "__next__", _sdk._reference_next)
    assert _sdk._forwarding(openai.AsyncStream, "__anext__", _sdk._reference_anext)


class Shouting:
    """A stream class whose iteration does more than forward: it must run."""

    def __init__(self, items: list[str]) -> None:
        self._iterator = iter(items)

    def __iter__(self) -> Iterator[str]:
        for item in self._iterator:
            yield item.upper()

    def __next__(self) -> str:
        return self._iterator.__next__().upper()


class Forwarding:
    def __init__(self, items: list[str]) -> None:
        self._iterator = iter(items)

    def __iter__(self) -> Iterator[str]:
        for item in self._iterator:  # noqa: UP028
            yield item

    def __next__(self) -> str:
        return self._iterator.__next__()


class Seen:
    def __init__(self) -> None:
        self.items: list[Any] = []

    def add(self, item: Any) -> bool:
        self.items.append(item)
        return False

    def attributes(self) -> dict[str, Any]:
        return {"seen": len(self.items)}


def _proxy(stream: Any) -> tuple[_stream.SyncStreamProxy, Seen]:
    from llm_agent._state import get_settings

    seen = Seen()
    span = start_span("chat m", {"gen_ai.operation.name": "chat"}, get_settings())
    return _stream.SyncStreamProxy(stream, _stream.StreamHandle(span, seen, 0, "test"), _sdk.inner_iterator), seen


@pytest.mark.parametrize("how", ["for", "next"])
def test_a_stream_with_its_own_logic_runs_it(spans: SpanCapture, how: str) -> None:
    assert not _sdk._forwarding(Shouting, "__iter__", _sdk._reference_iter)
    assert not _sdk._forwarding(Shouting, "__next__", _sdk._reference_next)
    proxy, seen = _proxy(Shouting(["a", "b"]))
    got = list(proxy) if how == "for" else [next(proxy), next(proxy)]
    assert got == ["A", "B"] and seen.items == ["A", "B"]
    if how == "next":
        with pytest.raises(StopIteration):
            next(proxy)
    assert spans.one("chat m").attributes["seen"] == 2


@pytest.mark.parametrize("how", ["for", "next"])
def test_a_forwarding_stream_is_read_from_its_inner_iterator(spans: SpanCapture, how: str) -> None:
    assert _sdk._forwarding(Forwarding, "__iter__", _sdk._reference_iter)
    stream = Forwarding(["a", "b"])
    proxy, seen = _proxy(stream)
    got = list(proxy) if how == "for" else [next(proxy), next(proxy)]
    assert got == ["a", "b"] and seen.items == ["a", "b"]
    if how == "next":
        with pytest.raises(StopIteration):
            next(proxy)
    (record,) = spans.records
    assert record.attributes["seen"] == 2 and record.attributes["llm_agent.stream.chunks"] == 2
