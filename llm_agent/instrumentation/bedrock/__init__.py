"""AWS Bedrock Runtime instrumentation (boto3/botocore): one span per model call (docs/bedrock.md).

``converse``, ``converse_stream``, ``invoke_model`` and ``invoke_model_with_response_stream`` of
the ``bedrock-runtime`` client.  boto3 builds client classes at run time, one per client, so no
client class exists to patch in advance; the one method every operation of every client goes
through, ``botocore.client.BaseClient._make_api_call``, is patched instead, at class level: clients
created before ``init()`` and clients of every ``boto3.Session`` are covered, with no per-instance
or per-session hook.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import wrapt

from llm_agent.instrumentation._base import Instrumentor
from llm_agent.instrumentation.bedrock._patch import make_api_call_wrapper, state
from llm_agent.instrumentation.bedrock._sdk import CALL_METHOD, CLIENT_CLASS, CLIENT_MODULE


class BedrockInstrumentor(Instrumentor):
    name = "bedrock"
    library = "botocore"

    def __init__(self) -> None:
        super().__init__()
        self._patched: tuple[Any, Any] | None = None  # (class, original)

    def _instrument(self, module: ModuleType) -> None:
        cls = getattr(importlib.import_module(CLIENT_MODULE), CLIENT_CLASS)
        original = cls.__dict__.get(CALL_METHOD)
        state.enabled = True
        if original is None or isinstance(original, wrapt.FunctionWrapper):
            return  # moved (the contract test names it) or already wrapped
        wrapt.wrap_function_wrapper(cls, CALL_METHOD, make_api_call_wrapper)
        self._patched = (cls, original)

    def _uninstrument(self, module: ModuleType) -> None:
        state.enabled = False
        if self._patched is not None:
            cls, original = self._patched
            setattr(cls, CALL_METHOD, original)
            self._patched = None


__all__ = ["BedrockInstrumentor"]
