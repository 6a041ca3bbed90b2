"""LiteLLM scenarios for ab.py: ``litellm.completion`` (plain and streamed) and ``litellm.embedding``.

LiteLLM is handed the benchmark's OpenAI client (``client=``, answered in-process by fake_api's
mock transport), so it posts through it; the bare call is the original function under the
wrapper (``__wrapped__``), the instrumented one the patched ``litellm.completion``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from fake_api import MODEL
from subject import MESSAGES


def calls(sync: Any) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """scenario -> (bare call, instrumented call)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no cost-map fetch at import
    import litellm

    completion, embedding = litellm.completion, litellm.embedding
    bare_completion = getattr(completion, "__wrapped__", completion)
    bare_embedding = getattr(embedding, "__wrapped__", embedding)
    chat_kwargs = {"model": f"openai/{MODEL}", "messages": MESSAGES, "max_tokens": 64, "client": sync}
    stream_kwargs = {**chat_kwargs, "stream": True, "stream_options": {"include_usage": True}}
    emb_kwargs = {"model": "openai/text-embedding-3-small", "input": "The capital of France is Paris.", "client": sync}

    def consume(stream: Any) -> None:
        for _chunk in stream:
            pass

    return {
        "litellm_chat": (lambda: bare_completion(**chat_kwargs), lambda: completion(**chat_kwargs)),
        "litellm_stream": (
            lambda: consume(bare_completion(**stream_kwargs)),
            lambda: consume(completion(**stream_kwargs)),
        ),
        "litellm_embeddings": (lambda: bare_embedding(**emb_kwargs), lambda: embedding(**emb_kwargs)),
    }
