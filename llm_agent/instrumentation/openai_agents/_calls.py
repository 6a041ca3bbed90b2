"""The tool call id of an SDK function span.

The SDK's function span names the tool and (with ``trace_include_sensitive_data``) its
arguments, but not the call id the model gave it.  The response span before it, under the same
parent (the turn), holds the model's ``function_call`` items with their ``call_id`` (a
chat-completions generation span: its message's ``tool_calls`` with their ``id``): each function
span takes the first not yet taken with the same name and arguments (else the same name), so
parallel calls of one tool pair up by their arguments.  Without the response's output (sensitive
data off) the id is unknown and stays absent.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final

#: Traces whose calls we remember at most (a trace that never ends must not grow this forever).
MAX_TRACES: Final = 1_000


class _Call:
    __slots__ = ("arguments", "call_id", "name", "taken")

    def __init__(self, call_id: str, name: str, arguments: Any) -> None:
        self.call_id = call_id
        self.name = name
        self.arguments = arguments
        self.taken = False


class ToolCalls:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # SDK trace id -> SDK parent span id -> the calls the model asked for there, in order
        self._by_trace: OrderedDict[str, dict[str | None, list[_Call]]] = OrderedDict()

    def remember(self, span: Any, data: Any) -> None:
        """Note the function calls of a finished response or generation span."""
        calls = _response_calls(data) if data.type == "response" else _generation_calls(data)
        if not calls:
            return
        with self._lock:
            by_parent = self._by_trace.setdefault(span.trace_id, {})
            self._by_trace.move_to_end(span.trace_id)
            by_parent.setdefault(span.parent_id, []).extend(calls)
            while len(self._by_trace) > MAX_TRACES:
                self._by_trace.popitem(last=False)

    def take(self, span: Any, data: Any) -> str | None:
        """The call id of a finished function span, or None when it cannot be known."""
        name, arguments = getattr(data, "name", None), getattr(data, "input", None)
        with self._lock:
            calls = self._by_trace.get(span.trace_id, {}).get(span.parent_id, ())
            free = [c for c in calls if not c.taken and c.name == name]
            if not free:
                return None
            chosen = next((c for c in free if arguments is not None and c.arguments == arguments), free[0])
            chosen.taken = True
            return chosen.call_id

    def forget(self, trace_id: str) -> None:
        with self._lock:
            self._by_trace.pop(trace_id, None)


def _response_calls(data: Any) -> list[_Call]:
    """The ``function_call`` output items of a Responses API response."""
    output = getattr(getattr(data, "response", None), "output", None)
    calls = []
    for item in output if isinstance(output, list) else ():
        if getattr(item, "type", None) != "function_call":
            continue
        call_id, name = getattr(item, "call_id", None), getattr(item, "name", None)
        if isinstance(call_id, str) and isinstance(name, str):
            calls.append(_Call(call_id, name, getattr(item, "arguments", None)))
    return calls


def _generation_calls(data: Any) -> list[_Call]:
    """The ``tool_calls`` of a chat-completions generation's output messages (dicts)."""
    output = getattr(data, "output", None)
    calls = []
    for message in output if isinstance(output, (list, tuple)) else ():
        tool_calls = message.get("tool_calls") if isinstance(message, Mapping) else None
        for call in tool_calls if isinstance(tool_calls, (list, tuple)) else ():
            function = call.get("function") if isinstance(call, Mapping) else None
            if not isinstance(function, Mapping):
                continue
            call_id, name = call.get("id"), function.get("name")
            if isinstance(call_id, str) and isinstance(name, str):
                calls.append(_Call(call_id, name, function.get("arguments")))
    return calls


__all__ = ["ToolCalls"]
