"""Bedrock test helpers: recorded cassettes, the requests recorded in them, and clients.

The cassettes (tests/cassettes/bedrock, provenance in its README) are replayed by vcrpy with
``record_mode="none"``: botocore sends over urllib3, which vcrpy intercepts.  Each test re-sends
the very request recorded in the cassette (keyword arguments for ``converse*``, the ``body``
string for ``invoke_model*``), so the real botocore code runs end to end against a real response.
Clients get fake static credentials: never the environment's, never a real key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes" / "bedrock"
REGION = "us-east-1"
ACCESS_KEY_ID = "test_aws_access_key_id"
SECRET_ACCESS_KEY = "test_aws_secret_access_key"
SERVER = {"server.address": "bedrock-runtime.us-east-1.amazonaws.com", "server.port": 443}
PARSED_BODY = "parsed_body"


def _parsed_body_deserialize(text: str) -> dict[str, Any]:
    """pydantic-ai's cassette format: JSON bodies stored as YAML data under ``parsed_body``.

    Re-serialised with ``json.dumps`` defaults, which is what its stored content-length counts.
    """
    import yaml

    data = yaml.load(text, Loader=yaml.SafeLoader)
    for interaction in data["interactions"]:
        request = interaction["request"]
        if "parsed_body" in request:
            request["body"] = json.dumps(request.pop("parsed_body"))
        response = interaction["response"]
        if "parsed_body" in response:
            response["body"] = {"string": json.dumps(response.pop("parsed_body"))}
    return data  # type: ignore[no-any-return]


class _ParsedBodySerializer:
    @staticmethod
    def deserialize(text: str) -> dict[str, Any]:
        return _parsed_body_deserialize(text)

    @staticmethod
    def serialize(data: dict[str, Any]) -> str:  # pragma: no cover - never recording
        raise NotImplementedError("the parsed_body cassettes are replay-only")


def _recorder() -> Any:
    import vcr

    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTES),
        record_mode="none",
        match_on=["method", "scheme", "host", "port", "path", "query"],
    )
    recorder.register_serializer(PARSED_BODY, _ParsedBodySerializer)
    return recorder


def use_cassette(name: str) -> Any:
    """Replay tests/cassettes/bedrock/``name``.yaml (``parsed_body/...`` with its serializer)."""
    if name.startswith(PARSED_BODY + "/"):
        return _recorder().use_cassette(f"{name}.yaml", serializer=PARSED_BODY)
    return _recorder().use_cassette(f"{name}.yaml")


@pytest.fixture
def cassette() -> Callable[[str], Any]:
    """``with cassette("name"):`` replays a recorded exchange, never the network."""
    return use_cassette


def _interaction(name: str, index: int) -> dict[str, Any]:
    path = CASSETTES / f"{name}.yaml"
    text = path.read_text()
    if name.startswith(PARSED_BODY + "/"):
        data = _parsed_body_deserialize(text)
    else:
        import yaml

        data = yaml.safe_load(text)
    return data["interactions"][index]["request"]  # type: ignore[no-any-return]


def recorded_model(name: str, index: int = 0) -> str:
    """The model id in the recorded request's path (``/model/<id>/converse``)."""
    uri = _interaction(name, index)["uri"]
    return unquote(uri.split("/model/", 1)[1].rsplit("/", 1)[0])


def recorded_converse(name: str, index: int = 0) -> dict[str, Any]:
    """Keyword arguments re-sending the ``index``-th recorded ``converse*`` request."""
    body = json.loads(_interaction(name, index)["body"])
    return {"modelId": recorded_model(name, index), **body}


def recorded_invoke(name: str, index: int = 0) -> dict[str, Any]:
    """Keyword arguments re-sending the ``index``-th recorded ``invoke_model*`` request."""
    body = _interaction(name, index)["body"]
    return {"modelId": recorded_model(name, index), "body": body}


def client(service: str = "bedrock-runtime", **kwargs: Any) -> Any:
    """A real boto3 client with fake static credentials and no retries."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
        **kwargs,
    )


def converse_accepts(member: str) -> bool:
    """Whether the installed botocore's Converse request has ``member`` (older releases lack newer ones)."""
    shape = client().meta.service_model.operation_model("Converse").input_shape
    return member in shape.members


def converse_reports_cache_tokens() -> bool:
    """Whether the installed botocore parses Converse's cache token counts (it drops unknown fields)."""
    usage = client().meta.service_model.operation_model("Converse").output_shape.members["usage"]
    return "cacheReadInputTokens" in usage.members


def messages_accept_cache_points() -> bool:
    shape = client().meta.service_model.shape_for("ContentBlock")
    return "cachePoint" in shape.members
