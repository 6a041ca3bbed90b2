"""LiteLLM's routing -> the model, ``gen_ai.provider.name`` and server the direct SDK would give.

LiteLLM names a route in the model string (``openai/gpt-4o-mini``, ``anthropic/claude-…``,
``ollama/llama3.2``, ``bedrock/…``), in ``custom_llm_provider``, or infers it from a bare model
name; an ``api_base`` points it at a self-hosted server.  LiteLLM's own resolver
(``get_llm_provider``) answers all of these the way the call itself will be routed, so it is asked
once per distinct (model, provider, api_base) and the answer cached: a hit is one dict lookup.

Its provider names are then mapped onto the OpenTelemetry GenAI conventions' values, so a call made
through LiteLLM lands in the same provider column as the same call made with the provider's own SDK
(docs/litellm.md): the OpenAI-compatible routes go through the base-URL table the OpenAI
instrumentation uses (``_providers.provider_from_base_url``), so ``openai/…`` with an ``api_base`` on
Groq's host is ``groq`` and one on a local vLLM is ``vllm``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Final, NamedTuple
from urllib.parse import urlsplit

from llm_agent import semconv
from llm_agent.config import Settings
from llm_agent.instrumentation._providers import provider_from_base_url
from llm_agent.instrumentation._server import DEFAULT_PORTS
from llm_agent.instrumentation.litellm._sdk import resolve_provider

#: LiteLLM providers that speak the OpenAI API: the provider is the host of their base URL.
OPENAI_COMPATIBLE: Final = frozenset(
    {"openai", "text-completion-openai", "openai_like", "custom_openai", "litellm_proxy"}
)
#: LiteLLM provider -> the GenAI conventions' value (or the lower-case name the direct SDK's
#: instrumentation uses where the conventions have none).  Anything else keeps LiteLLM's name.
PROVIDER_NAMES: Final[Mapping[str, str]] = {
    "anthropic": semconv.PROVIDER_ANTHROPIC,
    "anthropic_text": semconv.PROVIDER_ANTHROPIC,
    "azure": "azure.ai.openai",
    "azure_text": "azure.ai.openai",
    "azure_ai": "azure.ai.inference",
    "bedrock": "aws.bedrock",
    "vertex_ai": "gcp.vertex_ai",
    "vertex_ai_beta": "gcp.vertex_ai",
    "gemini": "gcp.gemini",
    "ollama": "ollama",
    "ollama_chat": "ollama",
    "mistral": "mistral_ai",
    "codestral": "mistral_ai",
    "groq": "groq",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "dashscope": "dashscope",
    "deepseek": "deepseek",
    "xai": "x_ai",
    "perplexity": "perplexity",
    "together_ai": "together_ai",
    "fireworks_ai": "fireworks_ai",
    "openrouter": "openrouter",
    "hosted_vllm": "vllm",
    "vllm": "vllm",
    "watsonx": "ibm.watsonx.ai",
    "watsonx_text": "ibm.watsonx.ai",
}
#: Most distinct routes remembered; the cache is emptied beyond that (it only saves time).
ROUTE_CACHE_SIZE: Final = 256


class Route(NamedTuple):
    """What a call's routing resolves to (None where it cannot be told)."""

    model: str | None  # the model name sent to the provider (``gpt-4o-mini``, not ``openai/…``)
    provider: str | None  # gen_ai.provider.name
    server: Mapping[str, Any]  # server.address / server.port of the api_base, when one is known


def provider_name(litellm_provider: str | None, api_base: str | None, settings: Settings) -> str | None:
    """``gen_ai.provider.name`` of a LiteLLM provider reached at ``api_base`` (None: unknown)."""
    if not litellm_provider:
        return None
    if litellm_provider in OPENAI_COMPATIBLE:
        return provider_from_base_url(api_base, settings.provider_map or None)
    return PROVIDER_NAMES.get(litellm_provider, litellm_provider)


def server_attributes(api_base: str | None) -> dict[str, Any]:
    """``server.address``/``server.port`` of a base URL string ({} when there is none or it is unparsable)."""
    if not api_base:
        return {}
    try:
        parts = urlsplit(api_base if "//" in api_base else "//" + api_base)
        host, port = parts.hostname, parts.port
    except ValueError:
        return {}
    if not host:
        return {}
    attrs: dict[str, Any] = {semconv.SERVER_ADDRESS: host}
    if port is None:
        port = DEFAULT_PORTS.get(parts.scheme)
    if port is not None:
        attrs[semconv.SERVER_PORT] = port
    return attrs


# (model, custom_llm_provider, api_base, id(settings)) -> (settings, route); the entry holds the
# settings so their id cannot be reused while cached.
_cache: dict[tuple[str, str | None, str | None, int], tuple[Settings, Route]] = {}
_lock = threading.Lock()


def route_of(model: str, custom_provider: str | None, api_base: str | None, settings: Settings) -> Route:
    """The route of a call to ``model`` (with the call's ``custom_llm_provider`` and ``api_base``)."""
    key = (model, custom_provider, api_base, id(settings))
    hit = _cache.get(key)
    if hit is not None and hit[0] is settings:
        return hit[1]
    resolved = resolve_provider(model, custom_provider, api_base)
    if resolved is None:  # LiteLLM cannot route it either: the call will fail with LiteLLM's error
        found = Route(model, None, server_attributes(api_base))
    else:
        sent_model, litellm_provider, resolved_base = resolved
        base = api_base or resolved_base
        found = Route(sent_model or model, provider_name(litellm_provider, base, settings), server_attributes(base))
    with _lock:
        if len(_cache) >= ROUTE_CACHE_SIZE:
            _cache.clear()
        _cache[key] = (settings, found)
    return found


__all__ = ["OPENAI_COMPATIBLE", "PROVIDER_NAMES", "Route", "provider_name", "route_of", "server_attributes"]
