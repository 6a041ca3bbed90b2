"""Route llm_agent's stages through callgrind_marks' named C frames (the breakdown's run only).

Each stage is a method or module function of llm_agent, replaced before ``init()`` (the wrappers
look their helpers up when they are made) by the same function called through a C frame named
``llm_stage_<stage>``.  Behaviour is unchanged; the costs move only in the count's books.  What is
in no stage — the wrapt layer, our wrapper function, the context variable, the stream proxy's
iteration — is the breakdown's "rest": the added instructions of the plain run less the stages.
"""

from __future__ import annotations

import importlib
from typing import Any, Final

import callgrind_marks

#: (stage, module, class or None, attribute).  Absent ones are skipped (another SDK, another version).
POINTS: Final = (
    # the app's thread
    ("request", "llm_agent.instrumentation.openai._provider", "OpenAIProvider", "begin"),
    ("request", "llm_agent.instrumentation.anthropic._provider", "AnthropicProvider", "begin"),
    ("response", "llm_agent.instrumentation._call", "Provider", "response_attributes"),
    ("stream", "llm_agent.instrumentation.openai._accumulators", "ChatAccumulator", "add"),
    ("stream", "llm_agent.instrumentation.openai._accumulators", "ResponsesAccumulator", "add"),
    ("stream", "llm_agent.instrumentation.anthropic._stream", "MessageAccumulator", "add"),
    ("span_end", "llm_agent.instrumentation._call", None, "end_span"),
    ("span_end", "llm_agent.instrumentation._stream", None, "end_span"),
    ("handoff", "llm_agent.export._processor", "BatchingProcessor", "on_end"),
    ("handoff", "llm_agent.export._metrics", "MetricsProcessor", "on_end"),
    # the export threads
    ("span_build", "llm_agent.instrumentation._direct_spans", "_DeferredSpan", "_llm_build"),
    ("export", "llm_agent.export._targets", "ExporterTarget", "export"),
    ("export", "llm_agent.export._targets", "RecordTarget", "prepare"),
    ("export", "llm_agent.export._targets", "RecordTarget", "export"),
    ("export", "llm_agent.export._targets", "RowTarget", "prepare"),
    ("export", "llm_agent.export._targets", "RowTarget", "export"),
    ("metrics", "llm_agent.export._metrics", "MetricsTarget", "prepare"),
    ("metrics", "llm_agent.export._metrics", "MetricsTarget", "export"),
    ("sink", "llm_agent.backends.sqlite", "SQLiteBackend", "export_rows"),
)


def install() -> list[str]:
    """Patch every point found; returns those patched (``stage:module.Class.attr``)."""
    done = []
    for stage, module_name, class_name, attribute in POINTS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        owner: Any = module if class_name is None else getattr(module, class_name, None)
        original = None if owner is None else vars(owner).get(attribute)
        if original is None:
            continue
        setattr(owner, attribute, callgrind_marks.stage(stage, original))
        done.append(f"{stage}:{module_name}.{class_name or ''}.{attribute}")
    return done
