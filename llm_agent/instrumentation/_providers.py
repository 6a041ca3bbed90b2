"""``gen_ai.provider.name`` for an OpenAI-compatible client, from its base URL (docs/providers.md).

Many vendors serve an OpenAI-compatible API, so the ``openai`` SDK alone does not say who answered.
The host of the client's base URL does: well-known hosts map to the OpenTelemetry GenAI spec's
provider values where it defines one (``azure.ai.openai``, ``deepseek``, ``gcp.gemini``, ``groq``,
``mistral_ai``, ``x_ai``...) and to a lower-case vendor name where it does not.  A user mapping
(``settings.provider_map`` / ``LLM_AGENT_PROVIDER_MAP``) is consulted first.  Results are cached per
base-URL string because the OpenAI wrapper asks on every request.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit

from llm_agent import semconv

#: Host suffix -> provider.  A suffix matches the host itself or any sub-domain of it.
KNOWN_HOSTS: Final[tuple[tuple[str, str], ...]] = (
    ("openai.azure.com", "azure.ai.openai"),
    ("cognitiveservices.azure.com", "azure.ai.openai"),
    ("services.ai.azure.com", "azure.ai.inference"),
    ("models.inference.ai.azure.com", "azure.ai.inference"),
    ("api.deepseek.com", "deepseek"),
    ("dashscope.aliyuncs.com", "dashscope"),
    ("dashscope-intl.aliyuncs.com", "dashscope"),
    ("dashscope-us.aliyuncs.com", "dashscope"),
    ("api.mistral.ai", "mistral_ai"),
    ("api.groq.com", "groq"),
    ("api.together.xyz", "together_ai"),
    ("api.together.ai", "together_ai"),
    ("api.fireworks.ai", "fireworks_ai"),
    ("openrouter.ai", "openrouter"),
    ("api.x.ai", "x_ai"),
    ("generativelanguage.googleapis.com", "gcp.gemini"),
    ("api.perplexity.ai", "perplexity"),
    ("api.anthropic.com", semconv.PROVIDER_ANTHROPIC),
    ("api.openai.com", semconv.PROVIDER_OPENAI),
)
#: Local inference servers, recognised by their default port on a loopback host.  Only the
#: default ports are claimed: any other local server stays "openai" unless the user maps it.
OLLAMA_DEFAULT_PORT: Final = 11434
VLLM_DEFAULT_PORT: Final = 8000
LOCAL_PORTS: Final[Mapping[int, str]] = {OLLAMA_DEFAULT_PORT: "ollama", VLLM_DEFAULT_PORT: "vllm"}
LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "host.docker.internal"})
#: Hosts containing "ollama" (e.g. a container named so) are Ollama whatever the port.
OLLAMA_HOST_MARKER: Final = "ollama"

#: Most distinct (base URL, mapping) pairs remembered; the cache is emptied beyond that.
CACHE_SIZE: Final = 256
# (base URL, id(custom)) -> (custom, provider).  The entry holds the mapping object, so its id
# cannot be reused while cached; keying by identity keeps a hit to one dict lookup.
_cache: dict[tuple[str, int], tuple[Mapping[str, str] | None, str]] = {}
_cache_lock = threading.Lock()


def _suffix_match(host: str, suffix: str) -> bool:
    return host == suffix or host.endswith("." + suffix)


def _lookup(host: str, port: int | None, custom: Mapping[str, str] | None) -> str:
    if custom:
        # Exact host first, then the longest matching suffix, so "a.b.example" beats "example".
        exact = custom.get(host)
        if exact:
            return exact
        best = ""
        for key, value in custom.items():
            key = key.lower().strip().lstrip(".")
            if key and value and _suffix_match(host, key) and len(key) > len(best):
                best, found = key, value
        if best:
            return found
    for suffix, provider in KNOWN_HOSTS:
        if _suffix_match(host, suffix):
            return provider
    if OLLAMA_HOST_MARKER in host:
        return "ollama"
    if host in LOOPBACK_HOSTS and port is not None:
        local = LOCAL_PORTS.get(port)
        if local:
            return local
    return semconv.PROVIDER_OPENAI


def provider_from_base_url(base_url: str | None, custom: Mapping[str, str] | None = None) -> str:
    """The ``gen_ai.provider.name`` of an OpenAI-compatible client whose base URL is ``base_url``.

    ``custom`` (host or host suffix -> provider) wins over the built-in table; anything unknown
    (or unparsable) is ``"openai"``.
    """
    if not base_url:
        return semconv.PROVIDER_OPENAI
    key = (base_url, id(custom))
    hit = _cache.get(key)
    if hit is not None and hit[0] is custom:
        return hit[1]
    try:
        parts = urlsplit(base_url if "//" in base_url else "//" + base_url)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError:
        host, port = "", None
    provider = _lookup(host, port, custom) if host else semconv.PROVIDER_OPENAI
    with _cache_lock:
        if len(_cache) >= CACHE_SIZE:
            _cache.clear()
        _cache[key] = (custom, provider)
    return provider


__all__ = ["KNOWN_HOSTS", "provider_from_base_url"]
