"""DashScope test fixtures (helpers in dashscope_helpers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import dashscope
import pytest

from tests._fixtures import capture_fixture
from tests.dashscope.dashscope_helpers import CASSETTES, ClassicServer, MockAPI

API_KEY = "test_dashscope_api_key"


spans = capture_fixture("dashscope")


@pytest.fixture
def classic(monkeypatch: pytest.MonkeyPatch) -> Iterator[ClassicServer]:
    """The classic API pointed at a loopback server for the test."""
    monkeypatch.setattr(dashscope, "api_key", API_KEY)
    with ClassicServer() as server:
        yield server


@pytest.fixture
def api() -> MockAPI:
    return MockAPI()


@pytest.fixture
async def aio_session() -> AsyncIterator[None]:
    """The classic async API's shared aiohttp session, closed at the end of the test's loop."""
    yield
    await dashscope.close_shared_aio_session()


@pytest.fixture
def cassette(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Any]:
    """``with cassette("name"):`` replays tests/cassettes/dashscope/name.yaml, never the network."""
    import vcr

    monkeypatch.setattr(dashscope, "api_key", API_KEY)
    recorder = vcr.VCR(cassette_library_dir=str(CASSETTES), record_mode="none")

    def use(name: str) -> Any:
        return recorder.use_cassette(f"{name}.yaml")

    return use
