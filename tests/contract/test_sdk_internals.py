"""The provider SDKs' internals we read are where we expect them, in the installed releases.

CI installs the newest openai and anthropic (and re-runs under the oldest openai), so a release
that moves one fails here, by name, with what it costs — not as a quietly thinner span.  Each
internal is read in one module per provider (``instrumentation/<provider>/_sdk.py``), each with a
fallback; this table is the list of them.  Add a row with every new internal read.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest


class Internal(NamedTuple):
    package: str  # the distribution whose version the message names
    what: str  # the internal, as read
    check: Callable[[], bool]
    consequence: str  # what the instrumentation does without it
    #: The instrumentation package reading it, where its name is not the distribution's.
    instrumentation: str | None = None


def _attr(module: str, *path: str) -> Any:
    obj: Any = importlib.import_module(module)
    for name in path:
        obj = getattr(obj, name)
    return obj


def _sets(cls: Any, attribute: str) -> bool:
    """Whether ``cls.__init__`` assigns ``self.<attribute>`` (the name is in its code's names)."""
    return attribute in cls.__init__.__code__.co_names


def _openai_streams_forward() -> bool:
    import openai

    from llm_agent.instrumentation.openai import _sdk

    return (
        _sdk._forwarding(openai.Stream, "__iter__", _sdk._reference_iter)
        and _sdk._forwarding(openai.Stream, "__next__", _sdk._reference_next)
        and _sdk._forwarding(openai.AsyncStream, "__anext__", _sdk._reference_anext)
    )


INTERNALS = [
    Internal(
        "openai",
        "openai._legacy_response.LegacyAPIResponse",
        lambda: isinstance(_attr("openai._legacy_response", "LegacyAPIResponse"), type),
        "with_raw_response results are not recognised: their spans end from the request side only",
    ),
    Internal(
        "openai",
        "LegacyAPIResponse._stream",
        lambda: _sets(_attr("openai._legacy_response", "LegacyAPIResponse"), "_stream"),
        "a streamed with_raw_response is read as a whole body: its span ends without the stream's usage",
    ),
    Internal(
        "openai",
        "openai._response.APIResponse / AsyncAPIResponse",
        lambda: all(isinstance(_attr("openai._response", n), type) for n in ("APIResponse", "AsyncAPIResponse")),
        "with_streaming_response results are not proxied: their spans end without usage",
    ),
    Internal(
        "openai",
        "Stream._iterator and the forwarding __iter__/__next__/__anext__",
        lambda: _sets(_attr("openai", "Stream"), "_iterator") and _openai_streams_forward(),
        "the stream proxy iterates the SDK's own layer too: correct, a little slower per chunk",
    ),
    Internal(
        "openai",
        "SyncAPIResource._client / AsyncAPIResource._client",
        lambda: all(_sets(_attr("openai._resource", n), "_client") for n in ("SyncAPIResource", "AsyncAPIResource")),
        "no server.address/port and every call's provider is 'openai' (base URL unknown)",
    ),
    Internal(
        "anthropic",
        "anthropic._response.APIResponse / AsyncAPIResponse",
        lambda: all(isinstance(_attr("anthropic._response", n), type) for n in ("APIResponse", "AsyncAPIResponse")),
        "with_raw_response / with_streaming_response results are not recognised: spans end without usage",
    ),
    Internal(
        "anthropic",
        "BaseAPIResponse._is_sse_stream",
        lambda: _sets(_attr("anthropic._response", "BaseAPIResponse"), "_is_sse_stream"),
        "a raw streamed response is read as a JSON body (none): its span ends without usage",
    ),
    Internal(
        "anthropic",
        "anthropic._base_client.BaseClient._tracer (property)",
        lambda: isinstance(_attr("anthropic._base_client", "BaseClient").__dict__.get("_tracer"), property),
        "if the SDK traces its requests another way, a call could be recorded twice (ours and the SDK's)",
    ),
    Internal(
        "anthropic",
        "MessageStreamManager.__api_request / AsyncMessageStreamManager.__api_request",
        lambda: all(
            _sets(_attr("anthropic.lib.streaming._messages", n), f"_{n}__api_request")
            for n in ("MessageStreamManager", "AsyncMessageStreamManager")
        ),
        "messages.stream(...) makes no span",
    ),
    Internal(
        "anthropic",
        "SyncAPIResource._client",
        lambda: _sets(_attr("anthropic._resource", "SyncAPIResource"), "_client"),
        "no server.address/port, and Bedrock/Vertex clients are named 'anthropic'",
    ),
    Internal(
        "cohere",
        "V2Client._raw_client, RawV2Client._client_wrapper.get_base_url()",
        lambda: _sets(_attr("cohere.v2.client", "V2Client"), "_raw_client")
        and _sets(_attr("cohere.v2.raw_client", "RawV2Client"), "_client_wrapper")
        and callable(getattr(_attr("cohere.core.client_wrapper", "SyncClientWrapper"), "get_base_url", None)),
        "no server.address/port on Cohere spans",
    ),
    Internal(
        "cohere",
        "V2Client.chat / AsyncV2Client.chat call self._raw_client.chat",
        lambda: all(
            {"_raw_client", "chat"} <= set(_attr("cohere.v2.client", n).chat.__code__.co_names)
            for n in ("V2Client", "AsyncV2Client")
        ),
        "a ClientV2 made before instrument() (its chat bound at construction) and with_raw_response.chat "
        "make no span; if the raw method is reached another way, a call could be recorded twice",
    ),
    Internal(
        "ollama",
        "BaseClient._client (the httpx client, its base_url)",
        lambda: _sets(_attr("ollama._client", "BaseClient"), "_client"),
        "no server.address/port on Ollama spans",
    ),
    Internal(
        "ollama",
        "ollama._client, the Client whose bound methods are ollama.chat/generate/embed/embeddings",
        lambda: type(_attr("ollama", "_client")).__name__ == "Client"
        and all(getattr(_attr("ollama", m), "__self__", None) is _attr("ollama", "_client")
                for m in ("chat", "generate", "embed", "embeddings")),
        "the module functions (ollama.chat...) make no span",
    ),
    Internal(
        "google-genai",
        "Models._generate_content / _generate_content_stream (and AsyncModels')",
        lambda: all(
            callable(_attr("google.genai.models", cls).__dict__.get(name))
            for cls in ("Models", "AsyncModels")
            for name in ("_generate_content", "_generate_content_stream")
        ),
        "the public methods are patched instead: an automatic-function-calling loop makes one span",
        "google_genai",
    ),
    Internal(
        "google-genai",
        "Models._api_client / BaseApiClient.vertexai / BaseApiClient._http_options",
        lambda: _sets(_attr("google.genai._api_module", "BaseModule"), "_api_client")
        and all(_sets(_attr("google.genai._api_client", "BaseApiClient"), n) for n in ("vertexai", "_http_options")),
        "no server.address/port, and Vertex AI clients are told apart by their URL only",
        "google_genai",
    ),
    Internal(
        "litellm",
        "litellm.get_llm_provider -> (model, provider, api key, api_base)",
        lambda: _litellm_routes("openai/gpt-4o-mini")[:2] == ("gpt-4o-mini", "openai"),
        "no provider name or server from LiteLLM's routing, and the request model keeps its route prefix",
    ),
    Internal(
        "litellm",
        "litellm.litellm_core_utils.streaming_handler.CustomStreamWrapper (custom_llm_provider, _hidden_params)",
        lambda: all(
            _sets(_litellm_attr("litellm.litellm_core_utils.streaming_handler", "CustomStreamWrapper"), name)
            for name in ("custom_llm_provider", "_hidden_params")
        ),
        "LiteLLM streams are proxied only when they still look like iterators; a Router stream names no provider",
    ),
    Internal(
        "litellm",
        "litellm.types.utils.UnreportedUsage and ModelResponse._hidden_params",
        lambda: isinstance(_litellm_attr("litellm.types.utils", "UnreportedUsage"), type)
        and type(getattr(_litellm_attr("litellm", "ModelResponse")(), "_hidden_params", None)) is dict,
        "a stream's usage without stream_options.include_usage is unknown; a Router call names no provider",
    ),
    Internal(
        "litellm",
        "Router endpoint methods on litellm.router_rust.core.RustCore or litellm.router.Router",
        lambda: _litellm_router_defines("completion", "acompletion", "embedding", "aembedding"),
        "Router calls make spans only through the litellm.completion & co. they call (per attempt)",
    ),
    Internal(
        "groq",
        "groq._response.APIResponse / AsyncAPIResponse",
        lambda: all(isinstance(_attr("groq._response", n), type) for n in ("APIResponse", "AsyncAPIResponse")),
        "with_raw_response / with_streaming_response results are not recognised: spans end without usage",
    ),
    Internal(
        "groq",
        "BaseAPIResponse._is_sse_stream",
        lambda: _sets(_attr("groq._response", "BaseAPIResponse"), "_is_sse_stream"),
        "a raw streamed response is read as a JSON body (none): its span ends without usage",
    ),
    Internal(
        "groq",
        "SyncAPIResource._client / AsyncAPIResource._client",
        lambda: all(_sets(_attr("groq._resource", n), "_client") for n in ("SyncAPIResource", "AsyncAPIResource")),
        "no server.address/port",
    ),
    Internal(
        "mistralai",
        "BaseSDK.sdk_configuration.get_server_details()",
        lambda: _sets(_attr("mistralai.client.basesdk", "BaseSDK"), "sdk_configuration")
        and callable(_attr("mistralai.client.sdkconfiguration", "SDKConfiguration").get_server_details),
        "no server.address/port",
    ),
    Internal(
        "mistralai",
        "UsageInfo.model_fields_set (pydantic)",
        lambda: _attr("mistralai.client.models", "UsageInfo").model_validate({"completion_tokens": 1}).model_fields_set
        == {"completion_tokens"},
        "an input count the response did not carry would read as the SDK's default 0, not unknown",
    ),
    Internal(
        "mistralai",
        "mistralai.client._hooks.tracing.TracingHook.before_request",
        lambda: callable(_attr("mistralai.client._hooks.tracing", "TracingHook").__dict__.get("before_request")),
        "with the SDK's telemetry on, a call could be recorded twice (ours and the SDK's)",
    ),
    Internal(
        "dashscope",
        "dashscope.base_http_api_url",
        lambda: isinstance(_attr("dashscope", "base_http_api_url"), str),
        "classic calls without base_address have no server.address/port",
    ),
    Internal(
        "dashscope",
        "dashscope.v2 resources' _client (chat, multimodal, embeddings, rerank; sync and async)",
        lambda: all(
            _sets(_attr(f"dashscope.v2.resources.{module}", name), "_client")
            for module, names in (
                ("chat.completions", ("Completions", "AsyncCompletions")),
                ("multimodal.chat", ("MultimodalChat", "AsyncMultimodalChat")),
                ("embeddings", ("Embeddings", "AsyncEmbeddings")),
                ("multimodal.embeddings", ("MultimodalEmbeddings", "AsyncMultimodalEmbeddings")),
                ("rerank", ("Rerank", "AsyncRerank")),
            )
            for name in names
        ),
        "2.x client calls have no server.address/port",
    ),
    Internal(
        "dashscope",
        "dashscope.v2 Config.base_url / protocol_base_url",
        lambda: {"base_url", "protocol_base_url"} <= set(_attr("dashscope.v2._config", "Config").__dataclass_fields__),
        "2.x client calls have no server.address/port",
    ),
    Internal(
        "dashscope",
        "ChatStream._merge / ChatStream._server_cumulative (and AsyncChatStream's)",
        lambda: all(
            _sets(_attr("dashscope.v2.resources.chat.completions", n), a)
            for n in ("ChatStream", "AsyncChatStream")
            for a in ("_merge", "_server_cumulative")
        ),
        "a merged 2.x stream (incremental_output=False) is read as deltas: its captured text repeats itself",
    ),
    Internal(
        "dashscope",
        "ChatStream.text_stream/... (properties) and AsyncChatStream._text_stream/... (their generators)",
        lambda: all(
            isinstance(_attr("dashscope.v2.resources.chat.completions", "ChatStream").__dict__.get(name), property)
            and callable(getattr(_attr("dashscope.v2.resources.chat.completions", "AsyncChatStream"), f"_{name}"))
            for name in ("text_stream", "reasoning_stream", "tool_call_stream")
        ),
        "a stream read through the helpers bypasses the proxy: its span ends as abandoned, without usage",
    ),
    *(
        [
            Internal(
                "openai-agents",
                "agents.tracing.scope.Scope.set_current_span/reset_current_span/set_current_trace/reset_current_trace",
                lambda: _agents_sdk().scope_class() is not None,
                "our spans are not made current: a provider span inside the SDK's model call is a sibling of the "
                "SDK's response span, and response spans never count as the model call",
                "openai_agents",
            ),
            Internal(
                "openai-agents",
                "DefaultTraceProvider._multi_processor._processors",
                lambda: _agents_sdk().registered_processors(_agents_provider()) is not None,
                "instrument() cannot see whether the app replaced the SDK's processors; it registers only once",
                "openai_agents",
            ),
            Internal(
                "openai-agents",
                "ResponseSpanData._response_id (the response id without trace_include_sensitive_data)",
                lambda: "_response_id" in _attr("agents.tracing.span_data", "ResponseSpanData").__slots__,
                "response spans lack gen_ai.response.id when the SDK keeps no sensitive data",
                "openai_agents",
            ),
        ]
        if importlib.util.find_spec("agents") is not None
        else []
    ),
]


def _agents_sdk() -> Any:
    from llm_agent.instrumentation.openai_agents import _sdk

    return _sdk


def _agents_provider() -> Any:
    return _attr("agents.tracing", "get_trace_provider")()


def _litellm_attr(module: str, *path: str) -> Any:
    import os

    # LiteLLM fetches its cost map from the network at import unless told to use its own copy.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    return _attr(module, *path)


def _litellm_routes(model: str) -> tuple[Any, ...]:
    resolved = _litellm_attr("litellm", "get_llm_provider")(model=model)
    return tuple(resolved) if len(resolved) == 4 else ()


def _litellm_router_defines(*methods: str) -> bool:
    from llm_agent.instrumentation.litellm._sdk import ROUTER_CLASSES

    for module, name in ROUTER_CLASSES:
        try:
            cls = _litellm_attr(module, name)
        except (ImportError, AttributeError):
            continue
        if all(method in cls.__dict__ for method in methods):
            return True
    return False


@pytest.mark.parametrize("internal", INTERNALS, ids=[i.what for i in INTERNALS])
def test_internal_is_where_we_read_it(internal: Internal) -> None:
    version = importlib.metadata.version(internal.package)
    try:
        found = internal.check()
    except (ImportError, AttributeError) as exc:
        found, why = False, f"{type(exc).__name__}: {exc}"
    else:
        why = "not as expected"
    assert found, (
        f"{internal.package} {version}: the internal {internal.what} moved ({why}). "
        f"Without it: {internal.consequence}. "
        f"Update instrumentation/{internal.instrumentation or internal.package}/_sdk.py."
    )


def test_absent_private_types_fall_back_to_nothing_matching(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback itself: an SDK without the private response types gets a type nothing is an
    instance of, so the checks are skipped rather than raising."""
    from llm_agent.instrumentation._base import find_type
    from llm_agent.instrumentation.anthropic import _sdk as anthropic_sdk
    from llm_agent.instrumentation.openai import _sdk as openai_sdk

    for sdk in (openai_sdk, anthropic_sdk):
        absent = find_type("no_such_module_here", "APIResponse")
        assert isinstance(absent, type) and not isinstance(object(), absent)
        assert find_type(sdk.__name__, "no_such_name") is absent
