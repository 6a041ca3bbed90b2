"""Every attribute, metric and event name llm_agent can emit is defined by the GenAI semantic
conventions (v1.41.0, vendored here: README.md; plus the unreleased opt-in names), or is on the
documented allow-list (the ARMS names and llm_agent's own ``llm_agent.*``).

Three walks, so that a name cannot slip past:

1. every name constant of ``llm_agent.semconv`` (where the code takes its names from);
2. every string literal in llm_agent's code that looks like a name of a conventions namespace:
   it must be one of those constants' values (no name written outside ``semconv``);
3. what real calls emit: the spans (and their events) of OpenAI and Anthropic calls, streamed and
   not, with content capture, ARMS names and the details event on, and the metrics recorded from
   them with the opt-in and ``arms_compat`` on.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import pytest
import yaml
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from llm_agent import semconv
from llm_agent.export._metrics import MetricsTarget
from llm_agent.testing import capture_spans
from tests.export._spans import make_span

HERE: Final = Path(__file__).resolve().parent
REGISTRY: Final = HERE / "semconv-v1.41.0"
ROOT: Final = HERE.parents[1]
DATA_MODEL: Final = ROOT / "docs" / "data-model.md"

#: The unreleased names of semantic-conventions-genai emitted only behind the opt-in (README.md).
UNRELEASED: Final = frozenset(
    {
        semconv.METRIC_INFERENCE_TOKENS,
        semconv.METRIC_INPUT_TOKENS_BY_CACHE,
        semconv.METRIC_OUTPUT_TOKENS_BY_PHASE,
        semconv.GEN_AI_TOKEN_MODALITY,
        semconv.GEN_AI_TOKEN_CACHE,
        semconv.GEN_AI_TOKEN_PHASE,
        semconv.GEN_AI_RETRIEVAL_TOP_K,  # the retrieval span's top_k on the conventions' current main
    }
)
#: Names the conventions do not define, each documented in docs/data-model.md: ARMS's (written
#: only with ``arms_compat``) and llm_agent's own.
ALLOWED: Final = frozenset(
    {
        semconv.ARMS_SESSION_ID,
        semconv.ARMS_USER_ID,
        semconv.ARMS_SPAN_KIND,
        semconv.ARMS_USAGE_TOTAL_TOKENS,
        semconv.ARMS_TIME_TO_FIRST_TOKEN,
        semconv.ARMS_METRIC_CALLS,
        semconv.ARMS_METRIC_ERRORS,
        semconv.ARMS_METRIC_SLOW_CALLS,
        semconv.ARMS_METRIC_DURATION,
        semconv.ARMS_METRIC_FIRST_TOKEN,
        semconv.ARMS_METRIC_USAGE_TOKENS,
        semconv.ARMS_LABEL_SPAN_KIND,
        semconv.ARMS_LABEL_MODEL_NAME,
        semconv.ARMS_LABEL_USAGE_TYPE,
        # what llm_agent wrote before following the conventions' name; only read, never written
        semconv.LEGACY_EMBEDDINGS_DIMENSION_COUNT,
        # an embeddings call's captured input: the conventions define no content attribute for it
        semconv.GEN_AI_EMBEDDINGS_INPUT,
        # Cohere's billed units next to the tokens (the conventions have no name for either)
        semconv.COHERE_BILLED_INPUT_TOKENS,
        semconv.COHERE_BILLED_OUTPUT_TOKENS,
        semconv.COHERE_BILLED_SEARCH_UNITS,
        # Ollama's server-side durations (the conventions define none)
        semconv.OLLAMA_TOTAL_DURATION,
        semconv.OLLAMA_LOAD_DURATION,
        semconv.OLLAMA_PROMPT_EVAL_DURATION,
        semconv.OLLAMA_EVAL_DURATION,
    }
)
OWN_PREFIX: Final = "llm_agent."
#: What a name of the conventions' namespaces looks like in code.
NAME: Final = re.compile(
    r"^(gen_ai|openai|aws|cohere|ollama|server|error|exception|session|user|enduser|service|mcp|jsonrpc|rpc|network)"
    r"\.[a-z0-9_]+(\.[a-z0-9_]+)*$"
)
#: A host name (``aiplatform.googleapis.com``), not an attribute name.
HOST: Final = re.compile(r"\.(com|net|org|io|ai|cn|dev)$")
#: Any dotted name, in any namespace: what a constant, a dict key or a subscript may hold.
DOTTED: Final = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
#: Literals of that shape that are no attribute names: hosts and module paths.
#: (The ``mcp`` SDK's module paths of either line: one line lacks the other's modules.)
NOT_NAMES: Final = re.compile(r"^openai\.(azure\.com|resources\.|lib\.|_)|^mcp\.(client|server|shared)(\.|$)")


def _load() -> tuple[set[str], set[str]]:
    """(every name defined and not deprecated, every deprecated name) of the vendored registry."""
    defined: set[str] = set()
    deprecated: set[str] = set()
    for path in sorted(REGISTRY.glob("*.yaml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            if group.get("type") == "metric":
                defined.add(group["metric_name"])
            elif group.get("type") == "event":
                defined.add(group["name"])
            for attr in group.get("attributes", ()):
                if "id" in attr:
                    (deprecated if "deprecated" in attr else defined).add(attr["id"])
    return defined, deprecated


DEFINED, DEPRECATED = _load()


def _verdict(name: str) -> str | None:
    """None when ``name`` may be emitted, else why not."""
    if name in DEPRECATED:
        return "deprecated by the conventions"
    if name in DEFINED or name in UNRELEASED or name in ALLOWED or name.startswith(OWN_PREFIX):
        return None
    return "not defined by the conventions v1.41.0 nor allowed"


def _check(names: Iterable[str]) -> None:
    bad = {name: why for name in sorted(set(names)) if (why := _verdict(name)) is not None}
    assert bad == {}


def test_the_vendored_registry_is_the_one_we_expect() -> None:
    # a few names each file must define: a registry read wrong would make every check pass
    assert {"gen_ai.operation.name", "gen_ai.embeddings.dimension.count", "openai.api.type", "server.port",
            "error.type", "session.id", "user.id", "gen_ai.client.operation.time_per_output_chunk",
            "gen_ai.client.inference.operation.details", "service.name"} <= DEFINED  # fmt: skip
    assert {"gen_ai.system", "gen_ai.usage.prompt_tokens"} <= DEPRECATED
    assert "gen_ai.embeddings.dimension_count" not in DEFINED  # the old name was never the conventions'
    assert _verdict("gen_ai.made.up") == "not defined by the conventions v1.41.0 nor allowed"
    assert _verdict("gen_ai.system") == "deprecated by the conventions"


def _semconv_names() -> dict[str, str]:
    """The constants of ``semconv`` that are names (attributes, metrics, events, ARMS labels)."""
    out = {}
    for key, value in vars(semconv).items():
        if not key.isupper() or type(value) is not str or key.startswith("PROVIDER_"):
            continue  # provider names are values (``aws.bedrock``), not names
        if NAME.match(value) or value.startswith(OWN_PREFIX) or value in ALLOWED:
            out[key] = value
    return out


def test_every_semconv_name_is_defined_or_allowed() -> None:
    names = _semconv_names()
    assert len(names) > 60  # the walk found the names (a broken pattern would find none)
    _check(names.values())


def test_the_allow_list_is_documented() -> None:
    text = DATA_MODEL.read_text()
    own = {v for v in _semconv_names().values() if v.startswith(OWN_PREFIX)}
    missing = sorted(name for name in ALLOWED | UNRELEASED | own if f"`{name}`" not in text)
    assert missing == []


def _literals(path: Path) -> Iterable[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }  # fmt: skip
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and type(node.value) is str and id(node) not in docstrings:
            yield node.lineno, node.value


def _keys(path: Path) -> Iterable[tuple[int, str]]:
    """String constants assigned to a name, used as a dict key or as a subscript: where an
    attribute name would be, whatever its namespace."""
    for node in ast.walk(ast.parse(path.read_text())):
        found: list[Any] = []
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            found.append(node.value)
        elif isinstance(node, ast.Dict):
            found.extend(node.keys)
        elif isinstance(node, ast.Subscript):
            found.append(node.slice)
        for value in found:
            if isinstance(value, ast.Constant) and type(value.value) is str:
                yield value.lineno, value.value


def _is_module(value: str) -> bool:
    """A module path (``openai.resources.responses``, the ``llm_agent.backends`` entry-point group)."""
    try:
        return importlib.util.find_spec(value) is not None
    except (ImportError, ValueError):
        return False


def test_no_name_is_written_outside_semconv() -> None:
    """A name in the code is one of ``semconv``'s, so walk 1 saw it: a conventions-namespace
    literal anywhere, and a dotted constant, dict key or subscript in any namespace."""
    known = {value for key, value in vars(semconv).items() if key.isupper() and type(value) is str}
    stray = []
    for path in sorted((ROOT / "llm_agent").rglob("*.py")):
        # _dialects.py: other instrumentations' names (older or non-standard gen_ai.* among them),
        # read at ingest and never written; docs/data-model.md lists them.
        if path.name in ("semconv.py", "_dialects.py"):
            continue
        candidates = [(line, v) for line, v in _literals(path) if NAME.match(v) and not NOT_NAMES.match(v)]
        candidates += [(line, v) for line, v in _keys(path) if DOTTED.match(v) and not NOT_NAMES.match(v)]
        for line, value in sorted(set(candidates)):
            if value not in known and value not in DEFINED and not HOST.search(value) and not _is_module(value):
                stray.append(f"{path.relative_to(ROOT)}:{line}: {value!r}")
    assert stray == []


# --- what real calls emit ---------------------------------------------------------------------------


def _openai_calls() -> None:
    from tests.openai.conftest import MockAPI, chat_body, chat_chunks, embeddings_body, response_body

    api = MockAPI()
    api.json("/chat/completions", chat_body())
    api.json("/responses", response_body())
    api.json("/embeddings", embeddings_body())
    client = api.client(False, base_url="https://api.openai.com:8443/v1")
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], temperature=0.1, top_p=0.5, seed=1,
        stop=["x"], n=2, max_tokens=5, frequency_penalty=0.1, presence_penalty=0.1, service_tier="flex",
        response_format={"type": "json_object"}, tools=tools,
    )  # fmt: skip
    client.responses.create(model="gpt-4o-mini", input="hi", instructions="be brief", text={"format": {"type": "text"}})
    client.embeddings.create(model="text-embedding-3-small", input=["a"], dimensions=3, encoding_format="float")
    api.stream("/chat/completions", chat_chunks())
    list(client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True))
    api.json("/chat/completions", {"error": {"message": "x", "type": "server_error"}}, status=503)
    with pytest.raises(Exception):  # noqa: B017 - the SDK's own error type
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])


def _anthropic_calls() -> None:
    import json

    from tests.anthropic.test_anthropic_lifecycle import EVENTS, KWARGS, OK_MESSAGE, Mock, make, sse

    make(Mock(body=json.dumps(OK_MESSAGE).encode(), content_type="application/json")).messages.create(
        **KWARGS, system="be brief", stop_sequences=["x"],
        output_config={"format": {"type": "json_schema", "schema": {"type": "object"}}},
    )  # fmt: skip
    list(make(Mock(body=sse(EVENTS))).messages.create(**KWARGS, stream=True))


def test_what_real_calls_emit_is_defined_or_allowed() -> None:
    from llm_agent import context

    options = {"capture_content": True, "content_mode": "span_and_event", "arms_compat": True,
               "instrument": ["openai", "anthropic"]}  # fmt: skip
    with capture_spans(**options) as spans, context.session("s-1", user_id="u-1"):
        _openai_calls()
        _anthropic_calls()
        records = spans.records
    assert len(records) == 7
    names: set[str] = set()
    for record in records:
        names.update(record.attributes)
        for event in record.events:
            names.add(event["name"])
            names.update(event["attributes"])
    names.discard("exception")  # the SDK's exception event (its attributes are exception.*: checked below)
    exception_attrs = {n for n in names if n.startswith("exception.")}
    assert exception_attrs <= {"exception.type", "exception.message", "exception.stacktrace", "exception.escaped"}
    names -= exception_attrs
    # the walk saw the names under test (a capture that lost them would pass trivially)
    assert {"gen_ai.output.type", "openai.api.type", "gen_ai.usage.total_tokens", "gen_ai.response.time_to_first_token",
            "llm_agent.stream.time_per_output_chunk", "gen_ai.client.inference.operation.details",
            "gen_ai.embeddings.dimension.count"} <= names  # fmt: skip
    _check(names)

    readers = [InMemoryMetricReader(), InMemoryMetricReader()]
    targets = [
        MetricsTarget(MeterProvider(metric_readers=[readers[0]]), arms=True, latest=True),
        MetricsTarget(MeterProvider(metric_readers=[readers[1]]), latest=False),
    ]
    for record in records:
        span = make_span(record.name, duration_ns=record.end_ns - record.start_ns, attributes=record.attributes)
        for target in targets:
            target.record(span)
    metric_names: set[str] = set()
    label_names: set[str] = set()
    for reader in readers:
        data: Any = reader.get_metrics_data()
        for rm in data.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    metric_names.add(metric.name)
                    for point in metric.data.data_points:
                        label_names.update(point.attributes)
    assert {"gen_ai.client.token.usage", "gen_ai.client.inference.tokens", "genai_calls_count",
            "gen_ai.client.operation.time_per_output_chunk"} <= metric_names  # fmt: skip
    _check(metric_names | label_names)
    assert not label_names & {semconv.SESSION_ID, semconv.USER_ID, semconv.ARMS_SESSION_ID, semconv.ARMS_USER_ID}


def test_what_the_app_step_helpers_emit_is_defined_or_allowed() -> None:
    import llm_agent

    with capture_spans(capture_content=True, arms_compat=True) as spans, llm_agent.session("s-1", user_id="u-1"):
        with llm_agent.agent("bot", id="a-1", description="d", version="1"):
            with llm_agent.tool("t", call_id="c-1", description="d", arguments={"a": 1}) as t:
                t.set_result("ok")
            with llm_agent.retrieval("kb", query="q", top_k=2) as r:
                r.set_documents([{"id": "d-1", "score": 0.5}])
            with pytest.raises(KeyError), llm_agent.step("s", kind="WORKFLOW"):
                raise KeyError("x")
        records = spans.records
    names = {name for record in records for name in record.attributes}
    # the walk saw the names under test (a capture that lost them would pass trivially)
    assert {"gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "gen_ai.agent.version", "gen_ai.data_source.id",
            "gen_ai.retrieval.documents", "llm_agent.retrieval.document_count", "error.type"} <= names  # fmt: skip
    _check(names)
