"""The mixed workload reuses the Anthropic cassette fixture."""

from tests.anthropic.anthropic_helpers import cassette

__all__ = ["cassette"]
