"""A provider's ``REQUEST_KEYS`` names every keyword argument its request side reads with capture off.

A call's span keeps only those keys until an export worker builds it (the provider core's
``DeferredRequest``), so a key read but not listed would silently go missing from the span.  A
mapping that records every key asked for runs the request reader over a request that gives every
option, once per operation and once without each key in ``drops`` (checks that read on in turn).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from llm_agent.config import Settings


class Recording(dict):  # type: ignore[type-arg]
    """A dict that remembers every key read from it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asked: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return super().__contains__(key)


def assert_keys_cover(
    read: Callable[[str, dict[str, Any], Settings], dict[str, Any]],
    keys: frozenset[str],
    operations: Iterable[str],
    every_option: dict[str, Any],
    drops: Iterable[str | None] = (None,),
) -> None:
    settings = Settings(capture_content=False)
    for operation in operations:
        for drop in drops:
            given = {k: v for k, v in every_option.items() if k != drop}
            kwargs = Recording(given)
            full = read(operation, kwargs, settings)
            assert kwargs.asked <= keys, kwargs.asked - keys
            # and the kept keys alone give the same attributes
            kept = {k: v for k, v in given.items() if k in keys}
            assert read(operation, kept, settings) == full
