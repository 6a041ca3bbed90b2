"""The lifecycle matrix's cases for LiteLLM: its OpenAI route, its Anthropic route and the Router."""

from __future__ import annotations

from typing import Any, ClassVar

import litellm

from tests._lifecycle import LifecycleCases
from tests.litellm import loopback as lb
from tests.litellm.loopback import Loopback

MESSAGES = [{"role": "user", "content": "hi"}]
MAX_TOKENS = 10
#: What apps pass to get a LiteLLM stream's usage (the OpenAI route reports none without it).
USAGE = {"include_usage": True}


class AnyId:
    """LiteLLM makes up a ``chatcmpl-<uuid>`` id for providers whose answers carry another kind."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other.startswith("chatcmpl-")

    def __repr__(self) -> str:
        return "chatcmpl-<any>"


class LiteLLMCases(LifecycleCases):
    """``litellm.completion``/``acompletion`` through one route to the loopback server."""

    error = litellm.exceptions.BadRequestError
    error_type = "litellm.exceptions.BadRequestError"
    stream_error = litellm.exceptions.MidStreamFallbackError
    stream_error_type = "litellm.exceptions.MidStreamFallbackError"
    async_close: ClassVar[str] = "aclose"
    path = "/v1/chat/completions"

    def __init__(self, server: Loopback) -> None:
        self.server = server

    def arrange(self, outcome: str) -> None:
        self.server.arrange(outcome)

    def kwargs(self, stream: bool) -> dict[str, Any]:
        raise NotImplementedError

    def call(self, is_async: bool, stream: bool, variant: str = "plain") -> Any:
        kwargs = self.kwargs(stream)
        return litellm.acompletion(**kwargs) if is_async else litellm.completion(**kwargs)

    def requests(self) -> int:
        return sum(1 for r in self.server.received if r.path == self.path)

    def check_result(self, result: Any, stream: bool) -> None:
        assert type(result) is litellm.ModelResponse and result.choices[0].message.content

    def server_attrs(self) -> dict[str, Any]:
        return {"server.address": "127.0.0.1", "server.port": self.server.port}


class OpenAIRoute(LiteLLMCases):
    chunks = 4  # two text chunks, the finishing chunk and the usage chunk the app asked for

    def kwargs(self, stream: bool) -> dict[str, Any]:
        extra = {"stream": True, "stream_options": USAGE} if stream else {}
        return {"model": f"openai/{lb.OPENAI_MODEL}", "messages": MESSAGES, "api_base": self.server.openai_base,
                "api_key": "test_openai_api_key", "max_tokens": MAX_TOKENS, **extra}  # fmt: skip

    def request(self, stream: bool) -> dict[str, Any]:
        attrs = {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": lb.OPENAI_MODEL,
            "gen_ai.request.max_tokens": MAX_TOKENS, "gen_ai.span.kind": "LLM", **self.server_attrs(),
        }  # fmt: skip
        return {**attrs, "gen_ai.request.stream": True} if stream else attrs

    def response(self) -> dict[str, Any]:
        return {
            "gen_ai.response.id": "chatcmpl-loop1", "gen_ai.response.model": lb.OPENAI_SNAPSHOT,
            "gen_ai.response.finish_reasons": ("stop",), "gen_ai.usage.input_tokens": 11,
            "gen_ai.usage.output_tokens": 7, "gen_ai.usage.cache_read.input_tokens": 3,
            "gen_ai.usage.reasoning.output_tokens": 2,
        }  # fmt: skip

    def full_stream(self) -> dict[str, Any]:
        return {
            **self.first_chunk_known(), "gen_ai.response.finish_reasons": ("stop",),
            "gen_ai.usage.input_tokens": 9, "gen_ai.usage.output_tokens": 4,
            # LiteLLM's normalised stream usage says 0 reasoning tokens where the server gave no details
            "gen_ai.usage.reasoning.output_tokens": 0,
        }  # fmt: skip

    def first_chunk_known(self) -> dict[str, Any]:
        # LiteLLM names a chunk's model as the request did, not as the server answered
        return {"gen_ai.response.id": "chatcmpl-loop2", "gen_ai.response.model": lb.OPENAI_MODEL}

    def first_chunk(self) -> dict[str, Any]:
        return {**self.first_chunk_known(), "llm_agent.usage.missing": True}


class AnthropicRoute(LiteLLMCases):
    chunks = 3  # two text chunks and the finishing chunk (message_start gives the app none)
    path = "/v1/messages"

    def kwargs(self, stream: bool) -> dict[str, Any]:
        return {"model": f"anthropic/{lb.ANTHROPIC_MODEL}", "messages": MESSAGES,
                "api_base": self.server.anthropic_base, "api_key": "test_anthropic_api_key",
                "max_tokens": MAX_TOKENS, **({"stream": True} if stream else {})}  # fmt: skip

    def request(self, stream: bool) -> dict[str, Any]:
        attrs = {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": lb.ANTHROPIC_MODEL, "gen_ai.request.max_tokens": MAX_TOKENS,
            "gen_ai.span.kind": "LLM", **self.server_attrs(),
        }  # fmt: skip
        return {**attrs, "gen_ai.request.stream": True} if stream else attrs

    def usage(self) -> dict[str, Any]:
        # LiteLLM's input count includes the cache reads and writes, as the GenAI conventions do
        return {
            "gen_ai.usage.input_tokens": 15, "gen_ai.usage.output_tokens": 6,
            "gen_ai.usage.cache_read.input_tokens": 2, "gen_ai.usage.cache_creation.input_tokens": 1,
            "gen_ai.usage.reasoning.output_tokens": 0,
        }  # fmt: skip

    def response(self) -> dict[str, Any]:
        return {"gen_ai.response.id": AnyId(), "gen_ai.response.model": lb.ANTHROPIC_MODEL,
                "gen_ai.response.finish_reasons": ("stop",), **self.usage()}  # fmt: skip

    def full_stream(self) -> dict[str, Any]:
        return self.response()

    def first_chunk(self) -> dict[str, Any]:
        return {"gen_ai.response.id": AnyId(), "gen_ai.response.model": lb.ANTHROPIC_MODEL,
                "llm_agent.usage.missing": True}  # fmt: skip


class RouterRoute(OpenAIRoute):
    """``Router.completion``/``acompletion`` to a model group served by the OpenAI route.

    The span is the Router call's (the ``litellm.completion`` it makes passes through): its model
    is the model group, and the deployment that served it names the provider and server.
    """

    GROUP = "mini"
    # A stream cut after content cannot fall back: the Router raises the provider's own error.
    stream_error = litellm.exceptions.APIConnectionError
    stream_error_type = "litellm.exceptions.APIConnectionError"

    def __init__(self, server: Loopback) -> None:
        super().__init__(server)
        deployment = {"model": f"openai/{lb.OPENAI_MODEL}", "api_base": server.openai_base,
                      "api_key": "test_openai_api_key"}  # fmt: skip
        self.router = litellm.Router(
            model_list=[{"model_name": self.GROUP, "litellm_params": deployment}], num_retries=0, disable_cooldowns=True
        )

    def call(self, is_async: bool, stream: bool, variant: str = "plain") -> Any:
        kwargs = self.kwargs(stream)
        kwargs = {key: kwargs[key] for key in ("messages", "max_tokens", "stream", "stream_options") if key in kwargs}
        method = self.router.acompletion if is_async else self.router.completion
        return method(model=self.GROUP, **kwargs)

    def request(self, stream: bool) -> dict[str, Any]:
        attrs = {
            "gen_ai.operation.name": "chat", "gen_ai.request.model": self.GROUP,
            "gen_ai.request.max_tokens": MAX_TOKENS, "gen_ai.span.kind": "LLM",
            "gen_ai.provider.name": "openai",  # from the deployment's answer, or LiteLLM's error
        }  # fmt: skip
        return {**attrs, "gen_ai.request.stream": True} if stream else attrs

    def response(self) -> dict[str, Any]:
        return {**super().response(), **self.server_attrs()}

    def full_stream(self) -> dict[str, Any]:
        return {**super().full_stream(), **self.server_attrs()}

    def first_chunk(self) -> dict[str, Any]:
        return {**super().first_chunk(), **self.server_attrs()}
