"""Small helpers shared across modules."""

from __future__ import annotations

import os
import re

#: Most exception classes whose ``error.type`` name is remembered; emptied beyond that.
_ERROR_NAME_CACHE_SIZE = 256
# class -> name.  An app fails with the same few classes again and again; the name of a class never
# changes, so splitting its module path once per class instead of once per failure is exact.
_error_names: dict[type, str] = {}


class ErrorResult(Exception):
    """An API error that an SDK hands back as its *result* instead of raising it.

    DashScope's classic API returns a response whose ``status_code`` says it failed; the app gets
    that response unchanged, and its span ends as an error through this stand-in, which is never
    raised: its ``error.type`` is the provider's own error code, not a Python class name.
    """

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def error_type_name(exc: BaseException | type[BaseException]) -> str:
    """``error.type`` value: the exception's qualified class name under its *public* module.

    ``openai._exceptions.NotFoundError`` becomes ``openai.NotFoundError`` (what users import);
    builtins stay bare (``TimeoutError``); an ``ErrorResult`` gives the code it carries.
    """
    if isinstance(exc, ErrorResult):
        return exc.error_type
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


class ExceptionInfo:
    """What the ``exception`` event and the error status need, taken from an exception cheaply.

    The app's thread keeps only the class name, ``str(exc)`` and the (file, line, function) of each
    traceback frame — no frame objects, so no locals outlive the call.  Scrubbing secrets and
    formatting the stack text, the costly part on the error path, happen in ``attributes()`` and
    ``status_message()``: on the app's thread for an SDK span, on the export thread for the spans
    of the direct span path (instrumentation/_direct_spans.py).  Computed once; two export threads
    asking at once compute the same strings.
    """

    __slots__ = ("_attributes", "frames", "message", "type_name")

    def __init__(self, exc: BaseException) -> None:
        self.type_name = error_type_name(exc)
        self.message = str(exc)
        frames: list[tuple[str, int, str]] = []
        tb = exc.__traceback__
        while tb is not None:  # ``traceback.walk_tb`` without the generator
            code = tb.tb_frame.f_code
            frames.append((code.co_filename, tb.tb_lineno, code.co_name))
            tb = tb.tb_next
        self.frames = frames
        self._attributes: dict[str, str] | None = None

    def attributes(self) -> dict[str, str]:
        """The OTel ``exception`` event's attributes, without secrets.

        The SDK's ``record_exception`` formats the traceback with source lines (hundreds of µs on
        the error path); file/line/function is what is needed to find the failure, in the same text.
        """
        attrs = self._attributes
        if attrs is None:
            name = self.type_name
            message = scrub_secrets(self.message)
            stack = "".join(f'  File "{f}", line {n}, in {fn}\n' for f, n, fn in self.frames)
            attrs = self._attributes = {
                "exception.type": name,
                "exception.message": message,
                "exception.stacktrace": f"Traceback (most recent call last):\n{stack}{name}: {message}",
            }
        return attrs

    def status_message(self, max_chars: int) -> str | None:
        """The error status description: the scrubbed message, cut to ``max_chars`` (None if empty)."""
        return self.attributes()["exception.message"][:max_chars] or None


def exception_event_attributes(exc: BaseException) -> dict[str, str]:
    """The OTel ``exception`` event's attributes, cheaply and without secrets (see ``ExceptionInfo``)."""
    return ExceptionInfo(exc).attributes()
