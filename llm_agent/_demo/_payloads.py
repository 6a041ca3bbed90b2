"""OpenAI-shaped response bodies and stream events, built from a request body.

Each ``build_*`` function returns a ``Reply``: the JSON body for a plain response, the list of
stream events for a streamed one, and the number of output tokens (to pace the latency).  The
shapes follow the public API reference closely enough for the official ``openai`` SDK to parse
them into its typed objects.
"""

from __future__ import annotations

import base64
import json
import random
import struct
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from llm_agent._demo import _text


class RequestError(Exception):
    """A request the real API would reject: becomes a 4xx error body."""

    def __init__(self, status: int, message: str, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.param = param


@dataclass(frozen=True)
class ModelSpec:
    kind: str  # "chat", "completion", "embedding"
    snapshot: str  # the dated name the API answers with
    ttft_s: float  # typical time to first token (or to the whole answer for embeddings)
    per_token_s: float  # typical time per output token
    context_tokens: int = 128_000
    reasoning: bool = False
    dimensions: int = 0


#: The models the demo server knows; requests for others get 404 model_not_found, like the API.
MODELS: Final[dict[str, ModelSpec]] = {
    "gpt-4o": ModelSpec("chat", "gpt-4o-2024-08-06", 0.45, 0.012),
    "gpt-4o-mini": ModelSpec("chat", "gpt-4o-mini-2024-07-18", 0.30, 0.006),
    "gpt-4.1-mini": ModelSpec("chat", "gpt-4.1-mini-2025-04-14", 0.35, 0.007, context_tokens=1_000_000),
    "o3-mini": ModelSpec("chat", "o3-mini-2025-01-31", 1.10, 0.008, context_tokens=200_000, reasoning=True),
    "gpt-3.5-turbo-instruct": ModelSpec("completion", "gpt-3.5-turbo-instruct", 0.20, 0.005, context_tokens=4096),
    "text-embedding-3-small": ModelSpec("embedding", "text-embedding-3-small", 0.08, 0.0, 8191, dimensions=1536),
    "text-embedding-3-large": ModelSpec("embedding", "text-embedding-3-large", 0.12, 0.0, 8191, dimensions=3072),
}


def model_spec(name: Any, kind: str) -> ModelSpec:
    if not isinstance(name, str) or not name:
        raise RequestError(400, "you must provide a model parameter", "missing_required_parameter", "model")
    spec = MODELS.get(name) or next((s for s in MODELS.values() if s.snapshot == name), None)
    if spec is None:
        raise RequestError(
            404, f"The model `{name}` does not exist or you do not have access to it.", "model_not_found", "model"
        )
    if spec.kind != kind:
        raise RequestError(400, f"The model `{name}` is not supported by this endpoint.", "invalid_model", "model")
    return spec


@dataclass
class Reply:
    body: dict[str, Any] | None = None  # a plain response
    events: list[tuple[str | None, dict[str, Any] | str]] = field(default_factory=list)  # (SSE event, data)
    output_tokens: int = 0
    spec: ModelSpec | None = None


def _id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def _max_tokens(body: Mapping[str, Any], *names: str) -> int | None:
    for name in names:
        value = body.get(name)
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise RequestError(400, f"Invalid '{name}': expected an integer >= 1.", "invalid_value", name)
            return value
    return None


def _check_context(spec: ModelSpec, prompt_tokens: int) -> None:
    if prompt_tokens > spec.context_tokens:
        raise RequestError(
            400,
            f"This model's maximum context length is {spec.context_tokens} tokens. However, your messages "
            f"resulted in {prompt_tokens} tokens.",
            "context_length_exceeded",
            "messages",
        )


def _answer(rng: random.Random, prompt: str, max_tokens: int | None, after_tool: bool) -> tuple[str, bool]:
    text = _text.reply_text(rng, prompt)
    if after_tool:
        text = "Based on the tool result: " + text
    if max_tokens is not None and _text.count_tokens(text) > max_tokens:
        return _text.truncate_to_tokens(text, max_tokens), True
    return text, False


def _pick_tool(tools: Sequence[Mapping[str, Any]], tool_choice: Any, last_is_tool_result: bool,
               rng: random.Random, get_fn: Any) -> Mapping[str, Any] | None:  # fmt: skip
    functions = [t for t in tools if t.get("type", "function") == "function" and get_fn(t)]
    if not functions or tool_choice == "none" or last_is_tool_result:
        return None
    if isinstance(tool_choice, Mapping):
        wanted = get_fn(tool_choice) or {}
        name = wanted.get("name") if isinstance(wanted, Mapping) else None
        return next((t for t in functions if get_fn(t).get("name") == name), functions[0])
    if tool_choice == "required" or rng.random() < 0.6:
        return rng.choice(functions)
    return None


# --- chat completions --------------------------------------------------------------------------


def build_chat(body: Mapping[str, Any], rng: random.Random, cached_tokens: int) -> Reply:
    spec = model_spec(body.get("model"), "chat")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, Mapping) for m in messages):
        raise RequestError(400, "'messages' must be a non-empty array of objects.", "invalid_value", "messages")
    tools = body.get("tools") or []
    prompt_tokens = _text.messages_tokens(messages) + _text.tools_tokens(tools)
    _check_context(spec, prompt_tokens)
    max_tokens = _max_tokens(body, "max_completion_tokens", "max_tokens")
    last = messages[-1]
    tool = _pick_tool(tools, body.get("tool_choice"), last.get("role") == "tool", rng, lambda t: t.get("function"))
    reasoning = rng.randint(64, 640) if spec.reasoning else 0
    tool_calls = None
    if tool is not None:
        fn = tool["function"]
        arguments = json.dumps(_text.tool_arguments(fn.get("parameters"), rng))
        tool_calls = [
            {"id": _id("call_"), "type": "function", "function": {"name": fn["name"], "arguments": arguments}}
        ]
        content, finish = None, "tool_calls"
        visible = 8 + _text.count_tokens(fn["name"]) + _text.count_tokens(arguments)
    else:
        content, cut = _answer(rng, _text.content_text(last.get("content")), max_tokens, last.get("role") == "tool")
        finish = "length" if cut else "stop"
        visible = _text.count_tokens(content)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": visible + reasoning,
        "total_tokens": prompt_tokens + visible + reasoning,
        "prompt_tokens_details": {"cached_tokens": min(cached_tokens, prompt_tokens), "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reasoning, "audio_tokens": 0,
            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
        },
    }  # fmt: skip
    head = {"id": _id("chatcmpl-"), "created": int(time.time()), "model": spec.snapshot,
            "system_fingerprint": "fp_demo0001", "service_tier": "default"}  # fmt: skip
    reply = Reply(output_tokens=visible + reasoning, spec=spec)
    if not body.get("stream"):
        message = {"role": "assistant", "content": content, "refusal": None, "annotations": []}
        if tool_calls:
            message["tool_calls"] = tool_calls
        reply.body = {
            **head,
            "object": "chat.completion",
            "usage": usage,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        }
        return reply
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    chunk_head = {**head, "object": "chat.completion.chunk"}
    if include_usage:
        chunk_head["usage"] = None

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            **chunk_head,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }

    events: list[tuple[str | None, dict[str, Any] | str]] = [
        (None, chunk({"role": "assistant", "content": "", "refusal": None}))
    ]
    if tool_calls:
        call = tool_calls[0]
        events.append(
            (
                None,
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": call["id"],
                                "type": "function",
                                "function": {"name": call["function"]["name"], "arguments": ""},
                            }
                        ]
                    }
                ),
            )
        )
        for piece in _text.split_chunks(call["function"]["arguments"], rng):
            events.append((None, chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})))
    else:
        for piece in _text.split_chunks(content or "", rng):
            events.append((None, chunk({"content": piece})))
    events.append((None, chunk({}, finish)))
    if include_usage:
        events.append((None, {**chunk_head, "choices": [], "usage": usage}))
    events.append((None, "[DONE]"))
    reply.events = events
    return reply


# --- legacy completions ------------------------------------------------------------------------


def build_completion(body: Mapping[str, Any], rng: random.Random) -> Reply:
    spec = model_spec(body.get("model"), "completion")
    prompt = body.get("prompt")
    if prompt is None:
        raise RequestError(400, "you must provide a prompt parameter", "missing_required_parameter", "prompt")
    prompt_text = prompt if isinstance(prompt, str) else " ".join(str(p) for p in prompt)
    prompt_tokens = _text.count_tokens(prompt_text)
    _check_context(spec, prompt_tokens)
    max_tokens = _max_tokens(body, "max_tokens") or 16  # the API's default for this endpoint
    text, cut = _answer(rng, prompt_text, max_tokens, False)
    out = _text.count_tokens(text)
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": out, "total_tokens": prompt_tokens + out}
    head = {"id": _id("cmpl-"), "object": "text_completion", "created": int(time.time()), "model": spec.snapshot}
    finish = "length" if cut else "stop"
    reply = Reply(output_tokens=out, spec=spec)
    if not body.get("stream"):
        reply.body = {
            **head,
            "usage": usage,
            "choices": [{"text": " " + text, "index": 0, "logprobs": None, "finish_reason": finish}],
        }
        return reply
    for piece in _text.split_chunks(" " + text, rng):
        reply.events.append((None, {**head, "choices": [{"text": piece, "index": 0, "logprobs": None,
                                                         "finish_reason": None}]}))  # fmt: skip
    reply.events.append(
        (None, {**head, "choices": [{"text": "", "index": 0, "logprobs": None, "finish_reason": finish}]})
    )
    if (body.get("stream_options") or {}).get("include_usage"):
        reply.events.append((None, {**head, "choices": [], "usage": usage}))
    reply.events.append((None, "[DONE]"))
    return reply


# --- embeddings ---------------------------------------------------------------------------------


def build_embeddings(body: Mapping[str, Any]) -> Reply:
    spec = model_spec(body.get("model"), "embedding")
    raw = body.get("input")
    if raw is None or raw == "" or raw == []:
        raise RequestError(400, "'input' must not be empty.", "invalid_value", "input")
    if isinstance(raw, str) or (isinstance(raw, list) and raw and isinstance(raw[0], int)):
        inputs = [raw]
    else:
        inputs = list(raw)
    dims = body.get("dimensions") or spec.dimensions
    if not isinstance(dims, int) or dims < 1 or dims > spec.dimensions:
        raise RequestError(400, f"Invalid 'dimensions': must be 1..{spec.dimensions}.", "invalid_value", "dimensions")
    b64 = body.get("encoding_format") == "base64"
    data, tokens = [], 0
    for i, item in enumerate(inputs):
        text = item if isinstance(item, str) else " ".join(map(str, item))
        tokens += _text.count_tokens(item) if isinstance(item, str) else len(item)
        vector = _text.embedding_vector(text, dims)
        value: Any = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode() if b64 else vector
        data.append({"object": "embedding", "index": i, "embedding": value})
    _check_context(spec, tokens)
    return Reply(
        body={"object": "list", "data": data, "model": spec.snapshot,
              "usage": {"prompt_tokens": tokens, "total_tokens": tokens}},
        spec=spec,
    )  # fmt: skip


# --- responses ----------------------------------------------------------------------------------


def _responses_input(body: Mapping[str, Any]) -> tuple[int, str, bool]:
    """Prompt tokens, the last user text, and whether the input ends with a tool result."""
    items = body.get("input")
    if items is None or items == "" or items == []:
        raise RequestError(400, "'input' must not be empty.", "invalid_value", "input")
    tokens = _text.count_tokens(str(body.get("instructions") or ""))
    if isinstance(items, str):
        return tokens + _text.count_tokens(items) + 7, items, False
    if not isinstance(items, list):
        raise RequestError(400, "'input' must be a string or an array.", "invalid_type", "input")
    last_text, last_is_tool = "", False
    for item in items:
        if not isinstance(item, Mapping):
            raise RequestError(400, "'input' items must be objects.", "invalid_type", "input")
        kind = item.get("type", "message")
        if kind == "function_call_output":
            tokens += _text.MESSAGE_OVERHEAD_TOKENS + _text.count_tokens(str(item.get("output", "")))
            last_is_tool = True
        elif kind == "function_call":
            tokens += _text.count_tokens(str(item.get("name", ""))) + _text.count_tokens(str(item.get("arguments", "")))
        else:
            text = _text.content_text(item.get("content"))
            tokens += _text.MESSAGE_OVERHEAD_TOKENS + _text.count_tokens(text)
            if item.get("role") == "user":
                last_text, last_is_tool = text, False
    return tokens + 3, last_text, last_is_tool


def build_response(body: Mapping[str, Any], rng: random.Random, cached_tokens: int) -> Reply:
    spec = model_spec(body.get("model"), "chat")
    prompt_tokens, last_text, after_tool = _responses_input(body)
    tools = body.get("tools") or []
    prompt_tokens += _text.tools_tokens(tools)
    _check_context(spec, prompt_tokens)
    max_tokens = _max_tokens(body, "max_output_tokens")
    tool = _pick_tool(tools, body.get("tool_choice"), after_tool, rng, lambda t: t if t.get("name") else None)
    reasoning = rng.randint(64, 640) if spec.reasoning else 0
    output: list[dict[str, Any]] = []
    if spec.reasoning:
        output.append({"type": "reasoning", "id": _id("rs_"), "summary": []})
    incomplete = False
    if tool is not None:
        arguments = json.dumps(_text.tool_arguments(tool.get("parameters"), rng))
        output.append({"type": "function_call", "id": _id("fc_"), "call_id": _id("call_"), "name": tool["name"],
                       "arguments": arguments, "status": "completed"})  # fmt: skip
        visible = 8 + _text.count_tokens(tool["name"]) + _text.count_tokens(arguments)
    else:
        text, incomplete = _answer(rng, last_text, max_tokens, after_tool)
        output.append({"type": "message", "id": _id("msg_"), "status": "incomplete" if incomplete else "completed",
                       "role": "assistant", "content": [{"type": "output_text", "text": text, "annotations": [],
                                                         "logprobs": []}]})  # fmt: skip
        visible = _text.count_tokens(text)
    usage = {
        "input_tokens": prompt_tokens,
        "input_tokens_details": {"cached_tokens": min(cached_tokens, prompt_tokens)},
        "output_tokens": visible + reasoning,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": prompt_tokens + visible + reasoning,
    }
    final = {
        "id": _id("resp_"), "object": "response", "created_at": int(time.time()),
        "status": "incomplete" if incomplete else "completed", "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": body.get("instructions"), "max_output_tokens": max_tokens, "model": spec.snapshot,
        "output": output, "parallel_tool_calls": True, "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": (body.get("reasoning") or {}).get("effort", "medium") if spec.reasoning else None,
                      "summary": None},
        "store": True, "temperature": body.get("temperature", 1.0), "text": {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"), "tools": tools, "top_p": body.get("top_p", 1.0),
        "truncation": "disabled", "usage": usage, "user": body.get("user"), "metadata": body.get("metadata") or {},
        "service_tier": "default",
    }  # fmt: skip
    reply = Reply(output_tokens=visible + reasoning, spec=spec)
    if not body.get("stream"):
        reply.body = final
        return reply
    reply.events = _response_events(final, rng)
    return reply


def _response_events(final: dict[str, Any], rng: random.Random) -> list[tuple[str | None, dict[str, Any] | str]]:
    events: list[tuple[str | None, dict[str, Any] | str]] = []

    def emit(kind: str, **data: Any) -> None:
        events.append((kind, {"type": kind, "sequence_number": len(events), **data}))

    start = {**final, "status": "in_progress", "output": [], "usage": None, "incomplete_details": None}
    emit("response.created", response=start)
    emit("response.in_progress", response=start)
    for index, item in enumerate(final["output"]):
        if item["type"] == "message":
            emit("response.output_item.added", output_index=index,
                 item={**item, "status": "in_progress", "content": []})  # fmt: skip
            part = item["content"][0]
            empty = {**part, "text": ""}
            emit("response.content_part.added", item_id=item["id"], output_index=index, content_index=0, part=empty)
            for piece in _text.split_chunks(part["text"], rng):
                emit("response.output_text.delta", item_id=item["id"], output_index=index, content_index=0,
                     delta=piece, logprobs=[])  # fmt: skip
            emit("response.output_text.done", item_id=item["id"], output_index=index, content_index=0,
                 text=part["text"], logprobs=[])  # fmt: skip
            emit("response.content_part.done", item_id=item["id"], output_index=index, content_index=0, part=part)
        elif item["type"] == "function_call":
            emit("response.output_item.added", output_index=index,
                 item={**item, "arguments": "", "status": "in_progress"})  # fmt: skip
            for piece in _text.split_chunks(item["arguments"], rng):
                emit("response.function_call_arguments.delta", item_id=item["id"], output_index=index, delta=piece)
            emit("response.function_call_arguments.done", item_id=item["id"], output_index=index,
                 arguments=item["arguments"], name=item["name"])  # fmt: skip
        else:
            emit("response.output_item.added", output_index=index, item=item)
        emit("response.output_item.done", output_index=index, item=item)
    emit("response.incomplete" if final["status"] == "incomplete" else "response.completed", response=final)
    return events
