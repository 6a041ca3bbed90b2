"""``otlp`` backend: the official OpenTelemetry OTLP/HTTP protobuf exporter.

Endpoint, headers, compression, certificates and timeout come from the standard
``OTEL_EXPORTER_OTLP_*`` / ``OTEL_EXPORTER_OTLP_TRACES_*`` variables, exactly as for any
OpenTelemetry app, so a Collector (or Alibaba Cloud ARMS) receives the spans unchanged: the SDK
spans are handed to the exporter as they are, not converted to ``SpanRecord`` and back.  The
exporter retries 429/502/503/504 and connection errors itself within its timeout; a batch it
gives up on is counted as ``export_failed``.
"""

from __future__ import annotations

import os
from typing import Any

from llm_agent.config import ConfigError, Settings

_TIMEOUT_VARS = ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT")


def create(settings: Settings) -> Any:
    """An ``OTLPSpanExporter`` configured from the environment (``ConfigError`` if not installed)."""
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        raise ConfigError(
            "option 'backends' (env LLM_AGENT_BACKENDS): the 'otlp' backend needs the OTLP exporter: "
            "pip install 'llm-agent[otlp]'"
        ) from None
    kwargs: dict[str, Any] = {}
    if not any(os.environ.get(v) for v in _TIMEOUT_VARS):
        # No OTLP timeout chosen: use ours (export_timeout_s) rather than the exporter's default.
        kwargs["timeout"] = settings.export_timeout_s
    try:
        return OTLPSpanExporter(**kwargs)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"option 'backends' (env LLM_AGENT_BACKENDS): cannot configure 'otlp': {exc}") from exc
