"""Stream accumulator for ``generate_content_stream`` (used with the shared stream proxies).

Each chunk is a whole ``GenerateContentResponse``.  The Gemini API puts ``usage_metadata`` on every
chunk (running counts), Vertex AI only on the last (the others carry just ``traffic_type``): per
count the last non-null value wins, which is right for both.  Finish reasons and function calls
are kept per candidate index; answer text only when content is captured.
"""

from __future__ import annotations

from typing import Any

from llm_agent import semconv
from llm_agent.instrumentation._content import content_attribute
from llm_agent.instrumentation.google_genai._content import output_message
from llm_agent.instrumentation.google_genai._extract import (
    _g,
    _lower,
    read_parts,
    usage_attributes,
    usage_counts,
)


class _Candidate:
    __slots__ = ("calls", "parts", "reason")

    def __init__(self) -> None:
        self.reason: str | None = None
        self.parts: list[dict[str, Any]] = []  # the conventions' parts, kept only with capture on
        self.calls: list[str] = []


class ContentAccumulator:
    __slots__ = ("candidates", "capture", "id", "limit", "model", "usage")

    def __init__(self, capture: bool, limit: int) -> None:
        self.capture = capture
        self.limit = limit
        self.id: str | None = None
        self.model: str | None = None
        #: (prompt, candidates, thoughts, cached): the last non-null value of each.
        self.usage: list[int | None] = [None, None, None, None]
        self.candidates: dict[int, _Candidate] = {}

    def add(self, chunk: Any) -> bool:
        # Per chunk, so written for speed (issue 25: a 50-chunk Gemini stream cost 10x OpenAI's per
        # chunk): SDK models are read with plain ``getattr`` (``_g``'s dict branch is for raw JSON
        # chunks, which take the general path), and a usage object is read only when it is new.
        if type(chunk) is dict:
            return self._add_any(chunk)
        if self.id is None:
            value = getattr(chunk, "response_id", None)
            if type(value) is str and value:
                self.id = value
        if self.model is None:
            value = getattr(chunk, "model_version", None)
            if type(value) is str and value:
                self.model = value
        usage = getattr(chunk, "usage_metadata", None)
        if usage is not None:
            self._usage(usage)
        candidates = getattr(chunk, "candidates", None)
        if type(candidates) is list:
            for position, candidate in enumerate(candidates):
                self._candidate(position, candidate)
        return False

    def _add_any(self, chunk: Any) -> bool:
        """A chunk as raw JSON (a dict) or anything else ``_g`` reads."""
        if self.id is None:
            value = _g(chunk, "response_id")
            if type(value) is str and value:
                self.id = value
        if self.model is None:
            value = _g(chunk, "model_version")
            if type(value) is str and value:
                self.model = value
        usage = _g(chunk, "usage_metadata")
        if usage is not None:
            self._usage(usage)
        candidates = _g(chunk, "candidates")
        if isinstance(candidates, list):
            for position, candidate in enumerate(candidates):
                self._candidate(position, candidate)
        return False

    def _usage(self, usage: Any) -> None:
        if type(usage) is dict:
            counts = usage_counts(usage)
        else:  # ``usage_counts`` inlined for the SDK's model (the same rule: its docstring)
            prompt = getattr(usage, "prompt_token_count", None)
            prompt = prompt if type(prompt) is int and prompt >= 0 else None
            tool_use = getattr(usage, "tool_use_prompt_token_count", None)
            if type(tool_use) is int and tool_use >= 0:
                prompt = tool_use if prompt is None else prompt + tool_use
            counts = (
                prompt,
                getattr(usage, "candidates_token_count", None),
                getattr(usage, "thoughts_token_count", None),
                getattr(usage, "cached_content_token_count", None),
            )
        kept = self.usage
        for i, count in enumerate(counts):
            if type(count) is int and count >= 0:
                kept[i] = count

    def _candidate(self, position: int, candidate: Any) -> None:
        index = _g(candidate, "index")
        key = index if type(index) is int else position
        state = self.candidates.get(key)
        if state is None:
            state = self.candidates[key] = _Candidate()
        reason = _g(candidate, "finish_reason")
        if reason is not None:
            reason = _lower(reason)
            if reason is not None:
                state.reason = reason
        parts = _g(_g(candidate, "content"), "parts")
        if parts:
            found, calls = read_parts(parts, self.capture)
            if found:
                state.parts.extend(found)
            if calls:
                state.calls.extend(calls)

    def attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        if self.id is not None:
            attrs[semconv.GEN_AI_RESPONSE_ID] = self.id
        if self.model is not None:
            attrs[semconv.GEN_AI_RESPONSE_MODEL] = self.model
        ordered = [self.candidates[k] for k in sorted(self.candidates)]
        reasons = [c.reason for c in ordered if c.reason is not None]
        if reasons:
            attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
        names = [name for c in ordered for name in c.calls]
        if names:
            attrs[semconv.TOOL_CALL_NAMES] = names
        if self.capture and ordered:
            outputs = [output_message(c.parts, c.reason) for c in ordered]
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_attribute(outputs, self.limit)
        prompt, candidates, thoughts, cached = self.usage
        usage_attributes(prompt, candidates, thoughts, cached, attrs)
        return attrs


__all__ = ["ContentAccumulator"]
