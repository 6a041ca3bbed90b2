"""google-genai instrumentation (Gemini API and Vertex AI): one span per model call (docs/gemini.md).

Patched at the class level of ``google.genai.models.Models``/``AsyncModels``, so clients created
before or after ``init()`` are covered, and so are chats (``Chat.send_message`` and
``send_message_stream`` call the same methods).  ``generate_content`` and
``generate_content_stream`` are patched at their private per-request methods (``_sdk``): with
automatic function calling or automatic continuation one public call sends several requests,
and each is one span.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Final

import wrapt

from llm_agent import semconv
from llm_agent.instrumentation._base import Instrumentor
from llm_agent.instrumentation.google_genai import _sdk
from llm_agent.instrumentation.google_genai._patch import async_wrapper, state, sync_wrapper

_MODULE: Final = "google.genai.models"
_GENERATE: Final = semconv.OP_GENERATE_CONTENT
#: (class, public method, operation, stream?, async?).
TARGETS: Final[tuple[tuple[str, str, str, bool, bool], ...]] = (
    ("Models", "generate_content", _GENERATE, False, False),
    ("Models", "generate_content_stream", _GENERATE, True, False),
    ("Models", "embed_content", semconv.OP_EMBEDDINGS, False, False),
    ("AsyncModels", "generate_content", _GENERATE, False, True),
    ("AsyncModels", "generate_content_stream", _GENERATE, True, True),
    ("AsyncModels", "embed_content", semconv.OP_EMBEDDINGS, False, True),
)
_PRIVATE: Final = dict(_sdk.PER_REQUEST_METHODS)


class GoogleGenAIInstrumentor(Instrumentor):
    name = "google_genai"
    library = "google.genai"

    def __init__(self) -> None:
        super().__init__()
        self._patched: list[tuple[Any, str, Any]] = []  # (class, attribute, original)

    def _instrument(self, module: ModuleType) -> None:
        state.enabled = True
        models = importlib.import_module(_MODULE)
        for class_name, public, operation, stream, is_async in TARGETS:
            cls = getattr(models, class_name, None)
            if cls is None:
                continue
            private = _PRIVATE.get(public)
            method = _sdk.per_request_method(cls, public, private) if private else public
            original = cls.__dict__.get(method)
            if original is None or isinstance(original, wrapt.FunctionWrapper):
                continue
            wrapper = async_wrapper(operation, stream) if is_async else sync_wrapper(operation, stream)
            wrapt.wrap_function_wrapper(cls, method, wrapper)
            self._patched.append((cls, method, original))

    def _uninstrument(self, module: ModuleType) -> None:
        state.enabled = False
        while self._patched:
            cls, attribute, original = self._patched.pop()
            setattr(cls, attribute, original)


__all__ = ["GoogleGenAIInstrumentor"]
