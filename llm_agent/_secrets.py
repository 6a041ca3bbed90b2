"""Keeping credentials out of everything we record, log or print.

Two ways, both needed:

- *by what we know*: the key the client itself is configured with and its auth header values
  (each provider's ``Provider.secrets(instance)``, read at call time), and the process's own key
  variables.  A key of no known shape (Azure's 32 hex digits, Cohere's, Mistral's) is caught only
  this way.
- *by shape*: every provider's documented key prefixes, auth-carrying headers, credentials in a
  URL (userinfo and key-like query parameters): what a server or proxy echoes of a key we were
  not told about.
"""

from __future__ import annotations

import logging
import os
import re
import urllib.parse
from collections.abc import Iterable
from typing import Final

REDACTED: Final = "[REDACTED]"
#: Shorter known secrets are not replaced: replacing ``"abc"`` everywhere would garble the text,
#: and no real key is that short.
MIN_SECRET_CHARS: Final = 8

#: Header or keyword names whose value is a credential (``name: value``, ``name=value``).
_SECRET_NAMES: Final = (
    r"proxy-authorization|authorization|x-api-key|x-goog-api-key|api-key|api_key|apikey"
    r"|x-amz-security-token|aws_secret_access_key|aws_session_token"
)
#: URL query parameters whose value is a credential (Gemini's ``?key=``, Azure's ``?api-key=``,
#: SigV4 presigned URLs, OAuth tokens).
_SECRET_PARAMS: Final = (
    r"key|api-key|api_key|apikey|access_token|token|auth|password|secret|sig|signature"
    r"|x-amz-signature|x-amz-credential|x-amz-security-token"
)
#: Documented key prefixes: OpenAI/Anthropic/DeepSeek/OpenRouter/DashScope ``sk-``, Groq ``gsk_``,
#: xAI ``xai-``, Hugging Face ``hf_``, Perplexity ``pplx-``, Replicate ``r8_``, Fireworks ``fw_``,
#: Google ``AIza``, AWS access key ids ``AKIA``/``ASIA``.
_KEY_SHAPES: Final = (
    r"\b(?:sk|xai|pplx)-[A-Za-z0-9_\-]{8,}"
    r"|\b(?:gsk|hf|r8|fw)_[A-Za-z0-9]{8,}"
    r"|\b(?-i:AIza)[A-Za-z0-9_\-]{30,}"
    r"|\b(?-i:(?:AKIA|ASIA)[A-Z0-9]{16})\b"
)

_PATTERN: Final = re.compile(
    r"(?i)(bearer\s+)\S+"  # Authorization: Bearer <token>
    rf"|(?:\b(?:{_SECRET_NAMES})[\"']?\s*[:=]\s*[\"']?)(?:bearer\s+|basic\s+)?[^\s\"',}}&]+"  # header: value
    rf"|(?P<param>[?&;](?:{_SECRET_PARAMS})=)[^&\s#\"']+"  # ?key=<value>: the name stays
    r"|(?P<scheme>\b[a-z][a-z0-9+.\-]*://)[^/\s?#@\"']+@"  # scheme://user:password@: the scheme stays
    rf"|{_KEY_SHAPES}"
)
#: Every alternative of ``_PATTERN`` contains one of these (case-insensitively): an ASCII text
#: with none of them cannot match.
_LITERALS: Final = (
    "bearer", "authorization", "key", "token", "amz", "auth", "password", "secret", "sig", "://",
    "sk-", "xai-", "pplx-", "gsk_", "hf_", "r8_", "fw_", "aiza", "akia", "asia",
)  # fmt: skip

#: The process's own keys, whatever form they are echoed in.
KEY_VARIABLES: Final = (
    "OPENAI_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "MISTRAL_API_KEY",
    "GROQ_API_KEY",
    "CO_API_KEY",
    "COHERE_API_KEY",
    "DASHSCOPE_API_KEY",
    "OLLAMA_API_KEY",
)


def _replace(match: re.Match[str]) -> str:
    # The whole match goes, label included ("Authorization: Bearer x" names a credential by
    # itself); a query parameter keeps its name and a URL its scheme, so the text stays readable.
    kept = match.group("param") or match.group("scheme") or ""
    return f"{kept}{REDACTED}" + ("@" if match.group("scheme") else "")


def scrub_secrets(text: str, known: Iterable[str] = ()) -> str:
    """``text`` without the ``known`` secrets, the process's key variables and key-shaped values.

    Error messages are copied into spans and log lines; servers and proxies echo request headers
    and URLs in them.
    """
    if not text:
        return text
    for key in (*known, *(os.environ.get(var) for var in KEY_VARIABLES)):
        if key and len(key) >= MIN_SECRET_CHARS and key in text:
            text = text.replace(key, REDACTED)
    # The regex scan is the costly part on the error path: an ASCII text with none of the
    # literals cannot match.  Non-ASCII text always takes the scan (Unicode case folding is
    # wider than ``lower()``).
    if text.isascii():
        lowered = text.lower()
        if not any(literal in lowered for literal in _LITERALS):
            return text
    return _PATTERN.sub(_replace, text)


#: Request headers whose value is a credential (compared lower-case).
AUTH_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "api-key", "x-api-key", "x-goog-api-key", "x-amz-security-token"}
)


def secret_values(api_key: object = None, headers: object = None) -> tuple[str, ...]:
    """The strings to scrub for a client configured with ``api_key`` and request ``headers``.

    ``headers`` is a mapping (an SDK's ``auth_headers``, an httpx ``Headers``); only the
    ``AUTH_HEADERS`` among them count, and a value ``"Bearer <token>"`` yields both the value and
    the token.  Non-strings are skipped: an SDK may keep a callable or None there.
    """
    out: list[str] = []
    if isinstance(api_key, str) and api_key:
        out.append(api_key)
    items = getattr(headers, "items", None)
    if callable(items):
        for name, value in items():
            if not isinstance(name, str) or name.lower() not in AUTH_HEADERS:
                continue
            if isinstance(value, str) and value:
                out.append(value)
                token = value.rpartition(" ")[2]
                if token and token != value:
                    out.append(token)
    return tuple(out)


def redact_url(url: str) -> str:
    """``url`` as it may be printed: no userinfo, no query, no fragment (``ConfigError``s, logs)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return scrub_secrets(url)
    if not parts.scheme or not parts.netloc:
        return scrub_secrets(url)
    netloc = parts.netloc.rpartition("@")[2]
    if "@" in parts.netloc:
        netloc = f"{REDACTED}@{netloc}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class ScrubFilter(logging.Filter):
    """Scrubs every record of the logger it is on: our log lines quote exceptions, response
    bodies and URLs, any of which can carry a credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report
            return True
        scrubbed = scrub_secrets(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


_FILTER: Final = ScrubFilter()


def get_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` with the scrubbing filter: every llm_agent logger is made here.

    A filter on a logger applies to the records logged on it, not on its children, so each of our
    loggers carries its own.
    """
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


__all__ = [
    "AUTH_HEADERS",
    "KEY_VARIABLES",
    "REDACTED",
    "ScrubFilter",
    "get_logger",
    "redact_url",
    "scrub_secrets",
    "secret_values",
]
