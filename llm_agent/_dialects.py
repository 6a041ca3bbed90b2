"""Other instrumentations' attribute names for the fields the sink types: one table, read at ingest.

The field table (``_fields.FIELDS``) reads each typed field from the GenAI conventions' attribute
first; only when that attribute is absent does it try the synonyms listed here, in order (most
specific first, the older GenAI conventions before other dialects), so a span carrying two
dialects gets the conventions' value and our own spans pay one ``is None`` test per field.  The
ClickHouse store derives the same columns from the same table (``analysis/clickhouse/_queries``),
so SQLite and ClickHouse agree on every dialect.  docs/data-model.md lists every mapping with the
peer versions it was checked against.

A synonym is ``(key, how)``: ``how`` is ``None`` (the value as the field coerces it), an exponent
``"e-3"`` / ``"e-9"`` (milliseconds / nanoseconds to seconds, applied as decimal text so that both
stores round identically), ``"json:model"`` (the ``model`` member of a JSON object text), or a
value map (the dialect's word -> ours; a word not in it is unknown).  The first synonym present
on the span decides, even when its value turns out unusable: unknown stays unknown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final, Union

from llm_agent import semconv

How = Union[None, str, Mapping[str, str]]
Synonym = tuple[str, How]

# --- dialect vocabularies ----------------------------------------------------------------------
#: Older GenAI conventions' (and peers') operation names -> the current ones.
_OLD_OPERATIONS: Final[Mapping[str, str]] = {
    "chat": semconv.OP_CHAT,
    "completion": semconv.OP_TEXT_COMPLETION,
    "text_completion": semconv.OP_TEXT_COMPLETION,
    "embedding": semconv.OP_EMBEDDINGS,
    "embeddings": semconv.OP_EMBEDDINGS,
    "rerank": semconv.OP_RERANK,
}
#: Vercel AI SDK ``ai.operationId`` of the per-provider-call spans -> operation.
_VERCEL_OPERATIONS: Final[Mapping[str, str]] = {
    "ai.generateText.doGenerate": semconv.OP_CHAT,
    "ai.streamText.doStream": semconv.OP_CHAT,
    "ai.generateObject.doGenerate": semconv.OP_CHAT,
    "ai.streamObject.doStream": semconv.OP_CHAT,
    "ai.embed.doEmbed": semconv.OP_EMBEDDINGS,
    "ai.embedMany.doEmbed": semconv.OP_EMBEDDINGS,
    "ai.toolCall": semconv.OP_EXECUTE_TOOL,
}
#: Vercel's call-level spans (over their ``do*`` spans, usage summed over steps): CHAIN, so that
#: their usage is never added to the per-call spans' (docs/data-model.md).
_VERCEL_KINDS: Final[Mapping[str, str]] = {
    **{op: semconv.KIND_CHAIN for op in ("ai.generateText", "ai.streamText", "ai.generateObject",
                                         "ai.streamObject", "ai.embed", "ai.embedMany")},
    "ai.toolCall": semconv.KIND_TOOL,
}  # fmt: skip
#: OpenInference ``openinference.span.kind`` values kept as they are (``UNKNOWN`` is unknown).
_OPENINFERENCE_KINDS: Final[Mapping[str, str]] = {
    k: k for k in ("LLM", "EMBEDDING", "CHAIN", "TOOL", "AGENT", "RETRIEVER", "RERANKER", "GUARDRAIL", "EVALUATOR")
}
#: OpenLLMetry ``traceloop.span.kind`` values.
_TRACELOOP_KINDS: Final[Mapping[str, str]] = {
    "workflow": semconv.KIND_WORKFLOW,
    "task": semconv.KIND_CHAIN,
    "agent": semconv.KIND_AGENT,
    "tool": semconv.KIND_TOOL,
}

# --- the synonyms, per field ---------------------------------------------------------------------
#: Session / user IDs: appended to ``semconv.SESSION_ID_KEYS`` / ``USER_ID_KEYS`` (the first
#: non-empty one wins, like those).
SESSION_KEYS: Final = (
    *semconv.SESSION_ID_KEYS,
    "traceloop.association.properties.session_id",
    "ai.telemetry.metadata.sessionId",
)
USER_KEYS: Final = (
    *semconv.USER_ID_KEYS,
    "traceloop.association.properties.user_id",
    "ai.telemetry.metadata.userId",
)

#: field name -> synonyms tried when the field's own (conventions) attribute is absent.
SYNONYMS: Final[Mapping[str, tuple[Synonym, ...]]] = {
    "operation": (("llm.request.type", _OLD_OPERATIONS), ("ai.operationId", _VERCEL_OPERATIONS)),
    "provider": (("gen_ai.system", None), ("llm.provider", None), ("llm.system", None), ("ai.model.provider", None)),
    "request_model": (("ai.model.id", None), ("llm.invocation_parameters", "json:model"),
                      ("embedding.invocation_parameters", "json:model")),
    "response_model": (("llm.model_name", None), ("embedding.model_name", None), ("ai.response.model", None)),
    "input_tokens": (("gen_ai.usage.prompt_tokens", None), ("llm.token_count.prompt", None),
                     ("ai.usage.inputTokens", None), ("ai.usage.promptTokens", None), ("ai.usage.tokens", None)),
    "output_tokens": (("gen_ai.usage.completion_tokens", None), ("llm.token_count.completion", None),
                      ("ai.usage.outputTokens", None), ("ai.usage.completionTokens", None)),
    "cache_read_tokens": (("gen_ai.usage.cache_read_input_tokens", None),
                          ("llm.token_count.prompt_details.cache_read", None), ("ai.usage.cachedInputTokens", None)),
    "cache_creation_tokens": (("gen_ai.usage.cache_creation_input_tokens", None),
                              ("llm.token_count.prompt_details.cache_write", None)),
    "reasoning_tokens": (("gen_ai.usage.reasoning_tokens", None), ("llm.usage.reasoning_tokens", None),
                         ("llm.token_count.completion_details.reasoning", None), ("ai.usage.reasoningTokens", None)),
    "ttft_s": ((semconv.ARMS_TIME_TO_FIRST_TOKEN, "e-9"), ("ai.response.msToFirstChunk", "e-3")),
    "finish_reasons": (("llm.finish_reason", None), ("ai.response.finishReason", None)),
}  # fmt: skip

#: Span kind when neither ``gen_ai.span.kind`` nor the operation name gives one, in this order.
#: The last two: libraries emitting GenAI spans natively (pydantic-ai, google-adk...) name the
#: agent or tool without a kind.
KIND_SYNONYMS: Final[tuple[Synonym, ...]] = (
    ("openinference.span.kind", _OPENINFERENCE_KINDS),
    ("traceloop.span.kind", _TRACELOOP_KINDS),
    ("ai.operationId", _VERCEL_KINDS),
    (semconv.GEN_AI_TOOL_NAME, "const:" + semconv.KIND_TOOL),
    ("gen_ai.agent.name", "const:" + semconv.KIND_AGENT),
)

#: Operation names from older conventions that infer a kind too (``_fields._INFERRED_KINDS``).
OLD_INFERRED_KINDS: Final[Mapping[str, str]] = {"completion": semconv.KIND_LLM, "embedding": semconv.KIND_EMBEDDING}


def _scaled(value: Any, exponent: str) -> float | None:
    """``value`` times a power of ten, through decimal text (as the ClickHouse store does it)."""
    if isinstance(value, bool):
        return None
    text = repr(value) if isinstance(value, float) else str(value)
    try:
        return float(text + exponent)
    except ValueError:
        return None


def _json_member(value: Any, member: str) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        found = json.loads(value)
    except ValueError:
        return None
    got = found.get(member) if isinstance(found, dict) else None
    return got if isinstance(got, str) and got else None


def synonym_value(get: Any, synonyms: tuple[Synonym, ...], coerce: Any) -> Any:
    """The value of the first of ``synonyms`` present on the span (``get``: its attributes' get),
    converted as the synonym says and then by ``coerce``; ``None`` when none is present."""
    for key, how in synonyms:
        value = get(key)
        if value is None:
            continue
        if how is None:
            return coerce(value)
        if isinstance(how, str):
            if how.startswith("const:"):
                return how[6:]
            if how.startswith("json:"):
                return _json_member(value, how[5:])
            return _scaled(value, how)
        return how.get(value) if isinstance(value, str) else None
    return None
