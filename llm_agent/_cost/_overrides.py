"""Price overrides: a JSON or TOML file (or a dict) of USD per million tokens per model.

Shape (TOML the same tables)::

    {"models": {"my-ft-model": {"provider": "openai", "input": 3.0, "output": 12.0,
                                "cache_read": 1.5, "cache_write": 3.75, "reasoning": 12.0},
                "llama3.2": {"input": 0, "output": 0}}}

``provider`` is optional (any provider when absent); a missing ``cache_read`` / ``cache_write``
is priced as ``input``, a missing ``reasoning`` as ``output``.  Every mistake raises ``ValueError``
naming the file and the key, so ``init()`` and the command line fail with it before anything runs.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

#: The price classes of an override, USD per million tokens.
PRICE_KEYS: Final = ("input", "output", "cache_read", "cache_write", "reasoning")
_REQUIRED: Final = ("input", "output")
_ALLOWED: Final = frozenset({"provider", *PRICE_KEYS})
_PER: Final = 1_000_000.0


@dataclass(frozen=True, slots=True)
class Coefficients:
    """USD per token for each of our token columns, so a call costs their dot product.

    Our ``input_tokens`` *include* cache reads and writes (docs/data-model.md), so a cached token
    is priced ``input + cache_read`` (``cache_read`` here is the difference to the input price),
    and our ``output_tokens`` include reasoning the same way.  ``request`` is a fixed per-call fee.
    """

    input: float
    output: float
    cache_read: float = 0.0
    cache_write: float = 0.0
    reasoning: float = 0.0
    request: float = 0.0

    def cost(self, tin: int, tout: int, cache_read: int, cache_write: int, reasoning: int) -> float:
        # The same operations in the same order as the sink's fast path and the ClickHouse SQL, so
        # every path rounds to the same nano-dollar.
        return self.uncached(tin, tout, reasoning) + cache_read * self.cache_read + cache_write * self.cache_write

    def uncached(self, tin: int, tout: int, reasoning: int) -> float:
        """The same call as if nothing had been read from or written to the cache."""
        return self.request + tin * self.input + tout * self.output + reasoning * self.reasoning


@dataclass(frozen=True, slots=True)
class Overrides:
    """Validated overrides: ``(provider or None, model lower-cased) -> Coefficients``."""

    models: Mapping[tuple[str | None, str], Coefficients]
    source: str  # the file (or "dict") they came from, for messages

    def find(self, provider: str | None, model: str) -> Coefficients | None:
        key = model.lower()
        found = self.models.get((provider, key)) if provider is not None else None
        return found if found is not None else self.models.get((None, key))


def load(value: str | os.PathLike[str] | Mapping[str, Any] | Overrides | None) -> Overrides | None:
    """Overrides from a file path, a dict or ``None``; ``ValueError`` naming the file and key."""
    if value is None or isinstance(value, Overrides):
        return value
    if isinstance(value, Mapping):
        return parse(value, "prices dict")
    path = os.fspath(value)
    if not path.strip():
        return None
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise ValueError(f"prices file {path!r}: cannot read it ({exc.strerror or exc})") from exc
    if path.lower().endswith(".toml"):
        try:
            import tomllib
        except ImportError:  # Python 3.10
            raise ValueError(f"prices file {path!r}: TOML needs Python 3.11 or later; use JSON") from None
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"prices file {path!r}: not valid TOML ({exc})") from exc
    else:
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"prices file {path!r}: not valid JSON ({exc})") from exc
    return parse(data, f"prices file {path!r}")


def parse(data: Any, where: str) -> Overrides:
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected a table with a 'models' table, got {type(data).__name__}")
    extra = set(data) - {"models"}
    if extra:
        raise ValueError(f"{where}: unknown key {sorted(extra)[0]!r} (expected 'models')")
    models = data.get("models")
    if not isinstance(models, Mapping):
        raise ValueError(f"{where}: key 'models' must be a table of models")
    out: dict[tuple[str | None, str], Coefficients] = {}
    for name, spec in models.items():
        key = f"models.{name}"
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"{where}: key {key!r}: a model name must be a non-empty string")
        if not isinstance(spec, Mapping):
            raise ValueError(f"{where}: key {key!r} must be a table of prices")
        unknown = set(spec) - _ALLOWED
        if unknown:
            raise ValueError(f"{where}: key '{key}.{sorted(unknown)[0]}' is unknown (allowed: {sorted(_ALLOWED)})")
        for required in _REQUIRED:
            if required not in spec:
                raise ValueError(f"{where}: key '{key}.{required}' is missing (USD per million tokens)")
        prices = {}
        for price_key in PRICE_KEYS:
            if price_key in spec:
                v = spec[price_key]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                    raise ValueError(f"{where}: key '{key}.{price_key}' must be a number >= 0, got {v!r}")
                prices[price_key] = float(v)
        provider = spec.get("provider")
        if provider is not None and (not isinstance(provider, str) or not provider.strip()):
            raise ValueError(f"{where}: key '{key}.provider' must be a provider name, got {provider!r}")
        tin, tout = prices["input"], prices["output"]
        out[(provider.strip() if provider else None, name.strip().lower())] = Coefficients(
            input=tin / _PER,
            output=tout / _PER,
            cache_read=(prices.get("cache_read", tin) - tin) / _PER,
            cache_write=(prices.get("cache_write", tin) - tin) / _PER,
            reasoning=(prices.get("reasoning", tout) - tout) / _PER,
        )
    return Overrides(out, where)
