"""What an MCP span says: its name, kinds and the conventions' attributes (v1.41.0 MCP spans).

Shared by the client and server sides and by both SDK lines.  Request parameters arrive as the
SDK's pydantic models (1.x), as plain dicts (2.x on the server) or as the client method's own
arguments; results as models or dicts; these readers take each shape.
"""

from __future__ import annotations

from typing import Any, Final

from opentelemetry.trace import Span, Status, StatusCode

from llm_agent import semconv
from llm_agent._state import get_settings
from llm_agent._util import error_type_name, exception_event_attributes, scrub_secrets
from llm_agent.context import current_ids, id_attributes
from llm_agent.instrumentation._spans import MAX_STATUS_MESSAGE_CHARS, content_json

TOOLS_CALL: Final = "tools/call"
PROMPTS_GET: Final = "prompts/get"
RESOURCES_READ: Final = "resources/read"


def span_name(method: str, target: str | None) -> str:
    """``{mcp.method.name} {target}``: the tool or prompt name; never the resource URI (high
    cardinality, as the conventions advise)."""
    return f"{method} {target}" if target and method != RESOURCES_READ else method


def start_attributes(method: str, target: str | None, otel_ctx: Any = None) -> dict[str, Any]:
    """The attributes every MCP span starts with, plus the session and user in force."""
    attrs: dict[str, Any] = {semconv.MCP_METHOD_NAME: method}
    if method == TOOLS_CALL:
        attrs[semconv.GEN_AI_OPERATION_NAME] = semconv.OP_EXECUTE_TOOL
        if target:
            attrs[semconv.GEN_AI_TOOL_NAME] = target
    elif method == PROMPTS_GET and target:
        attrs[semconv.GEN_AI_PROMPT_NAME] = target
    elif method == RESOURCES_READ and target:
        attrs[semconv.MCP_RESOURCE_URI] = target
    settings = get_settings()
    if settings.arms_compat:
        attrs[semconv.ARMS_SPAN_KIND] = semconv.KIND_TOOL if method == TOOLS_CALL else semconv.KIND_CHAIN
    attrs.update(id_attributes(*current_ids(otel_ctx)))
    return attrs


def arguments_attribute(arguments: Any) -> dict[str, Any]:
    """``gen_ai.tool.call.arguments`` when content is captured (a JSON object, cut to the limit)."""
    settings = get_settings()
    if not settings.capture_content or arguments is None:
        return {}
    return {semconv.GEN_AI_TOOL_CALL_ARGUMENTS: content_json(arguments, settings.content_max_chars)}


def _field(result: Any, *names: str) -> Any:
    for name in names:
        if isinstance(result, dict):
            if name in result:
                return result[name]
        elif hasattr(result, name):
            return getattr(result, name)
    return None


def _unwrap(result: Any) -> Any:
    """A 1.x ``ServerResult`` is a RootModel around the typed result."""
    root = getattr(result, "root", None)
    return root if root is not None and type(result).__name__ == "ServerResult" else result


def record_result(span: Span, method: str, result: Any) -> None:
    """A tool call's outcome: ``isError`` as the conventions' ``tool_error``, the result when
    content is captured.  Other methods' results carry nothing the conventions record."""
    result = _unwrap(result)
    if method != TOOLS_CALL or result is None:
        return
    settings = get_settings()
    is_error = _field(result, "isError", "is_error") is True
    if is_error:
        span.set_attribute(semconv.ERROR_TYPE, semconv.ERROR_TOOL_ERROR)
        # The tool's error text is the tool's output: content, shown only when content is captured.
        message = _first_text(result) if settings.capture_content else None
        span.set_status(Status(StatusCode.ERROR, _description(message)))
        return
    if settings.capture_content:
        span.set_attribute(
            semconv.GEN_AI_TOOL_CALL_RESULT, content_json(_result_body(result), settings.content_max_chars)
        )


def _result_body(result: Any) -> Any:
    """The result as the wire carries it, without the envelope (``_meta``, ``isError``, and 2.x's
    ``resultType``, which says whether the call completed, not what it returned)."""
    if hasattr(result, "model_dump"):
        body = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    elif isinstance(result, dict):
        body = dict(result)
    else:
        return result
    for key in ("_meta", "meta", "isError", "is_error", "resultType", "result_type"):
        body.pop(key, None)
    return body


def _first_text(result: Any) -> str | None:
    content = _field(result, "content")
    for block in content if isinstance(content, list) else ():
        text = _field(block, "text")
        if isinstance(text, str) and text:
            return text
    return None


def record_error_data(span: Span, code: Any, message: Any) -> None:
    """A JSON-RPC error response: its code as ``error.type`` and ``rpc.response.status_code``."""
    value = str(code)
    span.set_attributes({semconv.ERROR_TYPE: value, semconv.RPC_RESPONSE_STATUS_CODE: value})
    span.set_status(Status(StatusCode.ERROR, _description(message)))


def _description(message: Any) -> str | None:
    """A status description from a peer's message: scrubbed of secrets (servers echo what they
    were sent), cut to the limit."""
    if not isinstance(message, str) or not message:
        return None
    return scrub_secrets(message)[:MAX_STATUS_MESSAGE_CHARS] or None


def record_exception(span: Span, exc: BaseException) -> None:
    """An exception out of the call: a JSON-RPC error (``McpError``/``MCPError`` carry its
    ``ErrorData``) by its code, anything else by its class, with the exception event."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    if isinstance(code, int):
        record_error_data(span, code, getattr(error, "message", None))
        return
    event = exception_event_attributes(exc)
    span.set_attribute(semconv.ERROR_TYPE, error_type_name(exc))
    span.add_event("exception", event)
    span.set_status(Status(StatusCode.ERROR, event["exception.message"][:MAX_STATUS_MESSAGE_CHARS] or None))


def text_or_none(value: Any) -> str | None:
    """A name or URI argument as text (pydantic's ``AnyUrl`` included), None when absent."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text or None


__all__ = [
    "PROMPTS_GET",
    "RESOURCES_READ",
    "TOOLS_CALL",
    "arguments_attribute",
    "record_error_data",
    "record_exception",
    "record_result",
    "span_name",
    "start_attributes",
    "text_or_none",
]
