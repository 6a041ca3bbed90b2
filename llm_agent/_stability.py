"""The standard opt-in to the latest experimental GenAI conventions, read in one place.

``OTEL_SEMCONV_STABILITY_OPT_IN`` is a comma-separated list of categories (the conventions'
transition plan, docs/gen-ai/README.md); ``gen_ai_latest_experimental`` asks instrumentations to
emit the latest experimental GenAI names *instead of* the ones they emitted by default.  Every
module that changes shape with it (the token metrics, the content helper) asks ``latest_gen_ai()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from llm_agent import semconv


def latest_gen_ai(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``OTEL_SEMCONV_STABILITY_OPT_IN`` lists ``gen_ai_latest_experimental``.

    Read at each call (an environment lookup and a split): callers on a hot path read it once,
    when they are built.  Matched as opentelemetry-instrumentation's ``_semconv`` does: items stripped, case-sensitive.
    """
    env = os.environ if environ is None else environ
    raw = env.get(semconv.STABILITY_OPT_IN_ENV, "")
    return semconv.STABILITY_GEN_AI_LATEST in (item.strip() for item in raw.split(","))


__all__ = ["latest_gen_ai"]
