"""Costs through the sink and the analysis: overrides, reprice, no price table, the cache-bust rule."""

from __future__ import annotations

import json
import sqlite3

import pytest

import llm_agent.analysis
from llm_agent import _cost
from llm_agent._cost import _prices
from llm_agent.backends._types import SpanRecord
from llm_agent.backends.sqlite import SQLiteBackend, reprice
from llm_agent.cli import main
from llm_agent.config import ConfigError, Settings

T0 = 1_772_359_200_000_000_000  # 2026-03-01T10:00:00Z
S = 1_000_000_000
SINCE, UNTIL = "2026-03-01T09:00:00Z", "2026-03-01T11:00:00Z"


def _call(n: int, model: str, tin: int | None, tout: int | None, *, session: str = "s1", cache_read: int = 0,
          provider: str = "openai", trace: int | None = None) -> list[SpanRecord]:  # fmt: skip
    """One turn: a CHAIN root and its LLM call, ``n`` seconds after T0."""
    trace_id = f"{trace if trace is not None else n:032x}"
    start = T0 + n * S
    return [
        SpanRecord(
            trace_id=trace_id, span_id=f"{2 * n + 1:016x}", parent_span_id=None, name=f"turn-{n}", kind="INTERNAL",
            start_ns=start, end_ns=start + S, status="UNSET", session_id=session, span_kind="CHAIN",
            # A framework's rolled-up usage on the root: never counted (nor priced) twice.
            input_tokens=tin, output_tokens=tout,
        ),
        SpanRecord(
            trace_id=trace_id, span_id=f"{2 * n + 2:016x}", parent_span_id=f"{2 * n + 1:016x}", name=f"chat {model}",
            kind="CLIENT", start_ns=start, end_ns=start + S // 2, status="UNSET", session_id=session,
            span_kind="LLM", operation="chat", provider=provider, request_model=model, response_model=model,
            model=model, input_tokens=tin, output_tokens=tout, cache_read_tokens=cache_read,
        ),
    ]  # fmt: skip


def _record(path: str, records: list[SpanRecord], prices: object = None) -> None:
    backend = SQLiteBackend(path, prices=_cost.load(prices))  # type: ignore[arg-type]
    try:
        backend.export(records)
    finally:
        backend.shutdown(1.0)


def test_override_file_json_and_toml_win_over_the_table(tmp_path) -> None:
    json_file = tmp_path / "prices.json"
    json_file.write_text(json.dumps({"models": {
        "my-ft-model": {"provider": "openai", "input": 3.0, "output": 12.0, "cache_read": 1.5},
        "llama3.2": {"input": 0, "output": 0},
    }}))  # fmt: skip
    toml_file = tmp_path / "prices.toml"
    toml_file.write_text(
        '[models."my-ft-model"]\nprovider = "openai"\ninput = 3.0\noutput = 12.0\ncache_read = 1.5\n'
        '[models."llama3.2"]\ninput = 0\noutput = 0\n'
    )
    for file in (json_file, toml_file):
        settings = Settings.resolve(environ={"LLM_AGENT_PRICES": str(file)})
        path = str(tmp_path / f"{file.suffix[1:]}.sqlite")
        _record(path, [*_call(1, "my-ft-model", 1000, 100, cache_read=400),
                       *_call(2, "llama3.2", 5000, 500, provider="ollama")], settings.prices)  # fmt: skip
        with llm_agent.analysis.open(path) as store:
            (row,) = store.sessions(since=SINCE, until=UNTIL)
            # 600 x $3 + 400 x $1.5 + 100 x $12 per million; the local model declared free is $0, not unknown.
            assert (row.cost_usd, row.unpriced_calls) == ((600 * 3000 + 400 * 1500 + 100 * 12000) / 1e9, 0)
            assert row.cache_saved_usd == 400 * 1500 / 1e9
            trace = store.trace(f"{2:032x}")
            assert trace is not None and [s.cost_usd for s in trace.spans] == [None, 0.0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"models": {"m": {"input": 1}}}', "key 'models.m.output' is missing"),
        ('{"models": {"m": {"input": -1, "output": 1}}}', "key 'models.m.input' must be a number >= 0"),
        ('{"models": {"m": {"input": 1, "output": 1, "cached": 2}}}', "key 'models.m.cached' is unknown"),
        ('{"model": {}}', "unknown key 'model'"),
        ("{not json", "not valid JSON"),
    ],
)
def test_a_malformed_prices_file_fails_at_init_naming_the_file_and_key(tmp_path, content, message) -> None:
    file = tmp_path / "prices.json"
    file.write_text(content)
    with pytest.raises(ConfigError) as info:
        Settings.resolve(prices=str(file))
    assert message in str(info.value) and str(file) in str(info.value) and "LLM_AGENT_PRICES" in str(info.value)


def test_reprice_after_changing_the_overrides(tmp_path, capsys) -> None:
    path = str(tmp_path / "sink.sqlite")
    _record(path, [*_call(1, "house-model", 1000, 100), *_call(2, "house-model", 3000, 300, session="s2")])
    with llm_agent.analysis.open(path) as store:
        rows = store.sessions(since=SINCE, until=UNTIL, order_by="session_id")
        assert [(r.cost_usd, r.unpriced_calls) for r in rows] == [(None, 1), (None, 1)]  # unknown, never $0
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"models": {"house-model": {"input": 1.0, "output": 2.0}}}))
    assert main(["reprice", "--db", path, "--prices", str(prices)]) == 0
    # Every span that reports usage is priced (the CHAIN roots' rolled-up usage too, shown per span);
    # the rollups add only the spans whose tokens they add.
    assert capsys.readouterr().out.strip() == f"repriced 4 spans with usage in {path}"
    with llm_agent.analysis.open(path) as store:
        rows = store.sessions(since=SINCE, until=UNTIL, order_by="-cost")
        assert [(r.session_id, r.cost_usd, r.unpriced_calls) for r in rows] == [
            ("s2", (3000 * 1000 + 300 * 2000) / 1e9, 0), ("s1", (1000 * 1000 + 100 * 2000) / 1e9, 0),
        ]  # fmt: skip
        (user_less,) = store.models(since=SINCE, until=UNTIL)
        assert (user_less.cost_usd, user_less.unpriced_calls) == ((4000 * 1000 + 400 * 2000) / 1e9, 0)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT DISTINCT price_version FROM spans WHERE span_kind = 'LLM'").fetchall() == [
            ("override",)
        ]
        assert conn.execute("SELECT COUNT(*) FROM meta WHERE key = 'reprice_progress'").fetchone() == (0,)
    finally:
        conn.close()
    # Repricing with other prices again, in chunks, within a window: only the recent calls change.
    prices.write_text(json.dumps({"models": {"house-model": {"input": 10.0, "output": 20.0}}}))
    assert reprice(path, since_s=None, prices=str(prices)) == 4
    with llm_agent.analysis.open(path) as store:
        assert store.sessions(since=SINCE, until=UNTIL, session_id="s1")[0].cost_usd == 1.2e-2


def test_without_the_price_table_costs_are_unknown_and_the_cli_says_how_to_enable_them(
    tmp_path, monkeypatch, capsys
) -> None:
    # As on Python 3.10 or without the extra: the import of genai_prices fails.
    monkeypatch.setattr(_prices, "_genai_prices", None)
    monkeypatch.setattr(_prices, "_import_failed", False)
    monkeypatch.setitem(__import__("sys").modules, "genai_prices", None)
    assert _cost.genai_prices_module() is None and not llm_agent.analysis.pricing_available()
    path = str(tmp_path / "sink.sqlite")
    _record(path, _call(1, "gpt-4o", 1000, 100))
    assert main(["sessions", "--db", path, "--since", "2026-03-01T09:00:00Z", "--until", "2026-03-01T11:00:00Z",
                 "--format", "json"]) == 0  # fmt: skip
    out, err = capsys.readouterr()
    (row,) = json.loads(out)
    assert (row["cost_usd"], row["unpriced_calls"]) == (None, 1)
    assert err == f"llm-agent: {llm_agent.analysis.PRICING_HINT}\n"
    assert "pip install 'llm-agent[cost]'" in err
    assert main(["reprice", "--db", path]) == 2  # nothing to price with
    assert capsys.readouterr().err == f"llm-agent: {llm_agent.analysis.PRICING_HINT}\n"


def test_cache_bust_is_flagged_on_the_turn_whose_cache_reads_fell_away(tmp_path) -> None:
    turns = [  # (input, cache read) of one model's turns in a session whose prompt keeps growing
        (2_000, 0),  # first turn: the prompt is written to the cache
        (3_000, 1_920),  # a hit
        (4_000, 2_944),  # a hit
        (5_000, 0),  # the bust: nothing read although the prompt grew (a changed system prompt, say)
        (6_000, 4_992),  # hits again
        (2_500, 0),  # a shorter prompt (a new conversation branch): not a bust
    ]
    records = [r for i, (tin, cached) in enumerate(turns, 1) for r in _call(i, "gpt-4o", tin, 50, cache_read=cached)]
    path = str(tmp_path / "sink.sqlite")
    _record(path, records, {"models": {"gpt-4o": {"input": 2.0, "output": 8.0, "cache_read": 1.0}}})
    with llm_agent.analysis.open(path) as store:
        detail = store.session("s1")
    assert detail is not None
    assert [(t.cache_bust, t.cache_bust_tokens) for t in detail.traces] == [
        (False, None), (False, None), (False, None), (True, 4_000), (False, None), (False, None),
    ]  # fmt: skip
    s = detail.summary
    assert s.cache_read_tokens == 1_920 + 2_944 + 4_992
    assert s.cache_hit_ratio == (1_920 + 2_944 + 4_992) / 22_500
    assert s.cache_saved_usd == pytest.approx((1_920 + 2_944 + 4_992) * 1e-6, abs=1e-12)


def test_an_interrupted_reprice_goes_on_where_it_stopped(tmp_path, monkeypatch) -> None:
    from llm_agent.backends import _sqlite_reprice

    path = str(tmp_path / "sink.sqlite")
    _record(path, [r for n in range(1, 4) for r in _call(n, "house-model", 1000, 100)])
    monkeypatch.setattr(_sqlite_reprice, "REPRICE_CHUNK_ROWS", 2)
    prices = {"models": {"house-model": {"input": 1.0, "output": 2.0}}}
    seen: list[tuple[int, int]] = []

    def stop_after_the_first_chunk(done: int, total: int) -> None:
        seen.append((done, total))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reprice(path, prices=prices, progress=stop_after_the_first_chunk)
    with llm_agent.analysis.open(path) as store:  # the committed chunk is consistent: one trace priced
        (row,) = store.sessions(since=SINCE, until=UNTIL)
        assert (row.cost_usd, row.unpriced_calls) == (1.2e-3, 2)
    assert reprice(path, prices=prices, progress=lambda done, total: seen.append((done, total))) == 4
    assert seen == [(2, 6), (4, 6), (6, 6)]  # resumed after the first chunk
    with llm_agent.analysis.open(path) as store:
        (row,) = store.sessions(since=SINCE, until=UNTIL)
        assert (row.cost_usd, row.unpriced_calls) == (pytest.approx(3.6e-3, abs=1e-15), 0)
