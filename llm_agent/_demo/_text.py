"""Deterministic fake model output and token counting for the demo server.

The text is not meant to be clever, only plausible: replies are assembled from a small corpus,
chosen by a random generator seeded from the request, so the same request gets the same answer
and token counts behave like a real model's (longer prompts cost more, replies vary in length).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

#: Per-message framing tokens OpenAI's chat format adds (role, separators).
MESSAGE_OVERHEAD_TOKENS: Final = 4
#: OpenAI caches prompt prefixes from this many tokens on, in steps of CACHE_STEP_TOKENS.
CACHE_MIN_TOKENS: Final = 1024
CACHE_STEP_TOKENS: Final = 128

_TOKEN_RE = re.compile(r"\w{1,6}|[^\w\s]")

_SENTENCES: Final = (
    "Sure, here is what I found.",
    "The short answer is yes, with a few caveats.",
    "Let me break this down step by step.",
    "First, check that the configuration file is in the expected location.",
    "Most teams start with the default settings and tune them later.",
    "The latency mostly comes from the first token, not from the length of the reply.",
    "You can cache the system prompt to cut the input cost of long conversations.",
    "A session groups every turn of one conversation, so you can see where time and tokens went.",
    "If the request fails with a rate limit, retry after the delay the server suggests.",
    "Streaming makes the first words appear sooner even when the full answer takes longer.",
    "The embeddings of similar questions end up close to each other.",
    "I would measure before optimising anything.",
    "That depends on how many users you expect at peak.",
    "Here is an example you can adapt.",
    "In summary, keep prompts short, reuse context, and watch the slow tail of the latency.",
    "The forecast says light rain in the afternoon and clearing skies by the evening.",
    "Your order shipped yesterday and should arrive within three business days.",
    "I could not find that document, but a similar one covers the same topic.",
    "The refund has been approved and will show on your statement within a week.",
    "Reasoning models think before answering, which costs hidden tokens.",
)

_WORDS: Final = ("Paris", "Berlin", "Tokyo", "invoice", "latency", "refund", "release notes", "quota", "alice")


def count_tokens(text: str) -> int:
    """A tokenizer stand-in: words cut into pieces of up to six characters, plus punctuation."""
    return len(_TOKEN_RE.findall(text))


def content_text(content: Any) -> str:
    """The text of a message's content: a string, or a list of parts (text / input_text / image)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        out = []
        for part in content:
            if isinstance(part, Mapping):
                out.append(str(part.get("text") or part.get("input_text") or ""))
                if part.get("type") in ("image_url", "input_image"):
                    out.append("image " * 85)  # an image costs tokens too
            else:
                out.append(str(part))
        return " ".join(out)
    return str(content)


def messages_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    total = 3  # the assistant reply's priming tokens
    for m in messages:
        total += MESSAGE_OVERHEAD_TOKENS + count_tokens(content_text(m.get("content")))
        for call in m.get("tool_calls") or ():
            fn = call.get("function") or {}
            total += count_tokens(str(fn.get("name", ""))) + count_tokens(str(fn.get("arguments", "")))
    return total


def tools_tokens(tools: Sequence[Mapping[str, Any]] | None) -> int:
    return sum(count_tokens(json.dumps(t, sort_keys=True)) for t in tools or ())


def seeded_rng(*parts: Any) -> random.Random:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def reply_text(rng: random.Random, prompt: str, *, sentences: tuple[int, int] = (2, 6)) -> str:
    """A plausible answer; it mentions a word of the prompt so replies differ per question."""
    n = rng.randint(*sentences)
    chosen = rng.sample(_SENTENCES, k=min(n, len(_SENTENCES)))
    words = [w for w in re.findall(r"[A-Za-z]{5,}", prompt)] or list(_WORDS)
    topic = rng.choice(words)
    return f"About {topic}: " + " ".join(chosen)


def truncate_to_tokens(text: str, max_tokens: int) -> str:
    """The longest prefix of ``text`` with at most ``max_tokens`` tokens."""
    count = 0
    for match in _TOKEN_RE.finditer(text):
        count += 1
        if count > max_tokens:
            return text[: match.start()].rstrip()
    return text


def split_chunks(text: str, rng: random.Random) -> list[str]:
    """Stream deltas of one to three tokens each, whitespace kept, like a real stream."""
    pieces = re.findall(r"\s*(?:\w{1,6}|[^\w\s])", text)
    chunks: list[str] = []
    i = 0
    while i < len(pieces):
        step = rng.randint(1, 3)
        chunks.append("".join(pieces[i : i + step]))
        i += step
    tail = text[len("".join(pieces)) :]
    if tail and chunks:
        chunks[-1] += tail
    return chunks or [text]


def _sample_value(schema: Mapping[str, Any], name: str, rng: random.Random) -> Any:
    if schema.get("enum"):
        return rng.choice(list(schema["enum"]))
    kind = schema.get("type")
    if kind == "integer":
        return rng.randint(1, 10)
    if kind == "number":
        return round(rng.uniform(0, 100), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return [_sample_value(schema.get("items") or {"type": "string"}, name, rng)]
    if kind == "object":
        return tool_arguments(schema, rng)
    if "city" in name or "location" in name:
        return rng.choice(("Paris", "Berlin", "Tokyo", "Lisbon"))
    return rng.choice(_WORDS)


def tool_arguments(parameters: Mapping[str, Any] | None, rng: random.Random) -> dict[str, Any]:
    """Arguments that satisfy a JSON-schema ``parameters`` object (required and optional fields)."""
    props = (parameters or {}).get("properties") or {}
    return {name: _sample_value(schema or {}, name, rng) for name, schema in props.items()}


def embedding_vector(text: str, dimensions: int) -> list[float]:
    """A unit vector seeded by the text: the same input always embeds the same way."""
    rng = seeded_rng("embedding", text)
    values = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = sum(v * v for v in values) ** 0.5 or 1.0
    return [round(v / norm, 6) for v in values]
