"""USD cost on ClickHouse equals the sink's, to the nano-dollar, with genai-prices' own table: cache
reads and writes (Anthropic), reasoning (OpenAI), a tiered price past its threshold, an embedding,
an unknown model.  (The shared scenario's parity tests cover declared prices and the filters.)"""

from __future__ import annotations

import contextlib

import pytest
from clickhouse_support import needs_chdb
from conftest import load_chdb

import llm_agent.analysis
from llm_agent.backends._types import SpanRecord
from llm_agent.backends.sqlite import SQLiteBackend

pytestmark = needs_chdb
pytest.importorskip("genai_prices")

T0 = 1_772_359_200_000_000_000  # 2026-03-01T10:00:00Z
S = 1_000_000_000
WINDOW = {"since": "2026-03-01T09:00:00Z", "until": "2026-03-01T11:00:00Z"}
CALLS = [  # provider, model, op, input, output, cache read, cache write, reasoning
    ("anthropic", "claude-3-5-sonnet-20241022", "chat", 3_050, 400, 2_000, 1_000, None),
    ("openai", "o3-mini", "chat", 12_000, 3_000, 8_192, None, 2_048),
    ("anthropic", "claude-sonnet-4-5", "chat", 250_000, 1_000, 50_000, None, None),  # above the 200k tier
    ("openai", "text-embedding-3-small", "embeddings", 7_000, None, None, None, None),
    ("openai", "no-such-model-xyz", "chat", 10, 5, None, None, None),
]


def _records() -> list[SpanRecord]:
    out = []
    for i, (provider, model, op, tin, tout, cr, cw, rs) in enumerate(CALLS):
        start = T0 + i * S
        out.append(SpanRecord(
            trace_id=f"{i + 1:032x}", span_id=f"{i + 1:016x}", parent_span_id=None, name=f"{op} {model}",
            kind="CLIENT", start_ns=start, end_ns=start + S // 2, status="UNSET", session_id="s1", user_id="u1",
            span_kind="EMBEDDING" if op == "embeddings" else "LLM", operation=op, provider=provider,
            request_model=model, response_model=model, model=model, input_tokens=tin, output_tokens=tout,
            cache_read_tokens=cr, cache_creation_tokens=cw, reasoning_tokens=rs,
        ))  # fmt: skip
    return out


def test_costs_from_the_table_agree_between_the_stores(tmp_path) -> None:
    path = str(tmp_path / "sink.sqlite")
    records = _records()
    backend = SQLiteBackend(path)
    backend.export(records)
    backend.shutdown(1.0)
    url = load_chdb(str(tmp_path / "chdb"), records, rollup=False)
    with contextlib.closing(llm_agent.analysis.open(path)) as lite, contextlib.closing(
        llm_agent.analysis.open(url)
    ) as ch:
        a, b = lite.session("s1"), ch.session("s1")
        assert a is not None and b is not None
        assert a.summary.unpriced_calls == 1 and a.summary.cost_usd is not None
        assert (a.summary.cost_usd, a.summary.cache_saved_usd, a.summary.unpriced_calls) == (
            b.summary.cost_usd, b.summary.cache_saved_usd, b.summary.unpriced_calls,
        )  # fmt: skip
        assert [t.cost_usd for t in a.traces] == [t.cost_usd for t in b.traces]
        assert lite.models(**WINDOW) == ch.models(**WINDOW)
        assert lite.users(**WINDOW) == ch.users(**WINDOW)
        for _, model, *_ in CALLS:
            assert lite.model(model, **WINDOW) == ch.model(model, **WINDOW)
