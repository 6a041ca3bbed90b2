"""gen_ai.provider.name of OpenAI-compatible endpoints, from the client's base URL."""

from __future__ import annotations

from typing import Any

import openai
import openai._base_client as _base_client
import pytest

from llm_agent.instrumentation._providers import provider_from_base_url
from llm_agent.testing import capture_spans

HTTP: Any = getattr(_base_client, "httpx2", None) or _base_client.httpx

CASES = [
    ("https://api.openai.com/v1", "openai"),
    ("https://my-resource.openai.azure.com/openai/v1", "azure.ai.openai"),
    ("https://my-resource.cognitiveservices.azure.com/openai/v1", "azure.ai.openai"),
    ("https://api.deepseek.com/v1", "deepseek"),
    ("https://dashscope.aliyuncs.com/compatible-mode/v1", "dashscope"),
    ("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "dashscope"),
    ("https://api.mistral.ai/v1", "mistral_ai"),
    ("https://api.groq.com/openai/v1", "groq"),
    ("https://api.together.xyz/v1", "together_ai"),
    ("https://api.fireworks.ai/inference/v1", "fireworks_ai"),
    ("https://openrouter.ai/api/v1", "openrouter"),
    ("https://api.x.ai/v1", "x_ai"),
    ("https://generativelanguage.googleapis.com/v1beta/openai/", "gcp.gemini"),
    ("http://localhost:11434/v1", "ollama"),
    ("http://127.0.0.1:8000/v1", "vllm"),
    ("http://localhost:9999/v1", "openai"),  # an unknown local server is not guessed
    ("https://llm.internal.example/v1", "openai"),
]

CHAT = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m-1",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}


def make_client(base_url: str, seen: list[str]) -> openai.OpenAI:
    def handler(request: Any) -> Any:
        seen.append(str(request.url))
        return HTTP.Response(200, json=CHAT)

    return openai.OpenAI(
        api_key="test_openai_api_key", base_url=base_url, max_retries=0,
        http_client=HTTP.Client(transport=HTTP.MockTransport(handler)),
    )


@pytest.mark.parametrize("base_url, provider", CASES)
def test_provider_on_spans(base_url: str, provider: str) -> None:
    seen: list[str] = []
    with capture_spans(instrument=["openai"]) as spans:
        make_client(base_url, seen).chat.completions.create(model="m-1", messages=[{"role": "user", "content": "x"}])
        record = spans.one()
    assert len(seen) == 1 and seen[0].startswith(base_url.rstrip("/"))
    assert record.provider == provider
    assert record.attributes["gen_ai.provider.name"] == provider
    assert record.attributes["server.address"] == HTTP.URL(base_url).host


def test_azure_client_class() -> None:
    seen: list[str] = []

    def handler(request: Any) -> Any:
        seen.append(str(request.url))
        return HTTP.Response(200, json=CHAT)

    client = openai.AzureOpenAI(
        api_key="test_openai_api_key", azure_endpoint="https://contoso.openai.azure.com", api_version="2024-10-21",
        max_retries=0, http_client=HTTP.Client(transport=HTTP.MockTransport(handler)),
    )
    with capture_spans(instrument=["openai"]) as spans:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
        assert spans.one().provider == "azure.ai.openai"
    assert seen and "contoso.openai.azure.com" in seen[0]


def test_custom_map_wins_and_matches_suffixes() -> None:
    seen: list[str] = []
    mapping = {"internal.example": "vllm", "api.deepseek.com": "my_deepseek_proxy"}
    with capture_spans(instrument=["openai"], provider_map=mapping) as spans:
        for url in ("https://llm.internal.example/v1", "https://api.deepseek.com/v1", "https://api.x.ai/v1"):
            make_client(url, seen).chat.completions.create(model="m-1", messages=[{"role": "user", "content": "x"}])
        assert [r.provider for r in spans.records] == ["vllm", "my_deepseek_proxy", "x_ai"]


def test_custom_map_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_AGENT_PROVIDER_MAP", "llm.corp.example=vllm")
    seen: list[str] = []
    with capture_spans(instrument=["openai"]) as spans:
        make_client("https://llm.corp.example/v1", seen).chat.completions.create(
            model="m-1", messages=[{"role": "user", "content": "x"}]
        )
        assert spans.one().provider == "vllm"


def test_function_edge_cases() -> None:
    assert provider_from_base_url(None) == "openai"
    assert provider_from_base_url("") == "openai"
    assert provider_from_base_url("not a url") == "openai"
    assert provider_from_base_url("http://[::1]:11434/v1") == "ollama"
    assert provider_from_base_url("http://ollama:11434/v1") == "ollama"
    assert provider_from_base_url("https://API.DeepSeek.com/v1") == "deepseek"
    # A look-alike host is not a sub-domain of the known one.
    assert provider_from_base_url("https://evilapi.deepseek.com.example/v1") == "openai"
    assert provider_from_base_url("https://notapi.x.ai/v1") == "openai"
    # Longest custom suffix wins; exact host beats every suffix.
    custom = {"example": "a", "b.example": "b", "c.b.example": "c"}
    assert provider_from_base_url("https://x.c.b.example/v1", custom) == "c"
    assert provider_from_base_url("https://x.b.example/v1", custom) == "b"
    assert provider_from_base_url("https://example/v1", custom) == "a"
    # Cached per (URL, mapping): a different mapping object gets its own answer.
    assert provider_from_base_url("https://x.b.example/v1", {"x.b.example": "z"}) == "z"
