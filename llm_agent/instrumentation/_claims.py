"""Usage claims: how a framework's model-call span learns that one of our provider spans below it
carries the call's tokens, so that the tokens are counted once (docs/data-model.md).

A framework span that reports usage for a model call (the OpenAI Agents SDK's response and
generation spans) puts a ``UsageClaim`` in the OpenTelemetry context it makes current; every
provider call we record (``_spans.start_span``) that starts inside that context marks it. When the
framework span ends, a marked claim means our provider span has the counts: the framework span
keeps its own figures under attributes that are never summed. An unmarked one means no provider
we instrument made the call (a model we do not instrument), so the framework span is the model
call's span and carries the usage itself.
"""

from __future__ import annotations

from typing import Final

from opentelemetry import context as otel_context

#: The context key a claim travels under (a private key: no other library reads it).
CLAIM_KEY: Final = otel_context.create_key("llm_agent_usage_claim")


class UsageClaim:
    """Set when one of our provider spans started below the framework span that made it."""

    __slots__ = ("claimed",)

    def __init__(self) -> None:
        self.claimed = False


def mark(context: otel_context.Context) -> None:
    """Mark the claim of ``context``, if any (the provider core calls this at each call's start)."""
    claim = context.get(CLAIM_KEY)
    if claim is not None:
        claim.claimed = True


__all__ = ["CLAIM_KEY", "UsageClaim", "mark"]
