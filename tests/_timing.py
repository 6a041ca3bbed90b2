"""The timing-dependent attributes of a span, checked against each other and taken out.

A test asserting a span's whole attributes cannot know the measured times; it calls
``pop_timing`` first, which checks what can be checked of them (types, signs, the ARMS
nanosecond copy equal to the seconds value) and removes them.
"""

from __future__ import annotations

from typing import Any

from llm_agent import semconv


def pop_timing(attrs: dict[str, Any]) -> dict[str, Any]:
    """Remove the time to first chunk, its ARMS copy and the time per chunk from ``attrs``; returns them."""
    taken: dict[str, Any] = {}
    ttft = attrs.pop(semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, None)
    ns = attrs.pop(semconv.ARMS_TIME_TO_FIRST_TOKEN, None)
    if ns is not None:
        assert ttft is not None and type(ns) is int and ns == round(ttft * 1e9), (ttft, ns)
    if ttft is not None:
        assert isinstance(ttft, float) and ttft >= 0, ttft
        taken[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = ttft
    per_chunk = attrs.pop(semconv.STREAM_TIME_PER_CHUNK, None)
    if per_chunk is not None:
        assert isinstance(per_chunk, float) and per_chunk >= 0, per_chunk
        taken[semconv.STREAM_TIME_PER_CHUNK] = per_chunk
    return taken


def pop_arms_total(attrs: dict[str, Any]) -> dict[str, Any]:
    """Check the ARMS total (``gen_ai.usage.total_tokens`` = input + output, set only when both are
    known) and take it out, for tests whose expectations predate it; returns ``attrs``."""
    total = attrs.pop(semconv.ARMS_USAGE_TOTAL_TOKENS, None)
    inputs = attrs.get(semconv.GEN_AI_USAGE_INPUT_TOKENS)
    outputs = attrs.get(semconv.GEN_AI_USAGE_OUTPUT_TOKENS)
    expected = inputs + outputs if inputs is not None and outputs is not None else None
    assert total == expected, (total, inputs, outputs)
    return attrs


def with_arms_total(expected: dict[str, Any]) -> dict[str, Any]:
    """``expected`` with the ARMS total it implies (input + output, when both are there)."""
    inputs = expected.get(semconv.GEN_AI_USAGE_INPUT_TOKENS)
    outputs = expected.get(semconv.GEN_AI_USAGE_OUTPUT_TOKENS)
    if inputs is None or outputs is None:
        return expected
    return {**expected, semconv.ARMS_USAGE_TOTAL_TOKENS: inputs + outputs}


def span_attributes(record: Any, arms_total: bool = False, chunks: bool = True) -> dict[str, Any]:
    """A finished span's attributes as the provider tests compare them: lists as tuples, without
    the timing (``pop_timing``), the ARMS total when ``arms_total`` (``pop_arms_total``) and the
    stream's chunk count unless ``chunks`` is False."""
    attrs = {k: tuple(v) if isinstance(v, list) else v for k, v in record.attributes.items()}
    pop_timing(attrs)
    if arms_total:
        pop_arms_total(attrs)
    if chunks:
        attrs.pop(semconv.STREAM_CHUNKS, None)
    return attrs
