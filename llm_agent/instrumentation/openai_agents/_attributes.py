"""What each OpenAI Agents SDK span becomes: its name, kind and attributes (pure functions).

One row per SDK span type (``span_data.type``): the span name and ``gen_ai.span.kind`` at the
start, the attributes known then, and the attributes known only when it ends (the SDK fills the
span data as it runs: a tool's output, a handoff's target, a guardrail's verdict, usage).
Names and attributes follow the GenAI conventions (``invoke_agent {name}``, ``execute_tool
{name}``, ``invoke_workflow {name}``); what they do not define is ``llm_agent.openai_agents.*``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from llm_agent import semconv
from llm_agent.instrumentation._spans import truncate
from llm_agent.instrumentation._values import MAX_TOKEN_COUNT
from llm_agent.instrumentation.openai_agents import _sdk

#: The SDK span types that are one model call (their usage is the call's: see ``_claims``).
MODEL_CALL_TYPES: Final = frozenset({"response", "generation"})
#: The tool type of an SDK function span (the conventions' value for a function tool).
TOOL_TYPE_FUNCTION: Final = "function"


class Start(NamedTuple):
    name: str
    kind: str
    attributes: dict[str, Any]


def trace_start(trace: Any) -> Start:
    """The SDK's trace (one workflow: a run, or every run inside ``agents.trace(...)``)."""
    name = str(getattr(trace, "name", None) or "workflow")
    attrs: dict[str, Any] = {
        semconv.GEN_AI_OPERATION_NAME: semconv.OP_INVOKE_WORKFLOW,
        semconv.GEN_AI_WORKFLOW_NAME: name,
        semconv.AGENTS_SPAN_TYPE: "trace",
    }
    trace_id = getattr(trace, "trace_id", None)
    if isinstance(trace_id, str):
        attrs[semconv.AGENTS_TRACE_ID] = trace_id
    group = _sdk.group_id(trace)
    if group is not None:
        attrs[semconv.AGENTS_GROUP_ID] = group
    return Start(f"{semconv.OP_INVOKE_WORKFLOW} {name}", semconv.KIND_CHAIN, attrs)


def span_start(kind_name: str, data: Any) -> Start:
    """Name, kind and start attributes of an SDK span whose ``span_data.type`` is ``kind_name``."""
    attrs: dict[str, Any] = {semconv.AGENTS_SPAN_TYPE: kind_name}
    if kind_name == "agent":
        name = str(data.name)
        attrs[semconv.GEN_AI_OPERATION_NAME] = semconv.OP_INVOKE_AGENT
        attrs[semconv.GEN_AI_AGENT_NAME] = name
        return Start(f"{semconv.OP_INVOKE_AGENT} {name}", semconv.KIND_AGENT, attrs)
    if kind_name == "function":
        name = str(data.name)
        attrs[semconv.GEN_AI_OPERATION_NAME] = semconv.OP_EXECUTE_TOOL
        attrs[semconv.GEN_AI_TOOL_NAME] = name
        attrs[semconv.GEN_AI_TOOL_TYPE] = TOOL_TYPE_FUNCTION
        return Start(f"{semconv.OP_EXECUTE_TOOL} {name}", semconv.KIND_TOOL, attrs)
    if kind_name == "task":
        return Start(f"task {data.name}", semconv.KIND_CHAIN, attrs)
    if kind_name == "turn":
        attrs[semconv.AGENTS_TURN] = int(data.turn)
        attrs[semconv.GEN_AI_AGENT_NAME] = str(data.agent_name)
        return Start(f"turn {data.turn} {data.agent_name}", semconv.KIND_CHAIN, attrs)
    if kind_name in MODEL_CALL_TYPES:
        # Named and kinded when it ends: a model call's span (LLM) or a wrapper over ours (CHAIN).
        return Start(kind_name, semconv.KIND_CHAIN, attrs)
    if kind_name == "handoff":
        return Start(handoff_name(data), semconv.KIND_CHAIN, attrs)
    if kind_name == "guardrail":
        # ARMS has no guardrail kind: a CHAIN step whose verdict is an attribute.
        return Start(f"guardrail {data.name}", semconv.KIND_CHAIN, attrs)
    if kind_name == "mcp_tools":
        server = getattr(data, "server", None)
        if isinstance(server, str):
            attrs[semconv.AGENTS_MCP_SERVER] = server
        return Start(f"mcp_tools {server}" if server else "mcp_tools", semconv.KIND_CHAIN, attrs)
    name = getattr(data, "name", None)  # custom spans (and speech/transcription: their type)
    return Start(str(name) if isinstance(name, str) and name else kind_name, semconv.KIND_CHAIN, attrs)


def handoff_name(data: Any) -> str:
    source = getattr(data, "from_agent", None) or "?"
    target = getattr(data, "to_agent", None)
    return f"handoff {source} -> {target}" if target else f"handoff {source}"


def span_end(kind_name: str, data: Any, capture: bool, limit: int) -> dict[str, Any]:
    """Attributes known when the SDK span ends (model calls: ``model_call_end``)."""
    attrs: dict[str, Any] = {}
    if kind_name == "function":
        if capture:
            if isinstance(data.input, str) and data.input:
                attrs[semconv.GEN_AI_TOOL_CALL_ARGUMENTS] = truncate(data.input, limit)
            if data.output is not None:
                attrs[semconv.GEN_AI_TOOL_CALL_RESULT] = truncate(str(data.output), limit)
        mcp = getattr(data, "mcp_data", None)
        if isinstance(mcp, Mapping) and isinstance(mcp.get("server"), str):
            attrs[semconv.AGENTS_MCP_SERVER] = mcp["server"]
    elif kind_name == "agent":
        # The SDK fills these in once the agent's tools are resolved, after the span started.
        _strings(attrs, semconv.AGENTS_TOOLS, getattr(data, "tools", None))
        _strings(attrs, semconv.AGENTS_HANDOFFS, getattr(data, "handoffs", None))
        output_type = getattr(data, "output_type", None)
        if isinstance(output_type, str):
            attrs[semconv.AGENTS_OUTPUT_TYPE] = output_type
    elif kind_name in ("task", "turn"):
        # The SDK's roll-up of the model calls below: kept to read, never summed (not gen_ai.usage.*).
        attrs.update(sdk_usage(getattr(data, "usage", None)))
    elif kind_name == "handoff":
        for key, value in ((semconv.AGENTS_HANDOFF_FROM, data.from_agent), (semconv.AGENTS_HANDOFF_TO, data.to_agent)):
            if isinstance(value, str):
                attrs[key] = value
    elif kind_name == "guardrail":
        attrs[semconv.AGENTS_GUARDRAIL_TRIGGERED] = bool(data.triggered)
    elif kind_name == "mcp_tools":
        _strings(attrs, semconv.AGENTS_MCP_TOOLS, getattr(data, "result", None))
    return attrs


class ModelCall(NamedTuple):
    name: str
    kind: str
    attributes: dict[str, Any]


def model_call_end(kind_name: str, data: Any, claimed: bool) -> ModelCall:
    """A response/generation span when it ends.

    ``claimed``: one of our provider spans started inside it, and carries the call's tokens, so
    this one is a CHAIN step over it with the SDK's figures kept under ``llm_agent.openai_agents.usage.*``.
    Otherwise no provider we instrument made the call: this span is the model call (LLM) with
    the SDK's usage as the conventions' ``gen_ai.usage.*``.
    """
    response = getattr(data, "response", None)
    model = getattr(response, "model", None) if response is not None else getattr(data, "model", None)
    model = model if isinstance(model, str) and model else None
    attrs: dict[str, Any] = {}
    response_id = _sdk.response_id(data) if kind_name == "response" else None
    if response_id is not None:
        attrs[semconv.GEN_AI_RESPONSE_ID] = response_id
    usage = getattr(data, "usage", None)
    if usage is None and response is not None:
        usage = _sdk.response_usage(response)  # SDK releases before span usage: the response's own
    if claimed:
        attrs.update(sdk_usage(usage))
        return ModelCall(f"{kind_name} {model}" if model else kind_name, semconv.KIND_CHAIN, attrs)
    attrs[semconv.GEN_AI_OPERATION_NAME] = semconv.OP_CHAT
    if model is not None:
        # A response span knows the model that answered; a generation span the model it asked for.
        attrs[semconv.GEN_AI_RESPONSE_MODEL if response is not None else semconv.GEN_AI_REQUEST_MODEL] = model
    counts = conventions_usage(usage)
    attrs.update(counts)
    if semconv.GEN_AI_USAGE_INPUT_TOKENS not in counts and semconv.GEN_AI_USAGE_OUTPUT_TOKENS not in counts:
        attrs[semconv.USAGE_MISSING] = True  # unknown is not zero
    return ModelCall(f"{semconv.OP_CHAT} {model}" if model else semconv.OP_CHAT, semconv.KIND_LLM, attrs)


def sdk_usage(usage: Any) -> dict[str, Any]:
    """The SDK's usage dict under our never-summed names (absent counts stay absent)."""
    if not isinstance(usage, Mapping):
        return {}
    out: dict[str, Any] = {}
    for key, name in (
        ("requests", semconv.AGENTS_USAGE_REQUESTS),
        ("input_tokens", semconv.AGENTS_USAGE_INPUT_TOKENS),
        ("output_tokens", semconv.AGENTS_USAGE_OUTPUT_TOKENS),
    ):
        _count(out, name, usage.get(key))
    _count(out, semconv.AGENTS_USAGE_CACHE_READ_TOKENS, _cached(usage))
    _count(out, semconv.AGENTS_USAGE_REASONING_TOKENS, _reasoning(usage))
    return out


def conventions_usage(usage: Any) -> dict[str, Any]:
    """The SDK's usage dict of one model call under the conventions' names."""
    if not isinstance(usage, Mapping):
        return {}
    out: dict[str, Any] = {}
    _count(out, semconv.GEN_AI_USAGE_INPUT_TOKENS, usage.get("input_tokens"))
    _count(out, semconv.GEN_AI_USAGE_OUTPUT_TOKENS, usage.get("output_tokens"))
    _count(out, semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, _cached(usage))
    _count(out, semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, _reasoning(usage))
    return out


def _cached(usage: Mapping[str, Any]) -> Any:
    found = _detail(usage, "input_tokens_details", "cached_tokens")
    return found if found is not None else usage.get("cached_input_tokens")


def _reasoning(usage: Mapping[str, Any]) -> Any:
    return _detail(usage, "output_tokens_details", "reasoning_tokens")


def _detail(usage: Mapping[str, Any], group: str, key: str) -> Any:
    details = usage.get(group)
    return details.get(key) if isinstance(details, Mapping) else None


def _count(out: dict[str, Any], name: str, value: Any) -> None:
    # A count is a non-negative int within the bound; anything else is unknown (absent), never 0.
    if type(value) is int and 0 <= value <= MAX_TOKEN_COUNT:
        out[name] = value


def _strings(attrs: dict[str, Any], name: str, values: Any) -> None:
    if isinstance(values, (list, tuple)):
        kept = [str(v) for v in values if isinstance(v, str)]
        if kept:
            attrs[name] = kept


__all__ = ["MODEL_CALL_TYPES", "ModelCall", "Start", "model_call_end", "span_end", "span_start", "trace_start"]
