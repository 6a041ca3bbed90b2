"""A loopback server speaking the OpenAI Responses API with scripted answers, for the Agents SDK.

The SDK's ``OpenAIResponsesModel`` reaches it through the real ``openai`` client on a real socket
on 127.0.0.1 (never the network); ``POST /v1/chat/completions`` gets the same replies as Chat
Completions answers (non-streamed), for the SDK's chat-completions model.  ``script(*replies)``
queues what the next requests get, one reply per request: ``tool_calls(("name", {args}), ...)``
(function calls; a handoff is the SDK's ``transfer_to_<agent>`` tool), ``text("...")`` (a final
answer), or ``fail()`` (an HTTP 500).  A request with ``"stream": true`` gets the same response as
server-sent events (``response.created``, each output item, text deltas, ``response.completed``);
``cut_after`` closes the connection mid-stream after that many events.  Every reply reports ``USAGE``.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from openai.types.responses import Response

MODEL: Final = "gpt-4o-mini"
SNAPSHOT: Final = "gpt-4o-mini-2024-07-18"
#: The usage every reply reports (the tests assert sums of exactly these).
USAGE: Final = {"input_tokens": 30, "input_tokens_details": {"cached_tokens": 4, "cache_write_tokens": 0},
                "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 2}, "total_tokens": 37}  # fmt: skip


@dataclass
class Reply:
    output: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    cut_after: int | None = None  # streamed: close the connection after this many events


def tool_calls(*calls: tuple[str, dict[str, Any]], call_ids: tuple[str, ...] = ()) -> Reply:
    items = []
    for index, (name, arguments) in enumerate(calls):
        call_id = call_ids[index] if index < len(call_ids) else f"call_{name}_{index}"
        items.append({"type": "function_call", "id": f"fc_{call_id}", "call_id": call_id, "name": name,
                      "arguments": json.dumps(arguments), "status": "completed"})  # fmt: skip
    return Reply(items)


def text(answer: str, cut_after: int | None = None) -> Reply:
    message = {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
               "content": [{"type": "output_text", "text": answer, "annotations": []}]}  # fmt: skip
    return Reply([message], cut_after=cut_after)


def fail() -> Reply:
    return Reply(status=500)


class ResponsesServer:
    def __init__(self) -> None:
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self._count = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                reply, response = server._next(body)
                if self.path.endswith("/chat/completions") and reply.status == 200:
                    self._send(200, "application/json", json.dumps(chat_body(response)).encode())
                elif reply.status != 200:
                    data = json.dumps({"error": {"message": "scripted failure", "type": "server_error"}}).encode()
                    self._send(reply.status, "application/json", data)
                elif body.get("stream"):
                    self._stream(response, reply.cut_after)
                else:
                    self._send(200, "application/json", json.dumps(response).encode())

            def _send(self, status: int, content_type: str, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, response: dict[str, Any], cut_after: int | None) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for index, event in enumerate(events(response)):
                    if cut_after is not None and index >= cut_after:
                        break
                    self.wfile.write(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                self.close_connection = True

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.clear()
            self._replies.extend(replies)
            self.requests.clear()

    def _next(self, body: dict[str, Any]) -> tuple[Reply, dict[str, Any]]:
        with self._lock:
            self.requests.append(body)
            self._count += 1
            reply = self._replies.popleft() if self._replies else text("(unscripted)")
            number = self._count
        return reply, response_body(f"resp_{number}", reply.output)

    def __enter__(self) -> ResponsesServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._http.shutdown()
        self._http.server_close()


def response_body(response_id: str, output: list[dict[str, Any]], status: str = "completed") -> dict[str, Any]:
    body = {"id": response_id, "object": "response", "created_at": 1700000000, "status": status, "model": SNAPSHOT,
            "output": output, "parallel_tool_calls": True, "tool_choice": "auto", "tools": [], "error": None,
            "incomplete_details": None, "instructions": None, "metadata": {}, "temperature": 1.0, "top_p": 1.0,
            "usage": USAGE if status == "completed" else None}  # fmt: skip
    return Response.model_validate(body).model_dump(mode="json", exclude_none=True)


def chat_body(response: dict[str, Any]) -> dict[str, Any]:
    """The same reply as a Chat Completions answer (for the SDK's chat-completions model)."""
    message: dict[str, Any] = {"role": "assistant", "content": None}
    calls = [item for item in response["output"] if item["type"] == "function_call"]
    if calls:
        message["tool_calls"] = [
            {"id": c["call_id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in calls
        ]
    else:
        message["content"] = response["output"][0]["content"][0]["text"]
    return {"id": f"chatcmpl-{response['id']}", "object": "chat.completion", "created": 1700000000, "model": SNAPSHOT,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 7, "total_tokens": 37}}  # fmt: skip


def events(final: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def emit(kind: str, **data: Any) -> None:
        out.append({"type": kind, "sequence_number": len(out), **data})

    emit("response.created", response={**final, "status": "in_progress", "output": [], "usage": None})
    for index, item in enumerate(final["output"]):
        if item["type"] == "message":
            opened = {**item, "content": [], "status": "in_progress"}
            emit("response.output_item.added", output_index=index, item=opened)
            answer = item["content"][0]["text"]
            for piece in (answer[: len(answer) // 2], answer[len(answer) // 2 :]):
                emit("response.output_text.delta", item_id=item["id"], output_index=index, content_index=0,
                     delta=piece, logprobs=[])  # fmt: skip
            emit("response.output_text.done", item_id=item["id"], output_index=index, content_index=0,
                 text=answer, logprobs=[])  # fmt: skip
        else:
            emit("response.output_item.added", output_index=index, item=item)
        emit("response.output_item.done", output_index=index, item=item)
    emit("response.completed", response=final)
    return out
