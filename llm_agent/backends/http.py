"""``http`` backend: batches of ``SpanRecord`` as JSON, POSTed with ``requests``.

Body (``Content-Type: application/json``, gzip-compressed with ``Content-Encoding: gzip`` when
enabled)::

    {"schema": "llm_agent.spans/v1", "sent_at_ns": 1732500000000000000,
     "spans": [SpanRecord.to_dict(), ...]}

Configuration: ``LLM_AGENT_HTTP_ENDPOINT`` (required), ``LLM_AGENT_HTTP_HEADERS``
(``"Authorization=Bearer x,X-Team=ml"``; values may be %-encoded), ``LLM_AGENT_HTTP_GZIP``
(default on).  The response decides what happens to the batch: 2xx done; 408/429/502/503/504 and
connection errors retried (``Retry-After`` honoured); 413 split in halves; other statuses dropped
and counted as ``export_failed`` with the response's reason logged once per status.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import threading
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any, Final

from llm_agent.backends._types import ExportResult, RetryAfter, SpanRecord
from llm_agent.config import ConfigError, Settings
from llm_agent.export._retry import RETRYABLE_STATUS, parse_retry_after

logger = logging.getLogger("llm_agent.backends.http")

HTTP_ENDPOINT_ENV: Final = "LLM_AGENT_HTTP_ENDPOINT"
HTTP_HEADERS_ENV: Final = "LLM_AGENT_HTTP_HEADERS"
HTTP_GZIP_ENV: Final = "LLM_AGENT_HTTP_GZIP"
SCHEMA: Final = "llm_agent.spans/v1"
DEFAULT_HTTP_GZIP: Final = True
DEFAULT_HTTP_TIMEOUT_S: Final = 10.0
#: How much of an error response body is logged (it explains a 400 but may be a whole HTML page).
MAX_LOGGED_BODY_CHARS: Final = 300


def parse_headers(raw: str) -> dict[str, str]:
    """``"k=v,k2=v2"`` (the OTEL_EXPORTER_OTLP_HEADERS format) -> dict."""
    out: dict[str, str] = {}
    for part in raw.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"env {HTTP_HEADERS_ENV}: expected 'Name=value,...', got an entry without '='")
        out[urllib.parse.unquote(key.strip())] = urllib.parse.unquote(value.strip())
    return out


class HttpBackend:
    name = "http"

    def __init__(
        self,
        endpoint: str,
        headers: Mapping[str, str] | None = None,
        gzip_body: bool = DEFAULT_HTTP_GZIP,
        timeout_s: float = DEFAULT_HTTP_TIMEOUT_S,
    ) -> None:
        try:
            import requests
        except ImportError:
            raise ConfigError(
                "option 'backends' (env LLM_AGENT_BACKENDS): the 'http' backend needs requests: "
                "pip install 'llm-agent[http]'"
            ) from None
        parsed = urllib.parse.urlsplit(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(f"env {HTTP_ENDPOINT_ENV}: expected an http(s) URL, got {endpoint!r}")
        self._requests = requests
        self.endpoint = endpoint
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        if gzip_body:
            self._headers["Content-Encoding"] = "gzip"
        self._gzip = gzip_body
        self._timeout_s = timeout_s
        self._session: Any = None
        self._pid = -1
        self._logged_statuses: set[int] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpBackend:
        endpoint = os.environ.get(HTTP_ENDPOINT_ENV, "").strip()
        if not endpoint:
            raise ConfigError(
                f"option 'backends' (env LLM_AGENT_BACKENDS): the 'http' backend needs an endpoint: "
                f"set {HTTP_ENDPOINT_ENV}=https://host/path"
            )
        headers = parse_headers(os.environ.get(HTTP_HEADERS_ENV, ""))
        raw_gzip = os.environ.get(HTTP_GZIP_ENV, "").strip().lower()
        if raw_gzip and raw_gzip not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise ConfigError(f"env {HTTP_GZIP_ENV}: expected a boolean, got {raw_gzip!r}")
        gzip_body = raw_gzip in ("1", "true", "yes", "on") if raw_gzip else DEFAULT_HTTP_GZIP
        return cls(endpoint, headers, gzip_body, settings.export_timeout_s)

    def _get_session(self) -> Any:
        # A session's pooled sockets must not be shared with a forked child: one per process.
        pid = os.getpid()
        if self._session is None or self._pid != pid:
            self._session = self._requests.Session()
            self._pid = pid
        return self._session

    def encode(self, records: Sequence[SpanRecord]) -> bytes:
        body = json.dumps(
            {"schema": SCHEMA, "sent_at_ns": time.time_ns(), "spans": [r.to_dict() for r in records]},
            default=str,
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        return gzip.compress(body, compresslevel=5) if self._gzip else body

    def export(self, records: Sequence[SpanRecord]) -> ExportResult | RetryAfter:
        body = self.encode(records)
        requests = self._requests
        try:
            response = self._get_session().post(
                self.endpoint, data=body, headers=self._headers, timeout=self._timeout_s
            )
        except (requests.ConnectionError, requests.Timeout):
            return ExportResult.RETRYABLE
        status = response.status_code
        if 200 <= status < 300:
            return ExportResult.SUCCESS
        if status in RETRYABLE_STATUS:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            return RetryAfter(wait) if wait is not None else ExportResult.RETRYABLE
        if status == 413:
            return ExportResult.TOO_LARGE
        self._log_rejection(status, response)
        return ExportResult.FAILURE

    def _log_rejection(self, status: int, response: Any) -> None:
        with self._lock:
            if status in self._logged_statuses:
                return
            self._logged_statuses.add(status)
        try:
            reason = response.text[:MAX_LOGGED_BODY_CHARS]
        except Exception:
            reason = ""
        logger.warning(
            "llm_agent: http backend %s rejected a batch with HTTP %d %s: %s (batch dropped; this "
            "status is logged once)",
            urllib.parse.urlsplit(self.endpoint)._replace(query="", fragment="").geturl(),
            status,
            response.reason or "",
            reason,
        )

    def flush(self, timeout_s: float) -> bool:
        return True

    def shutdown(self, timeout_s: float) -> None:
        session = self._session
        self._session = None
        if session is not None and self._pid == os.getpid():
            session.close()
