"""LiteLLM with the rest of the app: its own callbacks and OpenTelemetry integration keep working,
the routing map, the import order, the launcher's detection and the SQLite sink's model analysis."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import litellm
import pytest
from litellm.integrations.custom_logger import CustomLogger
from litellm.integrations.opentelemetry import OpenTelemetry, OpenTelemetryConfig
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import llm_agent
from llm_agent.config import Settings
from llm_agent.instrumentation import installed_libraries
from llm_agent.instrumentation.litellm._routes import Route, route_of
from llm_agent.testing import SpanCapture
from tests.litellm import loopback as lb
from tests.litellm.loopback import Loopback

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = [{"role": "user", "content": "hi"}]
#: LiteLLM runs its success callbacks on worker threads after the call returns: wait this long.
CALLBACK_WAIT_S = 10.0


class Recorder(CustomLogger):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, Any, Any]] = []

    def log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self.events.append(("sync", kwargs.get("litellm_call_id"), response_obj.usage.prompt_tokens))

    async def async_log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self.events.append(("async", kwargs.get("litellm_call_id"), response_obj.usage.prompt_tokens))

    def ours(self) -> list[tuple[str, Any, Any]]:
        # LiteLLM's logging worker may deliver an earlier test's events late: only this test's calls
        return sorted(event for event in self.events if str(event[1]).startswith("cb-test-"))


def _wait_for(condition: Any) -> None:
    deadline = time.monotonic() + CALLBACK_WAIT_S
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_litellm_callbacks_and_its_opentelemetry_integration_keep_working(
    spans: SpanCapture, server: Loopback, monkeypatch: pytest.MonkeyPatch
) -> None:
    exporter = InMemorySpanExporter()
    otel = OpenTelemetry(config=OpenTelemetryConfig(exporter=exporter, skip_set_global=True))
    recorder = Recorder()
    monkeypatch.setattr(litellm, "callbacks", [otel, recorder])
    server.arrange("ok")
    kwargs = {"model": f"openai/{lb.OPENAI_MODEL}", "messages": MESSAGES, "api_base": server.openai_base,
              "api_key": "test_openai_api_key"}  # fmt: skip
    litellm.completion(**kwargs, litellm_call_id="cb-test-sync")

    async def app() -> None:
        await litellm.acompletion(**kwargs, litellm_call_id="cb-test-async")
        # LiteLLM's async callbacks run as tasks of the app's loop: keep it running for them
        deadline = time.monotonic() + CALLBACK_WAIT_S
        while len(recorder.ours()) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    asyncio.run(app())
    _wait_for(lambda: len(recorder.ours()) >= 2 and len(exporter.get_finished_spans()) >= 2)
    assert recorder.ours() == [("async", "cb-test-async", 11), ("sync", "cb-test-sync", 11)]
    theirs = [s for s in exporter.get_finished_spans() if (s.attributes or {}).get("gen_ai.usage.input_tokens") == 11]
    assert len(theirs) >= 2  # LiteLLM's own spans, in its own tracer provider
    # ours: one per call, in ours
    assert [(r.scope_name, r.input_tokens) for r in spans.records] == [("llm_agent", 11), ("llm_agent", 11)]


@pytest.mark.parametrize(
    ("model", "options", "expected"),
    [
        ("openai/gpt-4o-mini", {}, Route("gpt-4o-mini", "openai", {})),
        ("gpt-4o-mini", {}, Route("gpt-4o-mini", "openai", {})),
        ("anthropic/claude-3-5-haiku-20241022", {}, Route("claude-3-5-haiku-20241022", "anthropic", {})),
        ("ollama/llama3.2", {}, Route("llama3.2", "ollama", {"server.address": "localhost", "server.port": 11434})),
        ("ollama_chat/llama3.2", {"api_base": "http://gpu-box:11434"},
         Route("llama3.2", "ollama", {"server.address": "gpu-box", "server.port": 11434})),
        ("bedrock/anthropic.claude-3-haiku", {}, Route("anthropic.claude-3-haiku", "aws.bedrock", {})),
        ("gemini/gemini-2.0-flash", {}, Route("gemini-2.0-flash", "gcp.gemini", {})),
        ("vertex_ai/gemini-2.0-flash", {}, Route("gemini-2.0-flash", "gcp.vertex_ai", {})),
        ("azure/my-deployment", {}, Route("my-deployment", "azure.ai.openai", {})),
        ("mistral/mistral-small", {}, Route("mistral-small", "mistral_ai",
                                            {"server.address": "api.mistral.ai", "server.port": 443})),
        ("groq/llama-3.1-8b", {}, Route("llama-3.1-8b", "groq",
                                        {"server.address": "api.groq.com", "server.port": 443})),
        ("cohere/command-r", {}, Route("command-r", "cohere", {})),
        ("dashscope/qwen-plus", {}, Route("qwen-plus", "dashscope",
                                          {"server.address": "dashscope.aliyuncs.com", "server.port": 443})),
        # an api_base to a self-hosted OpenAI-compatible server: named by its host, as with the openai SDK
        ("openai/my-model", {"api_base": "http://localhost:8000/v1"},
         Route("my-model", "vllm", {"server.address": "localhost", "server.port": 8000})),
        ("openai/my-model", {"api_base": "http://127.0.0.1:9999/v1"},
         Route("my-model", "openai", {"server.address": "127.0.0.1", "server.port": 9999})),
        ("openai/llama-3.1-8b", {"api_base": "https://api.groq.com/openai/v1"},
         Route("llama-3.1-8b", "groq", {"server.address": "api.groq.com", "server.port": 443})),
        ("hosted_vllm/my-model", {"api_base": "http://gpu:8000"},
         Route("my-model", "vllm", {"server.address": "gpu", "server.port": 8000})),
        ("my-model", {"custom_llm_provider": "openai"}, Route("my-model", "openai", {})),
        ("no-such-model-anywhere", {}, Route("no-such-model-anywhere", None, {})),
    ],
)  # fmt: skip
def test_routes_map_onto_the_direct_sdks_provider_names(model: str, options: dict[str, Any], expected: Route) -> None:
    route = route_of(model, options.get("custom_llm_provider"), options.get("api_base"), Settings())
    assert route == expected


def test_a_user_provider_map_applies_to_openai_compatible_routes() -> None:
    settings = Settings(provider_map={"llm.internal": "vllm"})
    assert route_of("openai/m", None, "https://llm.internal/v1", settings).provider == "vllm"


def test_init_imports_nothing_from_litellm_and_patches_on_import(tmp_path: Path) -> None:
    script = """
import sys, llm_agent
llm_agent.init(backends=["memory"])
assert "litellm" not in sys.modules, "init() imported litellm"
from litellm import completion, Router  # the app's own import, after init()
import wrapt
assert isinstance(completion, wrapt.FunctionWrapper), type(completion)
print("ok")
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
                          check=False)  # fmt: skip
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr[-2000:]


def test_the_launcher_finds_litellm_installed() -> None:
    assert "litellm" in installed_libraries()


def test_sqlite_sink_and_model_analysis(tmp_path: Path, server: Loopback) -> None:
    """Through the real sink: LiteLLM's calls are rows of their provider, and the model analysis counts
    each once (openai and anthropic instrumented too)."""
    sink = tmp_path / "litellm.db"
    llm_agent.init(backends=["sqlite"], sink_path=str(sink), instrument=["litellm", "openai", "anthropic"])
    try:
        server.arrange("ok")
        with llm_agent.session("mixed-lite", user_id="bob"):
            litellm.completion(model=f"openai/{lb.OPENAI_MODEL}", messages=MESSAGES, api_base=server.openai_base,
                               api_key="test_openai_api_key")  # fmt: skip
            litellm.completion(model=f"anthropic/{lb.ANTHROPIC_MODEL}", messages=MESSAGES, max_tokens=10,
                               api_base=server.anthropic_base, api_key="test_anthropic_api_key")  # fmt: skip
            server.arrange("stream")
            stream = litellm.completion(model=f"anthropic/{lb.ANTHROPIC_MODEL}", messages=MESSAGES, max_tokens=10,
                                        api_base=server.anthropic_base, api_key="test_anthropic_api_key",
                                        stream=True)  # fmt: skip
            assert len(list(stream)) == 3
        assert llm_agent.flush(10.0)
    finally:
        llm_agent.shutdown()
    store = llm_agent.analysis.open(str(sink))
    models = {m.model: (m.providers, m.requests, m.errors, m.input_tokens, m.output_tokens) for m in store.models()}
    assert models == {
        lb.OPENAI_MODEL: (("openai",), 1, 0, 11, 7),
        lb.ANTHROPIC_MODEL: (("anthropic",), 2, 0, 30, 12),  # 15 in (12 + 2 cache reads + 1 cache write), 6 out, twice
    }
    summary = store.session("mixed-lite").summary
    assert (summary.user_id, summary.llm_calls, summary.input_tokens, summary.output_tokens,
            summary.cache_read_tokens, summary.usage_missing_calls) == ("bob", 3, 41, 19, 3 + 2 + 2, 0)  # fmt: skip
    assert store.model(lb.ANTHROPIC_MODEL).to_dict()["requests"] == 2
