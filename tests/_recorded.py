"""Replaying recorded exchanges with vcrpy, in both stored forms: stock cassettes (a ``body``
string) and pydantic-ai's ``parsed_body`` ones (JSON bodies stored as YAML data, see each
cassettes folder's README), never reaching the network."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

CASSETTES = Path(__file__).resolve().parent / "cassettes"
PARSED_BODY = "parsed_body"


def _deserialize(text: str) -> dict[str, Any]:
    """A ``parsed_body`` cassette as vcrpy's own form: each parsed body as its JSON text (default
    separators, so the stored content-length stays right)."""
    data = yaml.safe_load(text)
    for interaction in data["interactions"]:
        request, response = interaction["request"], interaction["response"]
        if PARSED_BODY in request:
            request["body"] = json.dumps(request.pop(PARSED_BODY))
        if PARSED_BODY in response:
            response["body"] = {"string": json.dumps(response.pop(PARSED_BODY))}
    return dict(data)


class _ParsedBody:
    @staticmethod
    def deserialize(text: str) -> dict[str, Any]:
        return _deserialize(text)

    @staticmethod
    def serialize(data: dict[str, Any]) -> str:  # record_mode="none": never written
        raise NotImplementedError


def recorder(provider: str) -> Callable[[str], Any]:
    """``with use("name"):`` replays tests/cassettes/<provider>/name.yaml (either form)."""
    import vcr

    player = vcr.VCR(
        cassette_library_dir=str(CASSETTES / provider),
        record_mode="none",
        match_on=["method", "scheme", "host", "port", "path"],  # Mistral's "#stream" fragment aside
        decode_compressed_response=True,
    )
    player.register_serializer(PARSED_BODY, _ParsedBody)

    def use(name: str) -> Any:
        text = (CASSETTES / provider / f"{name}.yaml").read_text()
        serializer = PARSED_BODY if f"{PARSED_BODY}:" in text else "yaml"
        return player.use_cassette(f"{name}.yaml", serializer=serializer)

    return use


def recorded_request(provider: str, name: str, index: int = 0) -> dict[str, Any]:
    """The JSON body of the ``index``-th request recorded in ``name`` (as the SDK's kwargs)."""
    data = _deserialize((CASSETTES / provider / f"{name}.yaml").read_text())
    return dict(json.loads(data["interactions"][index]["request"]["body"]))


__all__ = ["recorded_request", "recorder"]
