"""google-genai instrumentation (Gemini API and Vertex AI): one span per model call (docs/gemini.md).

Patched at the class level of ``google.genai.models.Models``/``AsyncModels``, so clients created
before or after ``init()`` are covered, and so are chats (``Chat.send_message`` and
``send_message_stream`` call the same methods).  ``generate_content`` and
``generate_content_stream`` are patched at their private per-request methods (``_sdk``): with
automatic function calling or automatic continuation one public call sends several requests,
and each is one span.  The public ``generate_content_stream`` is wrapped as well, only so that the
app's ``close()`` of the SDK's generator ends the spans of the calls made inside it.
"""

from __future__ import annotations

from types import ModuleType
from typing import Final

from llm_agent.instrumentation._base import PatchingInstrumentor, Target
from llm_agent.instrumentation.google_genai import _sdk
from llm_agent.instrumentation.google_genai._provider import (
    EMBED,
    GENERATE,
    GENERATE_STREAM,
    async_scoped_stream_wrapper,
    provider,
    scoped_stream_wrapper,
)

_MODULE: Final = "google.genai.models"
_PRIVATE: Final = dict(_sdk.PER_REQUEST_METHODS)


def _targets(models: ModuleType) -> tuple[Target, ...]:
    """The per-request methods of the installed release (the public ones should it lack them)."""
    out = []
    for cls_name, is_async in (("Models", False), ("AsyncModels", True)):
        cls = getattr(models, cls_name, None)
        if cls is None:
            continue
        for public, op in (("generate_content", GENERATE), ("generate_content_stream", GENERATE_STREAM)):
            method = _sdk.per_request_method(cls, public, _PRIVATE[public])
            out.append(Target(_MODULE, cls_name, method, op, is_async))
        out.append(Target(_MODULE, cls_name, "embed_content", EMBED, is_async))
    return tuple(out)


class GoogleGenAIInstrumentor(PatchingInstrumentor):
    name = "google_genai"
    library = "google.genai"
    provider = provider

    def patch_more(self) -> None:
        # The targets depend on the installed release, read from ``google.genai.models`` when the
        # app imports it (today's releases import it with ``google.genai``; we never import it).
        self.on_import(_MODULE, self._patch_models)

    def _patch_models(self, models: ModuleType) -> None:
        for target in _targets(models):
            self.wrap(getattr(models, target.cls), target.method, self.wrapper_for(target))
        for cls_name, wrapper in (("Models", scoped_stream_wrapper), ("AsyncModels", async_scoped_stream_wrapper)):
            cls = getattr(models, cls_name, None)
            if cls is not None and _sdk.per_request_method(
                cls, "generate_content_stream", "_generate_content_stream"
            ) != ("generate_content_stream"):
                self.wrap(cls, "generate_content_stream", wrapper)


__all__ = ["GoogleGenAIInstrumentor"]
