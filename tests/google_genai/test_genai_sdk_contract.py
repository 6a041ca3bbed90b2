"""The google-genai internals ``_sdk`` reads are where it expects them in the installed release.

Each test names one internal; when a release moves it, the test says which, so the fallback in
``llm_agent/instrumentation/google_genai/_sdk.py`` (documented there) is known to be in use.
"""

from __future__ import annotations

import pytest
from google import genai
from google.genai import models

from llm_agent.instrumentation.google_genai import _sdk
from tests.google_genai.genai_helpers import gemini_client, vertex_client


@pytest.mark.parametrize("cls", [models.Models, models.AsyncModels], ids=lambda c: c.__name__)
@pytest.mark.parametrize(("public", "private"), _sdk.PER_REQUEST_METHODS)
def test_per_request_private_methods_exist(cls: type, public: str, private: str) -> None:
    assert callable(cls.__dict__.get(private)), (
        f"google-genai {genai.__version__}: {cls.__name__}.{private} is gone; {public} is patched instead and "
        "automatic function calling makes one span for all its model calls"
    )
    assert _sdk.per_request_method(cls, public, private) == private


@pytest.mark.parametrize("cls", [models.Models, models.AsyncModels], ids=lambda c: c.__name__)
def test_embed_content_exists(cls: type) -> None:
    assert callable(cls.__dict__.get("embed_content")), f"{cls.__name__}.embed_content is gone"


def test_private_generate_methods_are_called_by_the_public_ones() -> None:
    """The public methods (and so chats) reach the private per-request ones: read in the source."""
    import inspect

    for cls in (models.Models, models.AsyncModels):
        for public, private in _sdk.PER_REQUEST_METHODS:
            source = inspect.getsource(cls.__dict__[public])
            assert f"self.{private}" in source or f"self.{private}_with_continuation" in source, (
                f"google-genai {genai.__version__}: {cls.__name__}.{public} no longer calls {private}"
            )


def test_resources_hold_their_api_client() -> None:
    client = gemini_client()
    for resource in (client.models, client.aio.models):
        assert _sdk.api_client(resource) is not None, (
            f"google-genai {genai.__version__}: {type(resource).__name__}._api_client is gone"
        )


def test_api_client_vertexai_flag() -> None:
    gemini = _sdk.api_client(gemini_client().models)
    vertex = _sdk.api_client(vertex_client().models)
    assert "vertexai" in dir(gemini), f"google-genai {genai.__version__}: BaseApiClient.vertexai is gone"
    assert (gemini.vertexai in (None, False), vertex.vertexai) == (True, True)
    assert (_sdk.is_vertex(gemini, _sdk.base_url(gemini)), _sdk.is_vertex(vertex, _sdk.base_url(vertex))) == (
        False,
        True,
    )


def test_api_client_base_url() -> None:
    client = _sdk.api_client(vertex_client(location="europe-west4").models)
    options = getattr(client, "_http_options", None)
    assert options is not None, f"google-genai {genai.__version__}: BaseApiClient._http_options is gone"
    assert _sdk.base_url(client) == "https://europe-west4-aiplatform.googleapis.com/", (
        f"google-genai {genai.__version__}: _http_options.base_url moved"
    )


def test_fallbacks_when_internals_are_missing() -> None:
    """What ``_sdk`` answers for objects without the internals (a release that moved them)."""

    class Bare:
        pass

    assert _sdk.api_client(Bare()) is None
    assert _sdk.base_url(Bare()) is None
    assert _sdk.base_url(type("Old", (), {"_http_options": {"base_url": "https://x.googleapis.com/"}})()) == (
        "https://x.googleapis.com/"
    )
    assert _sdk.is_vertex(Bare(), "https://us-central1-aiplatform.googleapis.com/") is True
    assert _sdk.is_vertex(Bare(), "https://generativelanguage.googleapis.com/") is False
    assert _sdk.is_vertex(Bare(), None) is False
    assert _sdk.per_request_method(Bare, "generate_content", "_generate_content") == "generate_content"
