"""The callback handler: one span per LangChain run, parented by LangChain's own run ids.

Parents come from ``parent_run_id`` (the run tree LangChain keeps), never from whichever span
happens to be current in the thread that fires the callback: LangGraph runs parallel branches in
thread pools and ``Send`` fan-out as separate tasks, and a callback may fire in a context copied
before the parent's span existed (openinference#2190, langfuse#8854 are that failure).  A run
whose parent we never saw (a handler added mid-run, callbacks disabled above it) hangs under the
span current at its start — the app's session/trace root — so it stays in the app's trace.

A run's span is made current while the run executes (attached at start, detached at end) so
that the provider SDK's span of a chat-model run, and the app's own spans inside a tool or node,
nest under it.  Detaching is guarded: only when the run's span is still the current one in this
context (LIFO held) and the context is the one it was attached in; otherwise the attach is left to
the context that owns it (a generator's copy, a finished task) instead of being undone out of
order, which would make an ended span current again.

Every run ends its span exactly once: on ``*_end`` or ``*_error`` (LangChain fires one of them
on every exit path of invoke/stream, ``GeneratorExit`` and cancellation included); a run whose end
never comes (a callback lost) is bounded by ``MAX_OPEN_RUNS``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final
from uuid import UUID

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from llm_agent import _errors, semconv
from llm_agent._state import get_settings, get_tracer
from llm_agent._util import error_type_name, exception_event_attributes
from llm_agent.context import current_ids, id_attributes
from llm_agent.instrumentation import _content
from llm_agent.instrumentation.langchain import _extract

#: Open runs kept at most; past it the oldest is ended (a run whose end callback never came).
MAX_OPEN_RUNS: Final = 10_000
#: Ended runs whose span context is kept for late children (a child started after its parent
#: ended, as ``Send`` fan-out can do): most recent first out.
MAX_ENDED_RUNS: Final = 10_000
#: Longest status description kept from an exception message (characters).
_STATUS_MESSAGE_MAX: Final = 512
#: The metadata key an app can set to choose a run's span kind (``{"gen_ai.span.kind": "AGENT"}``).
KIND_METADATA_KEY: Final = semconv.ARMS_SPAN_KIND
#: Chain runs named so are agents: the graphs ``create_react_agent``/``create_agent`` build
#: unless the app names them (then it says so with the metadata key above, or ``name=`` on
#: the agent, which LangGraph reports as the graph's run name).
AGENT_GRAPH_NAMES: Final = frozenset({"LangGraph", "agent"})


class _Run:
    __slots__ = ("chosen_kind", "context", "ids", "span", "token", "tool_call_id")

    def __init__(self, span: Span, ids: tuple[str | None, str | None]) -> None:
        self.span = span
        self.chosen_kind: str | None = None
        self.ids = ids
        self.token: Any = None
        self.context: otel_context.Context | None = None
        self.tool_call_id: str | None = None


class LLMAgentCallbackHandler:
    """Added to every LangChain callback manager as an inheritable handler (never replacing one).

    Written against ``BaseCallbackHandler``'s method names; the instrumentor makes a subclass of
    LangChain's base at instrument time so this module imports nothing of LangChain.
    """

    #: Called in the task that fires the event (not an executor thread), so that attaching the
    #: run's span reaches the code that runs next in that task.
    run_inline = True
    raise_error = False
    ignore_llm = ignore_chain = ignore_agent = ignore_retriever = ignore_chat_model = False
    ignore_retry = ignore_custom_event = True

    def __init__(self) -> None:
        #: False after ``uninstrument()``: managers made before it still hold the handler, which
        #: then starts no span (and still ends those it started).
        self.enabled = True
        self._lock = threading.Lock()
        self._open: OrderedDict[UUID, _Run] = OrderedDict()
        self._ended: OrderedDict[UUID, tuple[otel_trace.SpanContext, tuple[str | None, str | None]]] = OrderedDict()

    # --- the span machinery ----------------------------------------------------------------------
    def _parent(self, parent_run_id: UUID | None) -> tuple[otel_context.Context | None, tuple[str | None, str | None]]:
        if parent_run_id is not None:
            with self._lock:
                run = self._open.get(parent_run_id)
                if run is not None:
                    return otel_trace.set_span_in_context(run.span), run.ids
                ended = self._ended.get(parent_run_id)
            if ended is not None:
                return otel_trace.set_span_in_context(otel_trace.NonRecordingSpan(ended[0])), ended[1]
        return None, current_ids()

    def _start(
        self,
        run_id: UUID,
        parent_run_id: UUID | None,
        name: str,
        kind: str,
        otel_kind: SpanKind,
        attrs: dict[str, Any],
    ) -> _Run | None:
        if not self.enabled:
            return None
        parent_ctx, parent_ids = self._parent(parent_run_id)
        # The run's own context's ids win (a session opened inside a node), else the parent run's
        # (a callback fired in a thread that did not copy the app's context).
        here = current_ids()
        ids = (here[0] or parent_ids[0], here[1] or parent_ids[1])
        if get_settings().arms_compat:
            attrs[semconv.ARMS_SPAN_KIND] = kind
        attrs.update(id_attributes(*ids))
        span = get_tracer().start_span(name, context=parent_ctx, kind=otel_kind, attributes=attrs)
        run = _Run(span, ids)
        evicted: list[_Run] = []
        with self._lock:
            self._open[run_id] = run
            while len(self._open) > MAX_OPEN_RUNS:
                evicted.append(self._open.popitem(last=False)[1])
        for old in evicted:
            old.span.end()
        run.context = otel_trace.set_span_in_context(span)
        run.token = otel_context.attach(run.context)
        return run

    def _end(self, run_id: UUID, error: BaseException | None = None, attrs: Mapping[str, Any] | None = None) -> None:
        with self._lock:
            run = self._open.pop(run_id, None)
            if run is None:
                return  # never started by us (or ended already): end once
            self._ended[run_id] = (run.span.get_span_context(), run.ids)
            while len(self._ended) > MAX_ENDED_RUNS:
                self._ended.popitem(last=False)
        span = run.span
        try:
            if attrs:
                span.set_attributes(dict(attrs))
            if error is not None and not isinstance(error, GeneratorExit):  # a stream closed early is no error
                span.set_attribute(semconv.ERROR_TYPE, error_type_name(error))
                event = exception_event_attributes(error)
                span.add_event("exception", event)
                span.set_status(Status(StatusCode.ERROR, event["exception.message"][:_STATUS_MESSAGE_MAX] or None))
        finally:
            span.end()
            _detach(run)

    def _guard(self, where: str, fn: Any, *args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except Exception as exc:
            _errors.report(f"langchain.{where}", exc)

    # --- chains, graph nodes and agents ------------------------------------------------------------
    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._guard("chain_start", self._chain_start, serialized, run_id, parent_run_id, metadata, kwargs)

    def _chain_start(
        self,
        serialized: dict[str, Any] | None,
        run_id: UUID,
        parent_run_id: UUID | None,
        metadata: dict[str, Any] | None,
        kwargs: dict[str, Any],
    ) -> None:
        name = _run_name(serialized, kwargs, "chain")
        chosen = kind = _chosen_kind(metadata)
        if kind is not None and parent_run_id is not None:
            with self._lock:
                parent = self._open.get(parent_run_id)
            if parent is not None and parent.chosen_kind == kind:
                kind = None  # LangChain passes a run's metadata on to its children: the kind is the parent's
        if kind is None:
            # A graph at the top (not itself a node of a graph) under a prebuilt agent's name.
            top = not (metadata or {}).get("langgraph_node")
            kind = semconv.KIND_AGENT if top and name in AGENT_GRAPH_NAMES else semconv.KIND_CHAIN
        attrs: dict[str, Any] = {}
        if kind == semconv.KIND_AGENT:
            attrs[semconv.GEN_AI_OPERATION_NAME] = semconv.OP_INVOKE_AGENT
            attrs[semconv.GEN_AI_AGENT_NAME] = name
            span_name = f"invoke_agent {name}"
        else:
            span_name = name
        node = (metadata or {}).get("langgraph_node")
        if isinstance(node, str) and node == name:
            step = (metadata or {}).get("langgraph_step")
            if isinstance(step, int) and not isinstance(step, bool):
                attrs[semconv.LANGGRAPH_STEP] = step
        run = self._start(run_id, parent_run_id, span_name, kind, SpanKind.INTERNAL, attrs)
        if run is not None:
            run.chosen_kind = chosen

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._guard("chain_end", self._end, run_id)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._guard("chain_error", self._end, run_id, error)

    # --- chat models and LLMs -------------------------------------------------------------------
    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._guard(
            "chat_start", self._model_start, serialized, messages, None, run_id, parent_run_id, metadata, kwargs
        )

    def on_llm_start(
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._guard("llm_start", self._model_start, serialized, None, prompts, run_id, parent_run_id, metadata, kwargs)

    def _model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: Any,
        prompts: Any,
        run_id: UUID,
        parent_run_id: UUID | None,
        metadata: dict[str, Any] | None,
        kwargs: dict[str, Any],
    ) -> None:
        params = kwargs.get("invocation_params")
        params = params if isinstance(params, Mapping) else {}
        operation = semconv.OP_CHAT if messages is not None else semconv.OP_TEXT_COMPLETION
        model = _extract.request_model(metadata, params)
        attrs: dict[str, Any] = {
            semconv.GEN_AI_OPERATION_NAME: operation,
            semconv.GEN_AI_PROVIDER_NAME: _extract.provider_name(metadata, serialized),
            **_extract.request_attributes(metadata, params),
        }
        if model is not None:
            attrs[semconv.GEN_AI_REQUEST_MODEL] = model
        settings = get_settings()
        if settings.capture_content:
            content = _extract.input_messages(messages) if messages is not None else _extract.prompt_messages(prompts)
            attrs[semconv.GEN_AI_INPUT_MESSAGES] = _content.content_attribute(content, settings.content_max_chars)
        name = f"{operation} {model}" if model else operation
        self._start(run_id, parent_run_id, name, semconv.KIND_LLM, SpanKind.CLIENT, attrs)

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._guard("llm_end", self._model_end, response, run_id)

    def _model_end(self, response: Any, run_id: UUID) -> None:
        attrs = _extract.response_attributes(response)
        settings = get_settings()
        if settings.capture_content:
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = _content.content_attribute(
                _extract.output_messages(response), settings.content_max_chars
            )
        self._end(run_id, None, attrs)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._guard("llm_error", self._end, run_id, error)

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        return None

    # --- tools ------------------------------------------------------------------------------------
    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._guard("tool_start", self._tool_start, serialized, input_str, inputs, run_id, parent_run_id, kwargs)

    def _tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        inputs: Any,
        run_id: UUID,
        parent_run_id: UUID | None,
        kwargs: dict[str, Any],
    ) -> None:
        name = _run_name(serialized, kwargs, "tool")
        attrs: dict[str, Any] = {
            semconv.GEN_AI_OPERATION_NAME: semconv.OP_EXECUTE_TOOL,
            semconv.GEN_AI_TOOL_NAME: name,
            semconv.GEN_AI_TOOL_TYPE: "function",
        }
        description = (serialized or {}).get("description")
        if isinstance(description, str) and description:
            attrs[semconv.GEN_AI_TOOL_DESCRIPTION] = description
        call_id = _extract.tool_call_id(kwargs)
        if call_id is not None:
            attrs[semconv.GEN_AI_TOOL_CALL_ID] = call_id
        settings = get_settings()
        if settings.capture_content:
            arguments = inputs if inputs is not None else input_str
            attrs[semconv.GEN_AI_TOOL_CALL_ARGUMENTS] = _content.content_attribute(
                _content.parse_arguments(arguments), settings.content_max_chars
            )
        run = self._start(run_id, parent_run_id, f"execute_tool {name}", semconv.KIND_TOOL, SpanKind.INTERNAL, attrs)
        if run is not None:
            run.tool_call_id = call_id

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._guard("tool_end", self._tool_end, output, run_id)

    def _tool_end(self, output: Any, run_id: UUID) -> None:
        attrs: dict[str, Any] = {}
        with self._lock:
            run = self._open.get(run_id)
        if run is not None and run.tool_call_id is None:
            call_id = _extract.tool_call_id({}, output)
            if call_id is not None:
                attrs[semconv.GEN_AI_TOOL_CALL_ID] = call_id
        settings = get_settings()
        if settings.capture_content:
            attrs[semconv.GEN_AI_TOOL_CALL_RESULT] = _content.content_attribute(
                _extract.tool_result(output), settings.content_max_chars
            )
        self._end(run_id, None, attrs)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._guard("tool_error", self._end, run_id, error)

    # --- retrievers ---------------------------------------------------------------------------------
    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._guard("retriever_start", self._retriever_start, serialized, query, run_id, parent_run_id, kwargs)

    def _retriever_start(
        self, serialized: dict[str, Any] | None, query: Any, run_id: UUID, parent_run_id: UUID | None, kwargs: Any
    ) -> None:
        name = _run_name(serialized, kwargs, "retriever")
        attrs: dict[str, Any] = {
            semconv.GEN_AI_OPERATION_NAME: semconv.OP_RETRIEVAL,
            semconv.GEN_AI_DATA_SOURCE_ID: name,
        }
        settings = get_settings()
        if settings.capture_content and isinstance(query, str):
            attrs[semconv.GEN_AI_RETRIEVAL_QUERY_TEXT] = query[: settings.content_max_chars]
        self._start(run_id, parent_run_id, f"retrieval {name}", semconv.KIND_RETRIEVER, SpanKind.CLIENT, attrs)

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._guard("retriever_end", self._retriever_end, documents, run_id)

    def _retriever_end(self, documents: Any, run_id: UUID) -> None:
        attrs: dict[str, Any] = {}
        count = _extract.document_count(documents)
        if count is not None:
            attrs[semconv.RETRIEVAL_DOCUMENT_COUNT] = count
        settings = get_settings()
        if settings.capture_content:
            attrs[semconv.GEN_AI_RETRIEVAL_DOCUMENTS] = _content.content_attribute(
                _extract.documents_content(documents), settings.content_max_chars
            )
        self._end(run_id, None, attrs)

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._guard("retriever_error", self._end, run_id, error)

    # --- the rest of the interface: nothing to record --------------------------------------------------
    def on_agent_action(self, action: Any, **kwargs: Any) -> None:
        return None

    def on_agent_finish(self, finish: Any, **kwargs: Any) -> None:
        return None

    def on_text(self, text: str, **kwargs: Any) -> None:
        return None

    def on_retry(self, retry_state: Any, **kwargs: Any) -> None:
        return None

    def on_custom_event(self, name: str, data: Any, **kwargs: Any) -> None:
        return None

    def open_runs(self) -> int:
        """How many runs have a span open (tests: every run ended)."""
        with self._lock:
            return len(self._open)


def _detach(run: _Run) -> None:
    """Undo the run's attach if this context still has the run's span current (see the module doc)."""
    token, run.token = run.token, None
    if token is None or otel_context.get_current() is not run.context:
        return  # another span was made current after ours here, or this is another context
    reset = getattr(getattr(token, "var", None), "reset", None)
    if reset is None:  # not a contextvars token (a custom runtime context): its own detach
        otel_context.detach(token)
        return
    try:
        reset(token)
    except ValueError:
        pass  # a copy of the context that attached it (a thread or task's): the copy ends with it


def _run_name(serialized: Mapping[str, Any] | None, kwargs: Mapping[str, Any], default: str) -> str:
    name = kwargs.get("name")
    if isinstance(name, str) and name:
        return name
    if serialized:
        value = serialized.get("name")
        if isinstance(value, str) and value:
            return value
        ids = serialized.get("id")
        if isinstance(ids, list) and ids and isinstance(ids[-1], str):
            return ids[-1]
    return default


def _chosen_kind(metadata: Mapping[str, Any] | None) -> str | None:
    value = (metadata or {}).get(KIND_METADATA_KEY)
    return value if isinstance(value, str) and value in semconv.SPAN_KINDS else None


__all__ = ["AGENT_GRAPH_NAMES", "KIND_METADATA_KEY", "MAX_ENDED_RUNS", "MAX_OPEN_RUNS", "LLMAgentCallbackHandler"]
