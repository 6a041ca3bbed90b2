"""Small helpers shared across modules."""

from __future__ import annotations


def error_type_name(exc: BaseException | type[BaseException]) -> str:
    """``error.type`` value: the exception's qualified class name under its *public* module.

    ``openai._exceptions.NotFoundError`` becomes ``openai.NotFoundError`` (what users import);
    builtins stay bare (``TimeoutError``).
    """
    cls = exc if isinstance(exc, type) else type(exc)
    module = cls.__module__ or ""
    if module in ("builtins", "__main__", ""):
        return cls.__qualname__
    public: list[str] = []
    for part in module.split("."):
        if part.startswith("_"):
            break
        public.append(part)
    return ".".join([*public, cls.__qualname__]) if public else cls.__qualname__
