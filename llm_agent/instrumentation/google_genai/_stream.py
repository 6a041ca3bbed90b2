"""Stream accumulator for ``generate_content_stream`` (used with the shared stream proxies).

Each chunk is a whole ``GenerateContentResponse``.  The Gemini API puts ``usage_metadata`` on every
chunk (running counts), Vertex AI only on the last (the others carry just ``traffic_type``): per
count the last non-null value wins, which is right for both.  Finish reasons and function calls
are kept per candidate index; answer text only when content is captured.
"""

from __future__ import annotations

from typing import Any

from llm_agent import semconv
from llm_agent.instrumentation._spans import content_json
from llm_agent.instrumentation.google_genai._extract import (
    _g,
    _lower,
    output_message,
    read_parts,
    usage_attributes,
    usage_counts,
)


class _Candidate:
    __slots__ = ("calls", "reason", "texts")

    def __init__(self) -> None:
        self.reason: str | None = None
        self.texts: list[str] = []
        self.calls: list[dict[str, Any]] = []


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
            for i, count in enumerate(usage_counts(usage)):
                if count is not None:
                    self.usage[i] = count
        candidates = _g(chunk, "candidates")
        if isinstance(candidates, list):
            for position, candidate in enumerate(candidates):
                index = _g(candidate, "index")
                key = index if type(index) is int else position
                state = self.candidates.get(key)
                if state is None:
                    state = self.candidates[key] = _Candidate()
                reason = _lower(_g(candidate, "finish_reason"))
                if reason is not None:
                    state.reason = reason
                texts, calls = read_parts(_g(_g(candidate, "content"), "parts"), self.capture)
                if texts:
                    state.texts.extend(texts)
                if calls:
                    state.calls.extend(calls)
        return False

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
        names = [call["name"] for c in ordered for call in c.calls]
        if names:
            attrs[semconv.TOOL_CALL_NAMES] = names
        if self.capture and ordered:
            outputs = [output_message(c.texts, c.calls, c.reason) for c in ordered]
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = content_json(outputs, self.limit)
        prompt, candidates, thoughts, cached = self.usage
        usage_attributes(prompt, candidates, thoughts, cached, attrs)
        return attrs


__all__ = ["ContentAccumulator"]
