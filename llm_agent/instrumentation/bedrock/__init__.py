"""AWS Bedrock Runtime instrumentation (boto3/botocore): one span per model call (docs/bedrock.md).

``converse``, ``converse_stream``, ``invoke_model`` and ``invoke_model_with_response_stream`` of
the ``bedrock-runtime`` client.  boto3 builds client classes at run time, one per client, so no
client class exists to patch in advance; the one method every operation of every client goes
through, ``botocore.client.BaseClient._make_api_call``, is patched instead, at class level: clients
created before ``init()`` and clients of every ``boto3.Session`` are covered, with no per-instance
or per-session hook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from llm_agent.instrumentation._base import PatchingInstrumentor, Target
from llm_agent.instrumentation.bedrock._provider import CONVERSE, make_api_call_wrapper, provider
from llm_agent.instrumentation.bedrock._sdk import CALL_METHOD, CLIENT_CLASS, CLIENT_MODULE

#: The one patched method.  Its operation is chosen per call (``_provider.OPERATIONS``); the
#: target's is only the table's placeholder.
TARGETS: Final = (Target(CLIENT_MODULE, CLIENT_CLASS, CALL_METHOD, CONVERSE),)


class BedrockInstrumentor(PatchingInstrumentor):
    name = "bedrock"
    library = "botocore"
    provider = provider
    targets = TARGETS

    def wrapper_for(self, target: Target) -> Callable[..., Any]:
        return make_api_call_wrapper()


__all__ = ["BedrockInstrumentor"]
