"""Attribute, metric and value names, in one place.

The OpenTelemetry GenAI names follow the latest semantic conventions; the ``gen_ai.session.id`` /
``gen_ai.user.id`` / ``gen_ai.span.kind`` trio is what Alibaba Cloud ARMS reads for its Session and
Model analysis pages.  ``llm_agent.*`` names are our own and documented in docs/data-model.md.
"""

from __future__ import annotations

from typing import Final

# --- GenAI request / response -------------------------------------------------------------
GEN_AI_OPERATION_NAME: Final = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME: Final = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL: Final = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL: Final = "gen_ai.response.model"
GEN_AI_RESPONSE_ID: Final = "gen_ai.response.id"
GEN_AI_RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
GEN_AI_REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
GEN_AI_REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_TOP_P: Final = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K: Final = "gen_ai.request.top_k"
GEN_AI_REQUEST_SEED: Final = "gen_ai.request.seed"
GEN_AI_REQUEST_STOP_SEQUENCES: Final = "gen_ai.request.stop_sequences"
GEN_AI_REQUEST_FREQUENCY_PENALTY: Final = "gen_ai.request.frequency_penalty"
GEN_AI_REQUEST_PRESENCE_PENALTY: Final = "gen_ai.request.presence_penalty"
GEN_AI_REQUEST_CHOICE_COUNT: Final = "gen_ai.request.choice.count"
GEN_AI_REQUEST_STREAM: Final = "gen_ai.request.stream"
GEN_AI_REQUEST_ENCODING_FORMATS: Final = "gen_ai.request.encoding_formats"
GEN_AI_EMBEDDINGS_DIMENSION_COUNT: Final = "gen_ai.embeddings.dimension_count"
GEN_AI_OUTPUT_TYPE: Final = "gen_ai.output.type"
GEN_AI_OPENAI_REQUEST_SERVICE_TIER: Final = "openai.request.service_tier"
GEN_AI_OPENAI_RESPONSE_SERVICE_TIER: Final = "openai.response.service_tier"
GEN_AI_OPENAI_RESPONSE_SYSTEM_FINGERPRINT: Final = "openai.response.system_fingerprint"

# --- usage -----------------------------------------------------------------------------------
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"

# --- content (only with capture_content) -------------------------------------------------------
GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
GEN_AI_TOOL_DEFINITIONS: Final = "gen_ai.tool.definitions"
GEN_AI_EMBEDDINGS_INPUT: Final = "gen_ai.embeddings.input"

# --- session / user ----------------------------------------------------------------------------
SESSION_ID: Final = "session.id"
USER_ID: Final = "user.id"
GEN_AI_CONVERSATION_ID: Final = "gen_ai.conversation.id"
ARMS_SESSION_ID: Final = "gen_ai.session.id"
ARMS_USER_ID: Final = "gen_ai.user.id"
ARMS_SPAN_KIND: Final = "gen_ai.span.kind"
ENDUSER_ID: Final = "enduser.id"
#: Every attribute name accepted as a session ID on ingest, most specific first.
SESSION_ID_KEYS: Final = (SESSION_ID, ARMS_SESSION_ID, GEN_AI_CONVERSATION_ID)
#: Every attribute name accepted as a user ID on ingest, most specific first.
USER_ID_KEYS: Final = (USER_ID, ARMS_USER_ID, ENDUSER_ID)

# --- general -----------------------------------------------------------------------------------
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
ERROR_TYPE: Final = "error.type"
SERVICE_NAME: Final = "service.name"

# --- llm_agent's own ------------------------------------------------------------------------------
USAGE_MISSING: Final = "llm_agent.usage.missing"
#: The usage attributes a provider reported out of range (dropped: unknown, never stored).
USAGE_INVALID: Final = "llm_agent.usage.invalid"
STREAM_ABANDONED: Final = "llm_agent.stream.abandoned"
STREAM_CHUNKS: Final = "llm_agent.stream.chunks"
TOOL_CALL_NAMES: Final = "llm_agent.response.tool_call_names"
TRACE_NAME: Final = "llm_agent.trace.name"
INSTRUMENTATION_SCOPE: Final = "llm_agent"

# --- values ------------------------------------------------------------------------------------------
OP_CHAT: Final = "chat"
OP_TEXT_COMPLETION: Final = "text_completion"
OP_EMBEDDINGS: Final = "embeddings"
OP_INVOKE_AGENT: Final = "invoke_agent"
#: Gemini's multimodal generation (the GenAI conventions' value for ``generate_content``).
OP_GENERATE_CONTENT: Final = "generate_content"
OP_EXECUTE_TOOL: Final = "execute_tool"

PROVIDER_OPENAI: Final = "openai"
PROVIDER_ANTHROPIC: Final = "anthropic"
PROVIDER_GCP_GEMINI: Final = "gcp.gemini"
PROVIDER_GCP_VERTEX_AI: Final = "gcp.vertex_ai"

# gen_ai.span.kind values (ARMS)
KIND_LLM: Final = "LLM"
KIND_EMBEDDING: Final = "EMBEDDING"
KIND_CHAIN: Final = "CHAIN"
KIND_TOOL: Final = "TOOL"
KIND_AGENT: Final = "AGENT"
KIND_RETRIEVER: Final = "RETRIEVER"
KIND_RERANKER: Final = "RERANKER"
#: Span kinds whose token usage is the provider's own report, summed into rollups.
USAGE_SPAN_KINDS: Final = frozenset({KIND_LLM, KIND_EMBEDDING})

TOKEN_TYPE_INPUT: Final = "input"
TOKEN_TYPE_OUTPUT: Final = "output"

# --- metrics -------------------------------------------------------------------------------------------
GEN_AI_TOKEN_TYPE: Final = "gen_ai.token.type"
METRIC_OPERATION_DURATION: Final = "gen_ai.client.operation.duration"
METRIC_TOKEN_USAGE: Final = "gen_ai.client.token.usage"
METRIC_TIME_TO_FIRST_CHUNK: Final = "gen_ai.client.operation.time_to_first_chunk"
#: Bucket boundaries from the GenAI metrics conventions.
DURATION_BUCKETS_S: Final = (
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
)
TOKEN_BUCKETS: Final = (
    1,
    4,
    16,
    64,
    256,
    1024,
    4096,
    16384,
    65536,
    262144,
    1048576,
    4194304,
    16777216,
    67108864,
)


#: Every name above (tests/core/test_public_api.py checks none is left out).
__all__ = [
    "ARMS_SESSION_ID",
    "ARMS_SPAN_KIND",
    "ARMS_USER_ID",
    "DURATION_BUCKETS_S",
    "ENDUSER_ID",
    "ERROR_TYPE",
    "GEN_AI_CONVERSATION_ID",
    "GEN_AI_EMBEDDINGS_DIMENSION_COUNT",
    "GEN_AI_EMBEDDINGS_INPUT",
    "GEN_AI_INPUT_MESSAGES",
    "GEN_AI_OPENAI_REQUEST_SERVICE_TIER",
    "GEN_AI_OPENAI_RESPONSE_SERVICE_TIER",
    "GEN_AI_OPENAI_RESPONSE_SYSTEM_FINGERPRINT",
    "GEN_AI_OPERATION_NAME",
    "GEN_AI_OUTPUT_MESSAGES",
    "GEN_AI_OUTPUT_TYPE",
    "GEN_AI_PROVIDER_NAME",
    "GEN_AI_REQUEST_CHOICE_COUNT",
    "GEN_AI_REQUEST_ENCODING_FORMATS",
    "GEN_AI_REQUEST_FREQUENCY_PENALTY",
    "GEN_AI_REQUEST_MAX_TOKENS",
    "GEN_AI_REQUEST_MODEL",
    "GEN_AI_REQUEST_PRESENCE_PENALTY",
    "GEN_AI_REQUEST_SEED",
    "GEN_AI_REQUEST_STOP_SEQUENCES",
    "GEN_AI_REQUEST_STREAM",
    "GEN_AI_REQUEST_TEMPERATURE",
    "GEN_AI_REQUEST_TOP_K",
    "GEN_AI_REQUEST_TOP_P",
    "GEN_AI_RESPONSE_FINISH_REASONS",
    "GEN_AI_RESPONSE_ID",
    "GEN_AI_RESPONSE_MODEL",
    "GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK",
    "GEN_AI_SYSTEM_INSTRUCTIONS",
    "GEN_AI_TOKEN_TYPE",
    "GEN_AI_TOOL_DEFINITIONS",
    "GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS",
    "GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS",
    "GEN_AI_USAGE_INPUT_TOKENS",
    "GEN_AI_USAGE_OUTPUT_TOKENS",
    "GEN_AI_USAGE_REASONING_OUTPUT_TOKENS",
    "INSTRUMENTATION_SCOPE",
    "KIND_AGENT",
    "KIND_CHAIN",
    "KIND_EMBEDDING",
    "KIND_LLM",
    "KIND_RERANKER",
    "KIND_RETRIEVER",
    "KIND_TOOL",
    "METRIC_OPERATION_DURATION",
    "METRIC_TIME_TO_FIRST_CHUNK",
    "METRIC_TOKEN_USAGE",
    "OP_CHAT",
    "OP_EMBEDDINGS",
    "OP_EXECUTE_TOOL",
    "OP_GENERATE_CONTENT",
    "OP_INVOKE_AGENT",
    "OP_TEXT_COMPLETION",
    "PROVIDER_ANTHROPIC",
    "PROVIDER_GCP_GEMINI",
    "PROVIDER_GCP_VERTEX_AI",
    "PROVIDER_OPENAI",
    "SERVER_ADDRESS",
    "SERVER_PORT",
    "SERVICE_NAME",
    "SESSION_ID",
    "SESSION_ID_KEYS",
    "STREAM_ABANDONED",
    "STREAM_CHUNKS",
    "TOKEN_BUCKETS",
    "TOKEN_TYPE_INPUT",
    "TOKEN_TYPE_OUTPUT",
    "TOOL_CALL_NAMES",
    "TRACE_NAME",
    "USAGE_INVALID",
    "USAGE_MISSING",
    "USAGE_SPAN_KINDS",
    "USER_ID",
    "USER_ID_KEYS",
]
