"""The export pipeline: bounded batching per backend, retries, fork safety, span -> record.

``Pipeline(settings, backends)`` is what ``llm_agent.init()`` builds; docs/pipeline.md explains
batching, drops, retries, fork safety and exit.
"""

from __future__ import annotations

from llm_agent.export._convert import Converter, to_record
from llm_agent.export._dispatcher import Dispatcher
from llm_agent.export._pipeline import Pipeline
from llm_agent.export._processor import DROP_REASONS, BatchingProcessor

__all__ = ["DROP_REASONS", "BatchingProcessor", "Converter", "Dispatcher", "Pipeline", "to_record"]
