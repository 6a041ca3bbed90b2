"""A loopback OpenAI-compatible chat-completions server with scripted tool calls (no network).

Each turn of the ReAct agent goes: user message -> the model asks for two tools at once
(``get_weather`` and ``search_orders``, ids ``call_w<n>``/``call_o<n>`` where n counts the user
messages) -> both tool results -> the final answer.  Usage is deterministic: ``10 * messages``
prompt tokens, 7 completion tokens for a tool-call answer and 5 for a text answer, so the
rollups have exact expected values.  ``stream: true`` answers as server-sent events with the
usage chunk last (``stream_options.include_usage``).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "gpt-4o-mini"
TOOL_CALL_TOKENS = 7
ANSWER_TOKENS = 5


def script(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """The assistant message for this request and its usage."""
    messages = body["messages"]
    turn = sum(1 for m in messages if m.get("role") == "user")
    prompt = 10 * len(messages)
    if messages[-1].get("role") == "user":
        calls = [
            {"id": f"call_w{turn}", "type": "function",
             "function": {"name": "get_weather", "arguments": json.dumps({"city": "Paris"})}},
            {"id": f"call_o{turn}", "type": "function",
             "function": {"name": "search_orders", "arguments": json.dumps({"customer": "alice"})}},
        ]
        message = {"role": "assistant", "content": None, "tool_calls": calls}
        completion = TOOL_CALL_TOKENS
    else:
        message = {"role": "assistant", "content": f"Answer {turn}: sunny, one order."}
        completion = ANSWER_TOKENS
    return message, {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)  # type: ignore[attr-defined]
        message, usage = script(body)
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        n = len(self.server.requests)  # type: ignore[attr-defined]
        base = {"id": f"chatcmpl-{n}", "created": 1_700_000_000, "model": MODEL + "-2024-07-18"}
        if not body.get("stream"):
            data = json.dumps({**base, "object": "chat.completion", "usage": usage,
                               "choices": [{"index": 0, "message": message, "finish_reason": finish}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        chunks: list[dict[str, Any]] = []
        delta: dict[str, Any] = {"role": "assistant"}
        if message.get("tool_calls"):
            delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(message["tool_calls"])]
        else:
            delta["content"] = message["content"]
        chunks.append({"index": 0, "delta": delta, "finish_reason": None})
        events = [{**base, "object": "chat.completion.chunk", "choices": chunks}]
        events.append({**base, "object": "chat.completion.chunk",
                       "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({**base, "object": "chat.completion.chunk", "choices": [], "usage": usage})
        payload = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class ScriptedServer:
    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.requests = []  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self._server.requests  # type: ignore[attr-defined,no-any-return]

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
