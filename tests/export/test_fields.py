"""The field table (``export/_fields.FIELDS``) and the layouts derived from it agree with each other.

Adding a field is one line in the table: these tests add nothing, they compare what is derived
(the ``SpanRecord`` fields, the schema's ``spans`` columns, the sink's ``INSERT`` and rows, the
rollups' row indexes) so that a line forgotten in one of them fails here.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
import sqlite3

from opentelemetry.sdk.trace import Event

from llm_agent import semconv
from llm_agent.backends import _sqlite_rollups
from llm_agent.backends._sqlite_rows import (
    COST_COLUMNS,
    INSERT_SPANS_HEAD,
    SPAN_COLUMNS,
    STORED_COLUMNS,
    RowConverter,
    fast_encode,
)
from llm_agent.backends._sqlite_schema import SCHEMA
from llm_agent.backends._types import SpanRecord
from llm_agent.export import _fields
from llm_agent.export._convert import Converter

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _schema_columns() -> list[str]:
    conn = sqlite3.connect(":memory:")
    try:
        for stmt in SCHEMA:
            conn.execute(stmt)
        return [r[1] for r in conn.execute("PRAGMA table_info(spans)")]
    finally:
        conn.close()


def test_record_fields_schema_columns_and_insert_agree_in_order():
    record_fields = [f.name for f in dataclasses.fields(SpanRecord)]
    assert sorted(f.name for f in _fields.FIELDS if f.record) == sorted(record_fields)
    assert [f.name for f in _fields.RECORD_FIELDS] == record_fields
    # The sink's cost columns follow the converter's (it prices each row as it writes it).
    assert list(STORED_COLUMNS) == _schema_columns() == [*SPAN_COLUMNS, *COST_COLUMNS]
    head = re.fullmatch(r"INSERT OR IGNORE INTO spans \((.*)\) VALUES ", INSERT_SPANS_HEAD)
    assert head is not None and head.group(1).split(", ") == list(STORED_COLUMNS)
    # The table is in column order; record fields the sink does not store sit anywhere between.
    assert [f.name for f in _fields.FIELDS if f.column is not None] == list(SPAN_COLUMNS)
    assert len({f.name for f in _fields.FIELDS}) == len(_fields.FIELDS)


def test_rollup_row_indexes_name_the_columns_they_read():
    indexes = {name: value for name, value in vars(_sqlite_rollups).items() if re.fullmatch(r"S_[A-Z]+", name)}
    assert {name: STORED_COLUMNS[i] for name, i in indexes.items()} == {
        "S_TRACE": "trace_id", "S_SPAN": "span_id", "S_PARENT": "parent_span_id", "S_NAME": "name",
        "S_START": "start_ns", "S_END": "end_ns", "S_STATUS": "status", "S_SERVICE": "service_name",
        "S_SESSION": "session_id", "S_USER": "user_id", "S_KIND": "span_kind", "S_MODEL": "model",
        "S_IN": "input_tokens", "S_OUT": "output_tokens", "S_CACHE": "cache_read_tokens",
        "S_REASONING": "reasoning_tokens", "S_TTFT": "ttft_s", "S_MISSING": "usage_missing",
        "S_WRITE": "cache_creation_tokens", "S_COST": "cost_nusd", "S_SAVED": "cache_saved_nusd",
        "S_OTELKIND": "kind", "S_COUNTED": "usage_counted",
    }  # fmt: skip


def test_a_row_lands_in_the_columns_named_by_the_record_fields(make_span):
    span = make_span(
        parent_id=7,
        error="boom",
        events=(Event("exception", {"exception.type": "X"}, timestamp=5),),
        attributes={
            semconv.GEN_AI_OPERATION_NAME: "chat", semconv.GEN_AI_PROVIDER_NAME: "openai",
            semconv.GEN_AI_REQUEST_MODEL: "gpt-4o", semconv.GEN_AI_RESPONSE_MODEL: "gpt-4o-2024-08-06",
            semconv.ERROR_TYPE: "openai.RateLimitError", semconv.ARMS_SESSION_ID: "s1", semconv.ENDUSER_ID: "u1",
            semconv.GEN_AI_USAGE_INPUT_TOKENS: 11, semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 7,
            semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 3, semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: 4,
            semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: 2, semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: 0.25,
            semconv.GEN_AI_RESPONSE_FINISH_REASONS: ("stop",),
        },
    )  # fmt: skip
    record = Converter().convert(span)
    conn = sqlite3.connect(":memory:")
    for stmt in SCHEMA:
        conn.execute(stmt)
    # The sink's own multi-row INSERT and placeholders.
    row = RowConverter(fast_encode).row(span) + (None,) * len(COST_COLUMNS)
    _sqlite_rollups.insert_rows(conn, INSERT_SPANS_HEAD, [row], len(STORED_COLUMNS))
    conn.row_factory = sqlite3.Row
    stored = dict(conn.execute("SELECT * FROM spans").fetchone())
    conn.close()
    assert stored == {
        **{c: getattr(record, c) for c in SPAN_COLUMNS if c in SpanRecord.__dataclass_fields__},
        "duration_ns": record.duration_ns,
        "finish_reasons": '["stop"]',
        "usage_missing": 0,
        **dict.fromkeys(COST_COLUMNS),  # the sink prices rows as it writes them (tests/cost)
        "attributes": fast_encode(record.attributes),
        "events": '[{"name":"exception","time_ns":5,"attributes":{"exception.type":"X"}}]',
        "usage_counted": 1,  # an LLM span (its trace's other usage spans decide at ingest)
    }
    # every column was set from its own field
    assert None not in [v for k, v in stored.items() if k not in COST_COLUMNS]


def test_synonyms_first_present_non_empty_wins(make_span):
    convert = Converter().convert
    both = {semconv.SESSION_ID: "", semconv.ARMS_SESSION_ID: "arms", semconv.GEN_AI_CONVERSATION_ID: "conv"}
    assert convert(make_span(attributes=both)).session_id == "arms"
    assert convert(make_span(attributes={semconv.GEN_AI_CONVERSATION_ID: 42})).session_id == "42"
    assert convert(make_span(attributes={semconv.USER_ID: "", semconv.ENDUSER_ID: "e"})).user_id == "e"


def test_converters_spell_no_attribute_names():
    # The attribute names are semconv's, used through the table, never spelled out in the converters.
    for path in ("llm_agent/export/_convert.py", "llm_agent/backends/_sqlite_rows.py", "llm_agent/export/_fields.py"):
        text = (ROOT / path).read_text(encoding="utf-8")
        assert re.findall(r"""["'](?:gen_ai|llm_agent|session|user|enduser|error)\.[a-z_.]+["']""", text) == [], path
