"""A fake Bedrock Runtime ``converse`` answer, served inside botocore (no socket).

botocore's ``before-send`` event lets a handler return the HTTP response instead of sending the
request: serialising, signing, the event hooks and parsing all run as for a real call, only the
socket is skipped — the counterpart of the mock transport the OpenAI scenarios use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

MODEL = "amazon.nova-micro-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "What is the capital of France?"}]}]
CONVERSE_KWARGS: dict[str, Any] = {
    "modelId": MODEL,
    "messages": MESSAGES,
    "inferenceConfig": {"maxTokens": 64, "temperature": 0.2},
}
ANSWER = "The capital of France is Paris. It has been the capital since the 10th century."
CONVERSE_BODY = json.dumps(
    {
        "metrics": {"latencyMs": 321},
        "output": {
            "message": {
                "role": "assistant",
                "content": [{"text": ANSWER}],
            }
        },
        "stopReason": "end_turn",
        "usage": {"inputTokens": 24, "outputTokens": 19, "totalTokens": 43},
    }
).encode()
HEADERS = {"Content-Type": "application/json", "x-amzn-RequestId": "00000000-0000-4000-8000-000000000000"}


class _Raw:
    """The part of urllib3's response botocore reads for a non-streaming body."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[bytes]:
        yield self._body


#: The control plane's answer for the "other service" scenario (a call the filter lets through).
MODELS_BODY = json.dumps({"modelSummaries": [{"modelId": MODEL, "providerName": "Amazon"}]}).encode()


def make_client(service: str = "bedrock-runtime") -> Any:
    """A real ``bedrock-runtime`` (or ``bedrock`` control-plane) client answered by the fake."""
    import boto3
    from botocore.awsrequest import AWSResponse

    client = boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id="test_aws_access_key_id",
        aws_secret_access_key="test_aws_secret_access_key",
    )
    body = CONVERSE_BODY if service == "bedrock-runtime" else MODELS_BODY

    def answer(request: Any, **kwargs: Any) -> Any:
        return AWSResponse(request.url, 200, HEADERS, _Raw(body))

    client.meta.events.register(f"before-send.{service}", answer)
    return client
