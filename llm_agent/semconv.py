"""Attribute, metric and value names, in one place.

The OpenTelemetry GenAI names follow the semantic conventions v1.41.0 (``CONVENTIONS_VERSION``),
plus the unreleased token metrics of open-telemetry/semantic-conventions-genai behind
``OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`` (``_stability.py``).  The ``ARMS_*``
names are what Alibaba Cloud ARMS reads for its Session and Model analysis pages (written only
with ``arms_compat``); ``llm_agent.*`` names are our own.  Every name is documented in
docs/data-model.md, and tests/conformance/ checks each against the conventions' registry.
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
GEN_AI_EMBEDDINGS_DIMENSION_COUNT: Final = "gen_ai.embeddings.dimension.count"
#: The name llm_agent wrote before it followed the conventions here; still read from existing sinks.
LEGACY_EMBEDDINGS_DIMENSION_COUNT: Final = "gen_ai.embeddings.dimension_count"
GEN_AI_OUTPUT_TYPE: Final = "gen_ai.output.type"
GEN_AI_TOOL_NAME: Final = "gen_ai.tool.name"

# --- the app's own steps (llm_agent.tool / agent / retrieval; execute_tool, invoke_agent and
# retrieval spans of the conventions) ----------------------------------------------------------
GEN_AI_TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
GEN_AI_TOOL_TYPE: Final = "gen_ai.tool.type"
GEN_AI_TOOL_DESCRIPTION: Final = "gen_ai.tool.description"
GEN_AI_AGENT_NAME: Final = "gen_ai.agent.name"
GEN_AI_AGENT_ID: Final = "gen_ai.agent.id"
GEN_AI_AGENT_DESCRIPTION: Final = "gen_ai.agent.description"
GEN_AI_AGENT_VERSION: Final = "gen_ai.agent.version"
GEN_AI_DATA_SOURCE_ID: Final = "gen_ai.data_source.id"
#: The conventions' current main names a retrieval's top_k apart from the request's (v1.41:
#: ``gen_ai.request.top_k``); written instead of it with ``gen_ai_latest_experimental``.
GEN_AI_RETRIEVAL_TOP_K: Final = "gen_ai.retrieval.top_k"
#: How many documents a retrieval returned (the conventions have only the documents themselves, opt-in).
RETRIEVAL_DOCUMENT_COUNT: Final = "llm_agent.retrieval.document_count"
#: The superstep of a LangGraph graph a node's run belongs to (LangGraph's ``langgraph_step``).
LANGGRAPH_STEP: Final = "langgraph.step"
GEN_AI_OPENAI_REQUEST_SERVICE_TIER: Final = "openai.request.service_tier"
GEN_AI_OPENAI_RESPONSE_SERVICE_TIER: Final = "openai.response.service_tier"
GEN_AI_OPENAI_RESPONSE_SYSTEM_FINGERPRINT: Final = "openai.response.system_fingerprint"
OPENAI_API_TYPE: Final = "openai.api.type"

# --- usage -----------------------------------------------------------------------------------
GEN_AI_USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
#: ARMS only: input + output tokens (written with ``arms_compat`` when both are known).
ARMS_USAGE_TOTAL_TOKENS: Final = "gen_ai.usage.total_tokens"
#: ARMS only: time to first chunk in integer nanoseconds (written with ``arms_compat``).
ARMS_TIME_TO_FIRST_TOKEN: Final = "gen_ai.response.time_to_first_token"

# --- content (only with capture_content) -------------------------------------------------------
GEN_AI_INPUT_MESSAGES: Final = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS: Final = "gen_ai.system_instructions"
GEN_AI_TOOL_DEFINITIONS: Final = "gen_ai.tool.definitions"
GEN_AI_EMBEDDINGS_INPUT: Final = "gen_ai.embeddings.input"
#: A tool run's arguments and result, a retrieval's query and documents (the app's own steps).
GEN_AI_TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
GEN_AI_TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"
GEN_AI_RETRIEVAL_QUERY_TEXT: Final = "gen_ai.retrieval.query.text"
GEN_AI_RETRIEVAL_DOCUMENTS: Final = "gen_ai.retrieval.documents"
#: The captured content of the app's own steps (tool, retrieval spans).
STEP_CONTENT_KEYS: Final = (
    GEN_AI_TOOL_CALL_ARGUMENTS,
    GEN_AI_TOOL_CALL_RESULT,
    GEN_AI_RETRIEVAL_QUERY_TEXT,
    GEN_AI_RETRIEVAL_DOCUMENTS,
)
#: Every captured-content attribute (moved to the details event with content_mode="event").
CONTENT_KEYS: Final = (
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_SYSTEM_INSTRUCTIONS,
    GEN_AI_TOOL_DEFINITIONS,
    GEN_AI_EMBEDDINGS_INPUT,
)

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

# --- MCP (the conventions' Model Context Protocol spans, v1.41.0: docs/mcp.md) ----------------------
MCP_METHOD_NAME: Final = "mcp.method.name"
MCP_SESSION_ID: Final = "mcp.session.id"
MCP_PROTOCOL_VERSION: Final = "mcp.protocol.version"
MCP_RESOURCE_URI: Final = "mcp.resource.uri"
JSONRPC_REQUEST_ID: Final = "jsonrpc.request.id"
RPC_RESPONSE_STATUS_CODE: Final = "rpc.response.status_code"
NETWORK_TRANSPORT: Final = "network.transport"
NETWORK_PROTOCOL_NAME: Final = "network.protocol.name"
GEN_AI_PROMPT_NAME: Final = "gen_ai.prompt.name"
#: ``error.type`` of a tool call that returned ``isError: true`` (the conventions' value).
ERROR_TOOL_ERROR: Final = "tool_error"
NETWORK_TRANSPORT_PIPE: Final = "pipe"
NETWORK_TRANSPORT_TCP: Final = "tcp"
NETWORK_PROTOCOL_HTTP: Final = "http"

# --- llm_agent's own ------------------------------------------------------------------------------
USAGE_MISSING: Final = "llm_agent.usage.missing"
#: The usage attributes a provider reported out of range (dropped: unknown, never stored).
USAGE_INVALID: Final = "llm_agent.usage.invalid"
STREAM_ABANDONED: Final = "llm_agent.stream.abandoned"
STREAM_CHUNKS: Final = "llm_agent.stream.chunks"
TOOL_CALL_NAMES: Final = "llm_agent.response.tool_call_names"
#: Mean seconds between a completed stream's chunks after the first (the source of
#: ``gen_ai.client.operation.time_per_output_chunk``, recorded off the app's thread).
STREAM_TIME_PER_CHUNK: Final = "llm_agent.stream.time_per_output_chunk"
TRACE_NAME: Final = "llm_agent.trace.name"
#: How many documents a rerank call was given, and how many results it asked for.
RERANK_DOCUMENTS: Final = "llm_agent.rerank.documents"
RERANK_TOP_N: Final = "llm_agent.rerank.top_n"

# --- provider-specific names the conventions do not define (documented in docs/data-model.md) --
#: Cohere's billed units, as reported (not tokens the model processed).
COHERE_BILLED_INPUT_TOKENS: Final = "cohere.usage.billed.input_tokens"
COHERE_BILLED_OUTPUT_TOKENS: Final = "cohere.usage.billed.output_tokens"
COHERE_BILLED_SEARCH_UNITS: Final = "cohere.usage.billed.search_units"
#: Ollama's server-side durations, in seconds.
OLLAMA_TOTAL_DURATION: Final = "ollama.response.total_duration"
OLLAMA_LOAD_DURATION: Final = "ollama.response.load_duration"
OLLAMA_PROMPT_EVAL_DURATION: Final = "ollama.response.prompt_eval_duration"
OLLAMA_EVAL_DURATION: Final = "ollama.response.eval_duration"
INSTRUMENTATION_SCOPE: Final = "llm_agent"

# --- the OpenAI Agents SDK (issue 20): the workflow, and the SDK's own names ------------------------
GEN_AI_WORKFLOW_NAME: Final = "gen_ai.workflow.name"
OP_INVOKE_WORKFLOW: Final = "invoke_workflow"
#: The Agents SDK's span type (``task``, ``turn``, ``response``...) and its trace's id.
AGENTS_SPAN_TYPE: Final = "llm_agent.openai_agents.span_type"
AGENTS_TRACE_ID: Final = "llm_agent.openai_agents.trace_id"
AGENTS_GROUP_ID: Final = "llm_agent.openai_agents.group_id"
AGENTS_TURN: Final = "llm_agent.openai_agents.turn"
AGENTS_TOOLS: Final = "llm_agent.openai_agents.agent.tools"
AGENTS_HANDOFFS: Final = "llm_agent.openai_agents.agent.handoffs"
AGENTS_OUTPUT_TYPE: Final = "llm_agent.openai_agents.agent.output_type"
AGENTS_HANDOFF_FROM: Final = "llm_agent.openai_agents.handoff.from_agent"
AGENTS_HANDOFF_TO: Final = "llm_agent.openai_agents.handoff.to_agent"
AGENTS_GUARDRAIL_TRIGGERED: Final = "llm_agent.openai_agents.guardrail.triggered"
AGENTS_MCP_SERVER: Final = "llm_agent.openai_agents.mcp.server"
AGENTS_MCP_TOOLS: Final = "llm_agent.openai_agents.mcp.tools"
#: The usage the SDK reports on its task, turn and (when our provider span below it has the
#: counts) response/generation spans: kept for reading, never summed (docs/openai-agents.md).
AGENTS_USAGE_REQUESTS: Final = "llm_agent.openai_agents.usage.requests"
AGENTS_USAGE_INPUT_TOKENS: Final = "llm_agent.openai_agents.usage.input_tokens"
AGENTS_USAGE_OUTPUT_TOKENS: Final = "llm_agent.openai_agents.usage.output_tokens"
AGENTS_USAGE_CACHE_READ_TOKENS: Final = "llm_agent.openai_agents.usage.cache_read_tokens"
AGENTS_USAGE_REASONING_TOKENS: Final = "llm_agent.openai_agents.usage.reasoning_tokens"

# --- values ------------------------------------------------------------------------------------------
OP_CHAT: Final = "chat"
OP_TEXT_COMPLETION: Final = "text_completion"
OP_EMBEDDINGS: Final = "embeddings"
OP_INVOKE_AGENT: Final = "invoke_agent"
#: Gemini's multimodal generation (the GenAI conventions' value for ``generate_content``).
OP_GENERATE_CONTENT: Final = "generate_content"
OP_EXECUTE_TOOL: Final = "execute_tool"
OP_RETRIEVAL: Final = "retrieval"
OP_RERANK: Final = "rerank"  # the GenAI conventions define no operation name for it

PROVIDER_OPENAI: Final = "openai"
PROVIDER_ANTHROPIC: Final = "anthropic"
PROVIDER_AWS_BEDROCK: Final = "aws.bedrock"
PROVIDER_GCP_GEMINI: Final = "gcp.gemini"
PROVIDER_GCP_VERTEX_AI: Final = "gcp.vertex_ai"

# gen_ai.output.type values
OUTPUT_TYPE_TEXT: Final = "text"
OUTPUT_TYPE_JSON: Final = "json"
OUTPUT_TYPE_IMAGE: Final = "image"
OUTPUT_TYPE_SPEECH: Final = "speech"

# gen_ai.response.finish_reasons values where the provider reports none of its own (Responses API)
FINISH_STOP: Final = "stop"
FINISH_LENGTH: Final = "length"
FINISH_TOOL_CALLS: Final = "tool_calls"
FINISH_CONTENT_FILTER: Final = "content_filter"

# openai.api.type values
OPENAI_API_CHAT_COMPLETIONS: Final = "chat_completions"
OPENAI_API_RESPONSES: Final = "responses"

# gen_ai.span.kind values (ARMS; the vocabulary of the ARMS agent, loongsuite-python)
KIND_LLM: Final = "LLM"
KIND_EMBEDDING: Final = "EMBEDDING"
KIND_CHAIN: Final = "CHAIN"
KIND_TOOL: Final = "TOOL"
KIND_AGENT: Final = "AGENT"
KIND_RETRIEVER: Final = "RETRIEVER"
KIND_RERANKER: Final = "RERANKER"
KIND_MEMORY: Final = "MEMORY"
KIND_ENTRY: Final = "ENTRY"  # the entry point of an AI application (one per user request)
KIND_STEP: Final = "STEP"  # one ReAct iteration of an agent
KIND_WORKFLOW: Final = "WORKFLOW"
#: Every gen_ai.span.kind value ARMS knows.
SPAN_KINDS: Final = frozenset(
    {
        KIND_LLM,
        KIND_EMBEDDING,
        KIND_CHAIN,
        KIND_TOOL,
        KIND_AGENT,
        KIND_RETRIEVER,
        KIND_RERANKER,
        KIND_MEMORY,
        KIND_ENTRY,
        KIND_STEP,
        KIND_WORKFLOW,
    }
)
#: Span kinds whose token usage is the provider's own report, summed into rollups.
USAGE_SPAN_KINDS: Final = frozenset({KIND_LLM, KIND_EMBEDDING})

TOKEN_TYPE_INPUT: Final = "input"
TOKEN_TYPE_OUTPUT: Final = "output"

# --- metrics -------------------------------------------------------------------------------------------
GEN_AI_TOKEN_TYPE: Final = "gen_ai.token.type"
METRIC_OPERATION_DURATION: Final = "gen_ai.client.operation.duration"
METRIC_TOKEN_USAGE: Final = "gen_ai.client.token.usage"
METRIC_TIME_TO_FIRST_CHUNK: Final = "gen_ai.client.operation.time_to_first_chunk"
METRIC_TIME_PER_OUTPUT_CHUNK: Final = "gen_ai.client.operation.time_per_output_chunk"
# The unreleased token counters (semantic-conventions-genai, "Restructure GenAI token usage"),
# emitted instead of METRIC_TOKEN_USAGE with OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental.
METRIC_INFERENCE_TOKENS: Final = "gen_ai.client.inference.tokens"
METRIC_INPUT_TOKENS_BY_CACHE: Final = "gen_ai.client.inference.input_tokens_by_cache"
METRIC_OUTPUT_TOKENS_BY_PHASE: Final = "gen_ai.client.inference.output_tokens_by_phase"
GEN_AI_TOKEN_MODALITY: Final = "gen_ai.token.modality"
GEN_AI_TOKEN_CACHE: Final = "gen_ai.token.cache"
GEN_AI_TOKEN_PHASE: Final = "gen_ai.token.phase"
TOKEN_MODALITY_UNKNOWN: Final = "unknown"  # no provider of ours reports a modality breakdown
TOKEN_CACHE_NONE: Final = "none"
TOKEN_CACHE_READ: Final = "read"
TOKEN_CACHE_CREATION: Final = "creation"
TOKEN_PHASE_RESPONSE: Final = "response"
TOKEN_PHASE_REASONING: Final = "reasoning"
#: The value of OTEL_SEMCONV_STABILITY_OPT_IN that selects the latest experimental GenAI names.
STABILITY_OPT_IN_ENV: Final = "OTEL_SEMCONV_STABILITY_OPT_IN"
STABILITY_GEN_AI_LATEST: Final = "gen_ai_latest_experimental"
#: The event carrying captured content where the standard switch asks for events (v1.41).
EVENT_INFERENCE_DETAILS: Final = "gen_ai.client.inference.operation.details"

# --- ARMS metrics (arms_compat): the names and labels ARMS's Model analysis reads, as the ARMS
# agent (loongsuite-python, ExtendedInvocationMetricsRecorder) exports them --------------------------
ARMS_METRIC_CALLS: Final = "genai_calls_count"
ARMS_METRIC_ERRORS: Final = "genai_calls_error_count"
ARMS_METRIC_SLOW_CALLS: Final = "genai_calls_slow_count"
ARMS_METRIC_DURATION: Final = "genai_calls_duration_seconds"
ARMS_METRIC_FIRST_TOKEN: Final = "genai_llm_first_token_seconds"
ARMS_METRIC_USAGE_TOKENS: Final = "genai_llm_usage_tokens"
ARMS_LABEL_SPAN_KIND: Final = "spanKind"
ARMS_LABEL_MODEL_NAME: Final = "modelName"
ARMS_LABEL_USAGE_TYPE: Final = "usageType"
#: A call slower than this counts in ``genai_calls_slow_count`` (the ARMS agent's threshold).
ARMS_SLOW_CALL_S: Final = 3.0
CONVENTIONS_VERSION: Final = "1.41.0"
#: Bucket boundaries from the GenAI metrics conventions (seconds; also time per output chunk).
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
    "AGENTS_GROUP_ID",
    "AGENTS_GUARDRAIL_TRIGGERED",
    "AGENTS_HANDOFFS",
    "AGENTS_HANDOFF_FROM",
    "AGENTS_HANDOFF_TO",
    "AGENTS_MCP_SERVER",
    "AGENTS_MCP_TOOLS",
    "AGENTS_OUTPUT_TYPE",
    "AGENTS_SPAN_TYPE",
    "AGENTS_TOOLS",
    "AGENTS_TRACE_ID",
    "AGENTS_TURN",
    "AGENTS_USAGE_CACHE_READ_TOKENS",
    "AGENTS_USAGE_INPUT_TOKENS",
    "AGENTS_USAGE_OUTPUT_TOKENS",
    "AGENTS_USAGE_REASONING_TOKENS",
    "AGENTS_USAGE_REQUESTS",
    "ARMS_LABEL_MODEL_NAME",
    "ARMS_LABEL_SPAN_KIND",
    "ARMS_LABEL_USAGE_TYPE",
    "ARMS_METRIC_CALLS",
    "ARMS_METRIC_DURATION",
    "ARMS_METRIC_ERRORS",
    "ARMS_METRIC_FIRST_TOKEN",
    "ARMS_METRIC_SLOW_CALLS",
    "ARMS_METRIC_USAGE_TOKENS",
    "ARMS_SESSION_ID",
    "ARMS_SLOW_CALL_S",
    "ARMS_SPAN_KIND",
    "ARMS_TIME_TO_FIRST_TOKEN",
    "ARMS_USAGE_TOTAL_TOKENS",
    "ARMS_USER_ID",
    "COHERE_BILLED_INPUT_TOKENS",
    "COHERE_BILLED_OUTPUT_TOKENS",
    "COHERE_BILLED_SEARCH_UNITS",
    "CONTENT_KEYS",
    "CONVENTIONS_VERSION",
    "DURATION_BUCKETS_S",
    "ENDUSER_ID",
    "ERROR_TYPE",
    "EVENT_INFERENCE_DETAILS",
    "FINISH_CONTENT_FILTER",
    "FINISH_LENGTH",
    "FINISH_STOP",
    "FINISH_TOOL_CALLS",
    "GEN_AI_AGENT_DESCRIPTION",
    "GEN_AI_AGENT_ID",
    "GEN_AI_AGENT_NAME",
    "GEN_AI_AGENT_VERSION",
    "GEN_AI_CONVERSATION_ID",
    "GEN_AI_DATA_SOURCE_ID",
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
    "GEN_AI_RETRIEVAL_DOCUMENTS",
    "GEN_AI_RETRIEVAL_QUERY_TEXT",
    "GEN_AI_RETRIEVAL_TOP_K",
    "GEN_AI_SYSTEM_INSTRUCTIONS",
    "GEN_AI_TOKEN_CACHE",
    "GEN_AI_TOKEN_MODALITY",
    "GEN_AI_TOKEN_PHASE",
    "GEN_AI_TOKEN_TYPE",
    "GEN_AI_TOOL_CALL_ARGUMENTS",
    "GEN_AI_TOOL_CALL_ID",
    "GEN_AI_TOOL_CALL_RESULT",
    "GEN_AI_TOOL_DEFINITIONS",
    "GEN_AI_TOOL_DESCRIPTION",
    "GEN_AI_TOOL_NAME",
    "GEN_AI_TOOL_TYPE",
    "GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS",
    "GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS",
    "GEN_AI_USAGE_INPUT_TOKENS",
    "GEN_AI_USAGE_OUTPUT_TOKENS",
    "GEN_AI_USAGE_REASONING_OUTPUT_TOKENS",
    "GEN_AI_WORKFLOW_NAME",
    "INSTRUMENTATION_SCOPE",
    "KIND_AGENT",
    "KIND_CHAIN",
    "KIND_EMBEDDING",
    "KIND_ENTRY",
    "KIND_LLM",
    "KIND_MEMORY",
    "KIND_RERANKER",
    "KIND_RETRIEVER",
    "KIND_STEP",
    "KIND_TOOL",
    "KIND_WORKFLOW",
    "LANGGRAPH_STEP",
    "LEGACY_EMBEDDINGS_DIMENSION_COUNT",
    "METRIC_INFERENCE_TOKENS",
    "METRIC_INPUT_TOKENS_BY_CACHE",
    "METRIC_OPERATION_DURATION",
    "METRIC_OUTPUT_TOKENS_BY_PHASE",
    "METRIC_TIME_PER_OUTPUT_CHUNK",
    "METRIC_TIME_TO_FIRST_CHUNK",
    "METRIC_TOKEN_USAGE",
    "OLLAMA_EVAL_DURATION",
    "OLLAMA_LOAD_DURATION",
    "OLLAMA_PROMPT_EVAL_DURATION",
    "OLLAMA_TOTAL_DURATION",
    "OPENAI_API_CHAT_COMPLETIONS",
    "OPENAI_API_RESPONSES",
    "OPENAI_API_TYPE",
    "OP_CHAT",
    "OP_EMBEDDINGS",
    "OP_EXECUTE_TOOL",
    "OP_GENERATE_CONTENT",
    "OP_INVOKE_AGENT",
    "OP_INVOKE_WORKFLOW",
    "OP_RERANK",
    "OP_RETRIEVAL",
    "OP_TEXT_COMPLETION",
    "OUTPUT_TYPE_IMAGE",
    "OUTPUT_TYPE_JSON",
    "OUTPUT_TYPE_SPEECH",
    "OUTPUT_TYPE_TEXT",
    "PROVIDER_ANTHROPIC",
    "PROVIDER_AWS_BEDROCK",
    "PROVIDER_GCP_GEMINI",
    "PROVIDER_GCP_VERTEX_AI",
    "PROVIDER_OPENAI",
    "RERANK_DOCUMENTS",
    "RERANK_TOP_N",
    "RETRIEVAL_DOCUMENT_COUNT",
    "SERVER_ADDRESS",
    "SERVER_PORT",
    "SERVICE_NAME",
    "SESSION_ID",
    "SESSION_ID_KEYS",
    "SPAN_KINDS",
    "STABILITY_GEN_AI_LATEST",
    "STABILITY_OPT_IN_ENV",
    "STEP_CONTENT_KEYS",
    "STREAM_ABANDONED",
    "STREAM_CHUNKS",
    "STREAM_TIME_PER_CHUNK",
    "TOKEN_BUCKETS",
    "TOKEN_CACHE_CREATION",
    "TOKEN_CACHE_NONE",
    "TOKEN_CACHE_READ",
    "TOKEN_MODALITY_UNKNOWN",
    "TOKEN_PHASE_REASONING",
    "TOKEN_PHASE_RESPONSE",
    "TOKEN_TYPE_INPUT",
    "TOKEN_TYPE_OUTPUT",
    "TOOL_CALL_NAMES",
    "TRACE_NAME",
    "USAGE_INVALID",
    "USAGE_MISSING",
    "USAGE_SPAN_KINDS",
    "USER_ID",
    "USER_ID_KEYS",
    "MCP_METHOD_NAME",
    "MCP_SESSION_ID",
    "MCP_PROTOCOL_VERSION",
    "MCP_RESOURCE_URI",
    "JSONRPC_REQUEST_ID",
    "RPC_RESPONSE_STATUS_CODE",
    "NETWORK_TRANSPORT",
    "NETWORK_PROTOCOL_NAME",
    "GEN_AI_PROMPT_NAME",
    "ERROR_TOOL_ERROR",
    "NETWORK_TRANSPORT_PIPE",
    "NETWORK_TRANSPORT_TCP",
    "NETWORK_PROTOCOL_HTTP",
]
