"""Every read of a ``google-genai`` internal, in one place, each with a fallback.

The SDK keeps the state we need (which backend a client talks to, its base URL) on private
objects, and the methods that make exactly one HTTP request are private too.  Each function here
names the internal it reads, the releases known to have it, and what happens when it is gone; a
contract test (tests/google_genai/test_genai_sdk_contract.py) fails naming the internal when an installed
release moved it, so a change shows up in CI rather than as silently missing attributes.
"""

from __future__ import annotations

from typing import Any, Final

#: The host suffix of Vertex AI endpoints (``{location}-aiplatform.googleapis.com``,
#: ``aiplatform.googleapis.com``): the fallback backend test when the client's flag is unreadable.
VERTEX_HOST_MARKER: Final = "aiplatform.googleapis.com"

#: (public method, private per-request method) of ``Models``/``AsyncModels``.  The private one
#: sends exactly one HTTP request; the public one may send several: automatic function calling
#: (AFC) loops over model calls, and 3.x follows continuation tokens (docs/gemini.md, "AFC").
PER_REQUEST_METHODS: Final = (
    ("generate_content", "_generate_content"),
    ("generate_content_stream", "_generate_content_stream"),
)


def api_client(resource: Any) -> Any:
    """``Models._api_client`` / ``AsyncModels._api_client``: the ``BaseApiClient`` of a resource.

    Present in every release from 0.x to 3.6 (``_api_module.BaseModule.__init__``).  None when
    absent: then no server attributes, and the provider falls back to ``gcp.gemini``.
    """
    return getattr(resource, "_api_client", None)


def is_vertex(client: Any, base_url: str | None) -> bool:
    """Whether ``client`` (a ``BaseApiClient``) talks to Vertex AI rather than the Gemini API.

    ``BaseApiClient.vertexai`` is the resolved backend in every release: 1.x and 2.x set it from
    ``Client(vertexai=...)`` or ``GOOGLE_GENAI_USE_VERTEXAI``; 3.x resolves ``enterprise=True`` (or
    ``GOOGLE_GENAI_USE_ENTERPRISE``, which wins over the legacy variable) into the same attribute.
    It is None (not False) for a Gemini API client.  Fallback when the attribute is missing or
    not a bool/None: a Vertex AI host in the base URL.
    """
    flag = getattr(client, "vertexai", _MISSING)
    if flag is True:
        return True
    if flag is None or flag is False:
        return False
    return base_url is not None and VERTEX_HOST_MARKER in base_url


def base_url(client: Any) -> str | None:
    """The base URL requests go to: ``BaseApiClient._http_options.base_url``.

    ``_http_options`` is a ``types.HttpOptions`` model from about 1.10 to 3.6 and a plain dict
    (``_http_options["base_url"]``) in earlier 1.x releases; both are read.  None when neither is
    there (no ``server.*`` attributes then).
    """
    options = getattr(client, "_http_options", None)
    if options is None:
        return None
    url = options.get("base_url") if isinstance(options, dict) else getattr(options, "base_url", None)
    return url if isinstance(url, str) and url else None


def per_request_method(cls: type, public: str, private: str) -> str:
    """The method to patch on ``cls`` for one span per model call: ``private`` if ``cls`` has it.

    ``Models._generate_content`` / ``_generate_content_stream`` and their ``AsyncModels``
    counterparts exist from 1.0 to 3.6 and are what the public methods (and chats) call once per
    HTTP request.  Should a release drop them, the public method is patched instead: still one
    span per ``generate_content`` call, but an AFC loop then makes one span for all its requests.
    """
    return private if callable(cls.__dict__.get(private)) else public


_MISSING: Final = object()

__all__ = ["PER_REQUEST_METHODS", "api_client", "base_url", "is_vertex", "per_request_method"]
