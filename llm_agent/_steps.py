"""The app's own steps as spans: ``tool()``, ``agent()``, ``retrieval()`` and the general ``step()``.

Each is a context manager (``with``/``async with``) and a decorator for sync functions, async
functions, generators and async generators, on the same machinery as ``session()``/``trace()``
(``context._Scope``): a generator's span covers the whole iteration and ends exactly once on every
exit path (exhausted, failed, closed early, abandoned), and the span is the current one only while
the body runs.  The spans follow the GenAI conventions (v1.41.0):

* ``execute_tool {gen_ai.tool.name}`` (INTERNAL): ``gen_ai.tool.name``, ``gen_ai.tool.call.id``,
  ``gen_ai.tool.type``, ``gen_ai.tool.description``; with capture_content the call's arguments and
  result (``gen_ai.tool.call.arguments`` / ``.result``, JSON, truncated like every content);
* ``invoke_agent {gen_ai.agent.name}`` (INTERNAL): ``gen_ai.agent.name``, ``.id``, ``.description``,
  ``.version``.  Outside any span it is the root of a new trace (the turn's trace);
* ``retrieval {gen_ai.data_source.id}`` (CLIENT, as the conventions' retrieval span):
  ``gen_ai.data_source.id``, ``gen_ai.request.top_k`` (``gen_ai.retrieval.top_k`` with the
  ``gen_ai_latest_experimental`` opt-in, as the conventions' current main), the number of documents returned
  (``llm_agent.retrieval.document_count``); with capture_content the query text and the documents;
* ``step(name, kind=...)``: a span named ``name`` of any ARMS kind (CHAIN, WORKFLOW, STEP, ...).

``gen_ai.span.kind`` (TOOL, AGENT, RETRIEVER, ...) is written with ``arms_compat``, session and user
as on every span.  The body's exception is recorded (status ERROR, ``error.type``, an ``exception``
event) and propagates unchanged; errors of our own go to the error funnel, never to the app.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Final, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.trace import Span, Status, StatusCode

from llm_agent import _errors, semconv
from llm_agent._stability import latest_gen_ai
from llm_agent._state import get_settings, get_tracer
from llm_agent._util import error_type_name, exception_event_attributes
from llm_agent.context import _Scope, current_ids, id_attributes
from llm_agent.instrumentation._content import TRUNCATION_MARKER, content_attribute, parse_arguments

F = TypeVar("F", bound=Callable[..., Any])
S = TypeVar("S", bound="StepScope")

#: ``gen_ai.tool.type`` of a tool the app runs itself (the conventions' "function": the model
#: chose the arguments, the client ran the logic).
DEFAULT_TOOL_TYPE: Final = "function"
#: Longest status description kept from an exception message (characters), as for trace roots.
_STATUS_MESSAGE_MAX: Final = 512
#: Argument names read as a decorated retrieval function's query, before its first string argument.
_QUERY_PARAMETERS: Final = ("query", "q", "question", "text")


class _Entry:
    """One activation of a step: its span, and what the body reported about it."""

    __slots__ = ("documents", "result_set", "span")

    def __init__(self, span: Span) -> None:
        self.span = span
        self.result_set = False
        self.documents: int | None = None


class StepScope(_Scope):
    """A span of the app's own step around the body; the methods annotate the innermost active one."""

    __slots__ = ("_attributes", "_kind", "_name", "_otel_kind")

    def __init__(self, name: str, kind: str | None, otel_kind: otel_trace.SpanKind, attributes: dict[str, Any]) -> None:
        super().__init__()
        self._name = name
        self._kind = kind
        self._otel_kind = otel_kind
        self._attributes = attributes

    def fresh(self) -> StepScope:
        clone = object.__new__(type(self))
        _Scope.__init__(clone)
        clone._name, clone._kind, clone._otel_kind = self._name, self._kind, self._otel_kind
        clone._attributes = self._attributes
        return clone

    # --- span lifetime -----------------------------------------------------------------------
    def begin(self) -> _Entry:
        attrs = dict(self._attributes)
        if self._kind is not None and get_settings().arms_compat:
            attrs[semconv.ARMS_SPAN_KIND] = self._kind
        attrs.update(id_attributes(*current_ids()))
        return _Entry(get_tracer().start_span(self._name, kind=self._otel_kind, attributes=attrs))

    def activate(self, state: _Entry) -> Any:
        return otel_context.attach(otel_trace.set_span_in_context(state.span))

    def deactivate(self, token: Any) -> None:
        otel_context.detach(token)

    def end(self, state: _Entry, exc: BaseException | None) -> None:
        span = state.span
        if exc is not None and not isinstance(exc, GeneratorExit):  # a generator closed early is no error
            try:
                span.set_attribute(semconv.ERROR_TYPE, error_type_name(exc))
                event = exception_event_attributes(exc)
                span.add_event("exception", event)
                span.set_status(Status(StatusCode.ERROR, event["exception.message"][:_STATUS_MESSAGE_MAX] or None))
            except Exception as err:
                _errors.report("steps.end", err)
        if state.documents is not None:
            span.set_attribute(semconv.RETRIEVAL_DOCUMENT_COUNT, state.documents)
        span.end()

    def __enter__(self: S) -> S:
        _Scope.__enter__(self)
        return self

    async def __aenter__(self: S) -> S:
        _Scope.__enter__(self)
        return self

    # --- what the body reports --------------------------------------------------------------
    def _current(self) -> _Entry | None:
        return self._stack[-1][0] if self._stack else None

    def set_attribute(self, key: str, value: Any) -> None:
        """Set any attribute on the step's span (inside the ``with`` block)."""
        entry = self._current()
        if entry is not None:
            entry.span.set_attribute(key, value)

    def _set_content(self, key: str, value: Any, entry: _Entry | None = None) -> None:
        """``value`` as the JSON content attribute ``key``, only with capture_content."""
        settings = get_settings()
        if not settings.capture_content:
            return
        entry = entry or self._current()
        if entry is None:
            return
        try:
            entry.span.set_attribute(key, content_attribute(parse_arguments(value), settings.content_max_chars))
        except Exception as err:
            _errors.report("steps.content", err)

    # --- decorator --------------------------------------------------------------------------
    def __call__(self, fn: F) -> F:
        if inspect.isasyncgenfunction(fn) or inspect.isgeneratorfunction(fn):
            return _Scope.__call__(self, fn)  # the context's generator wrappers, with our hooks
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self.for_call(fn, args, kwargs) as scope:
                    value = await fn(*args, **kwargs)
                    scope._returned(value)
                    return value

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.for_call(fn, args, kwargs) as scope:
                value = fn(*args, **kwargs)
                scope._returned(value)
                return value

        return wrapper  # type: ignore[return-value]

    def for_call(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> StepScope:
        scope = self.fresh()
        scope._called(fn, args, kwargs)
        return scope

    def _called(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """A decorated call is about to run (before its span starts): nothing to note by default."""

    def _returned(self, value: Any) -> None:
        """A decorated sync or async function returned ``value``: nothing to note by default."""


def _call_arguments(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by parameter name (``self``/``cls`` left out), as the tool received them."""
    try:
        bound = inspect.signature(fn).bind_partial(*args, **kwargs)
    except (TypeError, ValueError):  # no signature (a builtin), or a call the function will reject
        return {f"arg{i}": a for i, a in enumerate(args)} | kwargs
    return {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}


class ToolScope(StepScope):
    """``execute_tool {name}``.  ``with llm_agent.tool("search") as t: t.set_result(found)``."""

    __slots__ = ("_arguments",)

    def fresh(self) -> ToolScope:
        clone: ToolScope = super().fresh()  # type: ignore[assignment]
        clone._arguments = getattr(self, "_arguments", None)
        return clone

    def begin(self) -> _Entry:
        entry = super().begin()
        arguments = getattr(self, "_arguments", None)
        if arguments is not None:
            self._set_content(semconv.GEN_AI_TOOL_CALL_ARGUMENTS, arguments, entry)
        return entry

    def set_arguments(self, arguments: Any) -> None:
        """The arguments the tool was called with (an object, or its JSON string); captured content."""
        self._set_content(semconv.GEN_AI_TOOL_CALL_ARGUMENTS, arguments)

    def set_result(self, result: Any) -> None:
        """What the tool returned (any JSON-ready value); captured content."""
        entry = self._current()
        if entry is not None:
            entry.result_set = True
            self._set_content(semconv.GEN_AI_TOOL_CALL_RESULT, result, entry)

    def set_call_id(self, call_id: str) -> None:
        """The id of the model's tool call this run answers (``gen_ai.tool.call.id``)."""
        self.set_attribute(semconv.GEN_AI_TOOL_CALL_ID, str(call_id))

    def _called(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if get_settings().capture_content and getattr(self, "_arguments", None) is None:
            try:
                self._arguments = _call_arguments(fn, args, kwargs)
            except Exception as err:
                _errors.report("steps.tool_arguments", err)

    def _returned(self, value: Any) -> None:
        entry = self._current()
        if entry is not None and not entry.result_set:
            self._set_content(semconv.GEN_AI_TOOL_CALL_RESULT, value, entry)


class AgentScope(StepScope):
    """``invoke_agent {name}``: the root of the turn's trace when no span is current."""

    __slots__ = ()


class RetrievalScope(StepScope):
    """``retrieval {data_source}``.  ``r.set_documents(docs)`` (a list, or how many) and
    ``r.set_query(text)``; a decorated function's returned list (or yielded items) are counted."""

    __slots__ = ("_query",)

    def fresh(self) -> RetrievalScope:
        clone: RetrievalScope = super().fresh()  # type: ignore[assignment]
        clone._query = getattr(self, "_query", None)
        return clone

    def begin(self) -> _Entry:
        entry = super().begin()
        query = getattr(self, "_query", None)
        if query is not None:
            self._set_query(entry, query)
        return entry

    def set_query(self, text: str) -> None:
        """The query text; captured content (``gen_ai.retrieval.query.text``)."""
        entry = self._current()
        if entry is not None:
            self._set_query(entry, text)

    def set_documents(self, documents: Any) -> None:
        """The documents returned: a count, or the list (then, with capture_content, also the list
        itself as ``gen_ai.retrieval.documents``, e.g. ``[{"id": ..., "score": ...}]``)."""
        entry = self._current()
        if entry is not None:
            self._documents(entry, documents)

    def _documents(self, entry: _Entry, documents: Any) -> None:
        if isinstance(documents, bool):
            return
        if isinstance(documents, int):
            entry.documents = max(0, documents)
        elif isinstance(documents, (list, tuple)):
            entry.documents = len(documents)
            self._set_content(semconv.GEN_AI_RETRIEVAL_DOCUMENTS, list(documents), entry)

    def _set_query(self, entry: _Entry, text: Any) -> None:
        settings = get_settings()
        if not settings.capture_content or not isinstance(text, str):
            return
        cap = settings.content_max_chars
        value = text if len(text) <= cap else text[: max(0, cap - len(TRUNCATION_MARKER))] + TRUNCATION_MARKER
        entry.span.set_attribute(semconv.GEN_AI_RETRIEVAL_QUERY_TEXT, value)

    def _called(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if not get_settings().capture_content or getattr(self, "_query", None) is not None:
            return
        try:
            arguments = _call_arguments(fn, args, kwargs)
        except Exception as err:
            _errors.report("steps.retrieval_query", err)
            return
        named = (arguments.get(k) for k in _QUERY_PARAMETERS)
        self._query = next((v for v in named if isinstance(v, str)), None) or next(
            (v for v in arguments.values() if isinstance(v, str)), None
        )

    def _returned(self, value: Any) -> None:
        entry = self._current()
        if entry is not None and entry.documents is None and isinstance(value, (list, tuple)):
            self._documents(entry, value)

    def yielded(self, state: Any, item: Any) -> None:
        state.documents = (state.documents or 0) + 1


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"{what} must be a non-empty string, got {name!r}")
    return name


def _optional(attrs: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        attrs[key] = str(value)


def tool(
    name: str,
    *,
    call_id: str | None = None,
    type: str = DEFAULT_TOOL_TYPE,
    description: str | None = None,
    arguments: Any = None,
) -> ToolScope:
    """A tool run: ``execute_tool {name}`` (``gen_ai.span.kind`` TOOL).

    ``call_id`` is the model's tool-call id the run answers; ``arguments`` (and, decorated, the
    function's own arguments and return value) are recorded only with capture_content.
    """
    _check_name(name, "tool name")
    attrs: dict[str, Any] = {
        semconv.GEN_AI_OPERATION_NAME: semconv.OP_EXECUTE_TOOL,
        semconv.GEN_AI_TOOL_NAME: name,
        semconv.GEN_AI_TOOL_TYPE: str(type),
    }
    _optional(attrs, semconv.GEN_AI_TOOL_CALL_ID, call_id)
    _optional(attrs, semconv.GEN_AI_TOOL_DESCRIPTION, description)
    scope = ToolScope(f"{semconv.OP_EXECUTE_TOOL} {name}", semconv.KIND_TOOL, otel_trace.SpanKind.INTERNAL, attrs)
    scope._arguments = arguments
    return scope


def agent(
    name: str, *, id: str | None = None, description: str | None = None, version: str | None = None
) -> AgentScope:
    """An agent invocation: ``invoke_agent {name}`` (``gen_ai.span.kind`` AGENT); outside any span it
    starts the turn's trace, so the LLM and tool calls inside are one tree."""
    _check_name(name, "agent name")
    attrs: dict[str, Any] = {semconv.GEN_AI_OPERATION_NAME: semconv.OP_INVOKE_AGENT, semconv.GEN_AI_AGENT_NAME: name}
    _optional(attrs, semconv.GEN_AI_AGENT_ID, id)
    _optional(attrs, semconv.GEN_AI_AGENT_DESCRIPTION, description)
    _optional(attrs, semconv.GEN_AI_AGENT_VERSION, version)
    return AgentScope(f"{semconv.OP_INVOKE_AGENT} {name}", semconv.KIND_AGENT, otel_trace.SpanKind.INTERNAL, attrs)


def retrieval(data_source: str, *, query: str | None = None, top_k: int | None = None) -> RetrievalScope:
    """A retrieval from ``data_source`` (``gen_ai.data_source.id``): ``retrieval {data_source}``
    (``gen_ai.span.kind`` RETRIEVER).  The query text is recorded only with capture_content."""
    _check_name(data_source, "retrieval data source")
    attrs: dict[str, Any] = {
        semconv.GEN_AI_OPERATION_NAME: semconv.OP_RETRIEVAL,
        semconv.GEN_AI_DATA_SOURCE_ID: data_source,
    }
    if top_k is not None and not isinstance(top_k, bool):
        key = semconv.GEN_AI_RETRIEVAL_TOP_K if latest_gen_ai() else semconv.GEN_AI_REQUEST_TOP_K
        attrs[key] = int(top_k)
    scope = RetrievalScope(
        f"{semconv.OP_RETRIEVAL} {data_source}", semconv.KIND_RETRIEVER, otel_trace.SpanKind.CLIENT, attrs
    )
    scope._query = query
    return scope


def step(name: str, kind: str = semconv.KIND_CHAIN, attributes: dict[str, Any] | None = None) -> StepScope:
    """Any other step of the app: a span named ``name`` with ``gen_ai.span.kind`` = ``kind`` (one of
    ``semconv.SPAN_KINDS``: CHAIN, WORKFLOW, STEP, RERANKER, MEMORY, ...) and ``attributes``."""
    _check_name(name, "step name")
    upper = kind.upper() if isinstance(kind, str) else kind
    if upper not in semconv.SPAN_KINDS:
        raise ValueError(f"step kind must be one of {sorted(semconv.SPAN_KINDS)}, got {kind!r}")
    return StepScope(name, upper, otel_trace.SpanKind.INTERNAL, dict(attributes or {}))


__all__ = ["AgentScope", "RetrievalScope", "StepScope", "ToolScope", "agent", "retrieval", "step", "tool"]
