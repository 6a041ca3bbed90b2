"""Small helpers shared across modules."""

from __future__ import annotations

import os
import re
import traceback

#: Most exception classes whose ``error.type`` name is remembered; emptied beyond that.
_ERROR_NAME_CACHE_SIZE = 256
# class -> name.  An app fails with the same few classes again and again; the name of a class never
# changes, so splitting its module path once per class instead of once per failure is exact.
_error_names: dict[type, str] = {}


def error_type_name(exc: BaseException | type[BaseException]) -> str:
    """``error.type`` value: the exception's qualified class name under its *public* module.

    ``openai._exceptions.NotFoundError`` becomes ``openai.NotFoundError`` (what users import);
    builtins stay bare (``TimeoutError``).
    """
    cls = exc if isinstance(exc, type) else type(exc)
    name = _error_names.get(cls)
    if name is None:
        name = _error_type_name(cls)
        if len(_error_names) >= _ERROR_NAME_CACHE_SIZE:
            _error_names.clear()
        _error_names[cls] = name
    return name


def _error_type_name(cls: type) -> str:
    module = cls.__module__ or ""
    if module in ("builtins", "__main__", ""):
        return cls.__qualname__
    public: list[str] = []
    for part in module.split("."):
        if part.startswith("_"):
            break
        public.append(part)
    return ".".join([*public, cls.__qualname__]) if public else cls.__qualname__


_SECRET_PATTERNS = re.compile(
    r"(?i)(bearer\s+)\S+"  # Authorization: Bearer <token>
    r"|(authorization[\"']?\s*[:=]\s*[\"']?)(?:bearer\s+|basic\s+)?[^\s\"',}]+"  # authorization: <value>
    r"|(x-api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+"  # x-api-key: <value>
    r"|\b(sk-)[A-Za-z0-9_\-]{8,}"  # provider API keys
)


#: Every alternative of ``_SECRET_PATTERNS`` contains one of these (case-insensitively).
_SECRET_LITERALS = ("bearer", "authorization", "x-api-key", "sk-")

_KEY_VARIABLES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AZURE_OPENAI_API_KEY")


def scrub_secrets(text: str) -> str:
    """``text`` with bearer tokens, Authorization/x-api-key values and ``sk-`` keys replaced.

    Error messages are copied into spans; some servers and proxies echo request headers in them.
    """
    if not text:
        return text
    for var in _KEY_VARIABLES:  # the process's own keys, whatever form they are echoed in
        key = os.environ.get(var)
        if key and len(key) >= 8 and key in text:
            text = text.replace(key, "[REDACTED]")
    # Every alternative of the pattern contains one of these literals (case-insensitively), so an
    # ASCII text with none of them cannot match: skip the regex scan, the costly part on the error
    # path.  Non-ASCII text always takes the scan (Unicode case folding is wider than ``lower()``).
    if text.isascii():
        lowered = text.lower()
        if not any(literal in lowered for literal in _SECRET_LITERALS):
            return text
    # The whole match goes, label included: "Authorization: Bearer x" names a credential by itself.
    return _SECRET_PATTERNS.sub("[REDACTED]", text)


def exception_event_attributes(exc: BaseException) -> dict[str, str]:
    """The OTel ``exception`` event's attributes, cheaply and without secrets.

    The SDK's ``record_exception`` formats the traceback with source lines (hundreds of µs on the
    error path); file/line/function is what is needed to find the failure.
    """
    # Straight from the frames: ``StackSummary.extract`` (even without source lines) builds a
    # FrameSummary per frame and ``os.stat``s every file for ``linecache.checkcache``; the text is
    # the same (file, line, function).
    stack = "".join(
        f'  File "{frame.f_code.co_filename}", line {lineno}, in {frame.f_code.co_name}\n'
        for frame, lineno in traceback.walk_tb(exc.__traceback__)
    )
    name = error_type_name(exc)
    message = scrub_secrets(str(exc))
    return {
        "exception.type": name,
        "exception.message": message,
        "exception.stacktrace": f"Traceback (most recent call last):\n{stack}{name}: {message}",
    }
