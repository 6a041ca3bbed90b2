"""The shared lifecycle matrix through LiteLLM's OpenAI route, its Anthropic route and its Router,
against the loopback server, with ``openai`` and ``anthropic`` instrumented too (one span each)."""

from __future__ import annotations

from typing import Any

import pytest

from tests._lifecycle import LifecycleCases, LifecycleMatrix
from tests.litellm.litellm_cases import AnthropicRoute, OpenAIRoute, RouterRoute
from tests.litellm.loopback import Loopback


class TestLiteLLMLifecycle(LifecycleMatrix):
    @pytest.fixture(params=[OpenAIRoute, AnthropicRoute, RouterRoute], ids=["openai", "anthropic", "router"])
    def lifecycle(self, request: Any, server: Loopback) -> LifecycleCases:
        return request.param(server)  # type: ignore[no-any-return]

    def _started(self, lifecycle: LifecycleCases, chunks: int) -> dict[str, Any]:
        started = super()._started(lifecycle, chunks)
        if isinstance(lifecycle, RouterRoute):
            # known from the stream the Router returned, before any chunk is read
            started.update(lifecycle.server_attrs())
        return started
