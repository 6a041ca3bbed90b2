"""Start and end GenAI client spans: shared by every provider's instrumentation.

The hot path is one ``start_span`` call carrying every request attribute (the session/user IDs
included, so the stamping processor has nothing to add) and one ``set_attributes`` at the end.
Nothing here raises into the app: callers wrap these helpers in the error funnel.
"""

from __future__ import annotations

import json
from typing import Any, Final

from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from llm_agent import semconv
from llm_agent._agent import get_settings, get_tracer
from llm_agent._util import error_type_name, exception_event_attributes
from llm_agent.config import Settings
from llm_agent.context import current_ids, id_attributes

#: Status descriptions are cut to this many characters (the message is for humans, not storage).
MAX_STATUS_MESSAGE_CHARS: Final = 512
#: Marker appended to captured content that was cut to ``content_max_chars``.
TRUNCATION_MARKER: Final = "…[truncated]"

_CLIENT: Final = SpanKind.CLIENT


def start_span(
    name: str,
    attributes: dict[str, Any],
    settings: Settings,
    session_id: str | None = None,
    user_id: str | None = None,
) -> Span:
    """Start a CLIENT span with ``attributes`` plus the session/user attributes, in one call.

    ``session_id``/``user_id`` are fallbacks (e.g. taken from the request) used only where the
    context has none.
    """
    ctx_session, ctx_user = current_ids()
    ids = id_attributes(ctx_session or session_id, ctx_user or user_id)
    if ids:
        attributes.update(ids)
    return get_tracer().start_span(name, kind=_CLIENT, attributes=attributes)


def end_span(span: Span, attributes: dict[str, Any] | None, exc: BaseException | None = None) -> None:
    """Set the end attributes in one call, mark an error if ``exc``, and end the span."""
    if exc is not None:
        attributes = dict(attributes) if attributes else {}
        attributes[semconv.ERROR_TYPE] = error_type_name(exc)
    if attributes:
        span.set_attributes(attributes)
    if exc is not None:
        event = exception_event_attributes(exc)
        span.add_event("exception", event)
        message = event["exception.message"]
        span.set_status(Status(StatusCode.ERROR, message[:MAX_STATUS_MESSAGE_CHARS] or None))
    span.end()


def current_settings() -> Settings:
    return get_settings()


def truncate(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` characters (marker included) when longer."""
    if len(text) <= max_chars:
        return text
    keep = max(0, max_chars - len(TRUNCATION_MARKER))
    return text[:keep] + TRUNCATION_MARKER


def content_json(value: Any, max_chars: int) -> str:
    """Captured content as compact JSON (pydantic models dumped), truncated to ``max_chars``."""
    return truncate(json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":")), max_chars)


def _json_default(obj: Any) -> Any:
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json", exclude_none=True)
        except Exception:
            pass
    if isinstance(obj, (bytes, bytearray)):
        return f"<{len(obj)} bytes>"
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    # Never iterate other iterables: a generator the app passed would be consumed before the SDK.
    return f"<{type(obj).__name__}>"


__all__ = ["content_json", "current_settings", "end_span", "start_span", "truncate"]
