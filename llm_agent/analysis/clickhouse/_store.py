"""``ClickHouseStore``: the analysis API over the Collector exporter's ``otel_traces`` table.

The rollups the SQLite sink maintains at ingest (traces, sessions) are computed here at query
time in ClickHouse SQL (``_queries``), with the same definitions, and the rows go through the
same pure-Python builders (``llm_agent.analysis._build``), so both stores return identical results
for the same spans.  Percentiles are exact: the store fetches the window's raw durations and the
shared ``_stats`` helper computes them, as on SQLite.

When the optional sessions rollup (``_views.SESSIONS_MV``, docs/at-scale.md) exists next to the
table, ``sessions()`` reads it instead of aggregating spans, so listing scales with sessions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

from llm_agent import _dialects
from llm_agent.analysis import _build, _time
from llm_agent.analysis._query import ModelQuery, SessionQuery
from llm_agent.analysis._store import Store, TraceOwner, display_location
from llm_agent.analysis._time import TimeLike
from llm_agent.analysis._traces import TraceQuery
from llm_agent.analysis._types import (
    ModelSummary,
    SessionDetail,
    SessionSummary,
    TraceSummary,
    UserSummary,
)
from llm_agent.analysis.clickhouse import _client, _cost, _queries, _traces, _views
from llm_agent.analysis.clickhouse._usage import counted_spans_sql

_WINDOW_WHERE = "Timestamp BETWEEN fromUnixTimestamp64Nano({since:Int64}) AND fromUnixTimestamp64Nano({until:Int64})"


class ClickHouseStore(Store):
    """Read-only analysis of an ``otel_traces`` table on a ClickHouse server or in chdb."""

    def __init__(self, url: str, use_views: bool = True, prices: Any = None, **options: Any) -> None:
        from llm_agent import _cost as cost

        self.url = url
        # Calls are priced at query time (``_cost``): overrides from ``prices`` or LLM_AGENT_PRICES.
        self.overrides = cost.load(prices if prices is not None else os.environ.get("LLM_AGENT_PRICES") or None)
        self.target = _client.parse_url(url)
        self._conn: Any = _client.connect(self.target, **options)
        self.table = self.target.qualified_table
        try:
            if not self._exists(self.target.table):
                raise LookupError(
                    f"no table {self.target.database}.{self.target.table} at {_redacted(url)}: point the "
                    "Collector's ClickHouse exporter at it (docs/at-scale.md) or pass ?table=NAME"
                )
            #: The sessions rollup table, when it exists (see docs/at-scale.md); None otherwise.
            self.sessions_rollup: str | None = None
            rollup = _views.rollup_table_name(self.target.table)
            if use_views and self._exists(rollup):
                self.sessions_rollup = f"`{self.target.database}`.`{rollup}`"
        except BaseException:
            self.close()
            raise

    def _exists(self, table: str) -> bool:
        rows = self._conn.query(
            "SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {t:String}",
            {"db": self.target.database, "t": table},
        )
        return bool(rows and int(rows[0]["n"]))

    def close(self) -> None:
        conn, self._conn = getattr(self, "_conn", None), None
        if conn is not None:
            conn.close()

    def _query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        if self._conn is None:
            raise ValueError("the store is closed")
        return self._conn.query(sql, params)

    # --- sessions --------------------------------------------------------------------------------------

    def _prices(self, where: str = "1", params: dict[str, Any] | None = None) -> str:
        """The price lookup for the spans ``where`` selects (``_cost.price_map``)."""
        return _cost.price_map(self._query, _queries.spans_sql(self.table, where), params or {}, self.overrides)

    def _sessions_source(self) -> str:
        prices = self._prices()
        if self.sessions_rollup is not None:
            # The rollup view has no prices: its sessions get their cost columns from the spans.
            return (
                f"SELECT * FROM ({_views.sessions_from_rollup_sql(self.sessions_rollup)}) AS v "
                f"LEFT JOIN ({_queries.session_costs_sql(self.table, prices)}) AS c USING (session_id)"
            )
        return _queries.sessions_sql(self.table, "1", prices)

    def _select_sessions(self, query: SessionQuery) -> Iterator[SessionSummary]:
        sql, params = _queries.select_sessions_sql(self._sessions_source(), query)
        rows = self._query(sql, params)
        return iter([_build.session_summary(r) for r in rows])

    def session(self, session_id: str) -> SessionDetail | None:
        params = {"sid": session_id}
        # Only traces that have a span naming this session can belong to it (then the rollup decides).
        named = _queries.first_nonempty(_dialects.SESSION_KEYS)
        inner = f"TraceId IN (SELECT TraceId FROM {self.table} WHERE {named} = {{sid:String}})"
        prices = self._prices(inner, params)
        traces = self._query(
            f"SELECT {_queries.TRACE_SELECT} FROM ({_queries.traces_sql(self.table, inner, prices)}) "
            "WHERE session_id = {sid:String}",
            params,
        )
        if not traces:
            return None
        summary = self._query(
            f"SELECT {_queries.SESSION_SELECT} FROM ({_queries.sessions_sql(self.table, inner, prices)}) "
            "WHERE session_id = {sid:String}",
            params,
        )
        if not summary:
            return None
        return SessionDetail(
            summary=_build.session_summary(summary[0]),
            traces=_build.session_traces([_trace_row(t) for t in traces]),
        )

    # --- traces ----------------------------------------------------------------------------------------

    def _select_traces(self, query: TraceQuery) -> Iterator[TraceSummary]:
        inner, window = _traces.window_source(self.table, query)
        sql, params = _traces.select_traces_sql(self.table, query, self._prices(inner, window))
        return iter([_build.trace_summary(_trace_row(r)) for r in self._query(sql, params)])

    def _count_traces(self, query: TraceQuery) -> int:
        sql, params = _traces.count_traces_sql(self.table, query)
        rows = self._query(sql, params)
        return int(rows[0]["n"]) if rows else 0

    def _select_trace(self, trace_id: str) -> tuple[list[dict[str, Any]], TraceOwner | None]:
        where = "TraceId = {tid:String}"
        spans = _queries.spans_sql(self.table, where, self._prices(where, {"tid": trace_id}))
        with_attributes = spans.replace("SELECT\n", "SELECT\n  SpanAttributes AS attributes,\n", 1)
        counted = counted_spans_sql(with_attributes, spans)
        rows = self._query(
            f"SELECT {_queries.SPAN_SELECT}, usage_counted, attributes FROM ({counted})", {"tid": trace_id}
        )
        spans = []
        for r in rows:
            d = dict(r)
            d["ttft_s"] = _float(d.pop("ttft_text"))
            d["attributes"] = dict(d["attributes"] or {})
            spans.append(d)
        # No traces rollup here: trace() takes the session and user from the earliest spans naming them.
        return spans, None

    # --- models ----------------------------------------------------------------------------------------

    def _select_models(self, window: _time.Window) -> list[ModelSummary]:
        window_params = {"since": window.since_ns, "until": window.until_ns}
        prices = self._prices(_WINDOW_WHERE, window_params)
        sql = f"""SELECT model, arrayStringConcat(groupUniqArrayIf(assumeNotNull(provider), provider IS NOT NULL), ',')
              AS providers, count() AS requests, countIf(status = 'ERROR') AS errors,
            sum(input_tokens) AS m_in, sum(output_tokens) AS m_out,
            count(input_tokens) AS input_known, count(output_tokens) AS output_known,
            min(start_ns) AS first_ns, max(start_ns) AS last_ns, groupArray(duration_ns) AS durations,
            groupArrayIf(assumeNotNull(ttft_text), ttft_text IS NOT NULL) AS ttfts,
            sum(cost_nusd) AS m_cost, count(cost_nusd) AS m_priced, sum(cache_read_tokens) AS m_cache
            FROM ({_queries.counted_spans(self.table, _WINDOW_WHERE, whole_traces=False, prices=prices)})
            WHERE model IS NOT NULL AND usage_counted GROUP BY model"""
        rows = self._query(sql, window_params)
        for r in rows:  # aggregates are named apart from the columns they read (see _queries)
            r["input_tokens"], r["output_tokens"] = r.pop("m_in"), r.pop("m_out")
            r["cost_nusd"], r["priced_calls"], r["cache_read_tokens"] = (
                r.pop("m_cost"),
                r.pop("m_priced"),
                r.pop("m_cache"),
            )
        return [
            _build.model_summary(
                r,
                sorted(int(ns) / 1e9 for ns in r["durations"]),
                sorted(float(t) for t in r["ttfts"] if _float(t) is not None),
            )
            for r in rows
        ]

    def _select_model_groups(self, query: ModelQuery) -> list[_build.CallGroup]:
        rate = "status <> 'ERROR' AND output_tokens IS NOT NULL AND duration_ns > 0"
        sql = f"""SELECT intDiv(start_ns - {{first:Int64}}, {{step:Int64}}) AS bucket, status = 'ERROR' AS failed,
            error_type, finish_text, provider, count() AS calls, sum(input_tokens) AS tin, count(input_tokens) AS nin,
            sum(output_tokens) AS tout, count(output_tokens) AS nout, sum(cache_read_tokens) AS cache,
            sum(reasoning_tokens) AS reasoning, countIf(usage_missing) AS missing,
            countIf(duration_ns > {{slow:Int64}}) AS slow, sumIf(output_tokens, {rate}) AS rate_tokens,
            sumIf(duration_ns, {rate}) AS rate_ns, groupArray(duration_ns) AS durations,
            groupArrayIf(assumeNotNull(ttft_text), ttft_text IS NOT NULL) AS ttfts,
            sum(cache_creation_tokens) AS g_write, sum(cost_nusd) AS g_cost, count(cost_nusd) AS g_priced,
            sum(cache_saved_nusd) AS g_saved, groupArrayIf(assumeNotNull(cost_nusd), cost_nusd IS NOT NULL) AS g_costs
            FROM ({_queries.counted_spans(self.table, _WINDOW_WHERE, whole_traces=False, prices="{prices}")})
            WHERE model = {{model:String}} AND usage_counted
            GROUP BY bucket, failed, error_type, finish_text, provider"""
        params = query.params
        prices = self._prices(_WINDOW_WHERE, {"since": params["since"], "until": params["until"]})
        return [
            _build.CallGroup(
                bucket=int(r["bucket"]),
                failed=bool(r["failed"]),
                error_type=r["error_type"],
                finish_reasons=_reasons(r["finish_text"]),
                provider=r["provider"],
                calls=int(r["calls"]),
                input_tokens=r["tin"],
                input_known=int(r["nin"]),
                output_tokens=r["tout"],
                output_known=int(r["nout"]),
                cache_read_tokens=r["cache"],
                reasoning_tokens=r["reasoning"],
                usage_missing=int(r["missing"]),
                slow=int(r["slow"]),
                rate_output_tokens=r["rate_tokens"],
                rate_duration_ns=r["rate_ns"],
                durations_ns=[int(d) for d in r["durations"]],
                ttfts_s=[f for f in (_float(t) for t in r["ttfts"]) if f is not None],
                cache_creation_tokens=r["g_write"],
                cost_nusd=r["g_cost"],
                priced=int(r["g_priced"]),
                cache_saved_nusd=r["g_saved"],
                costs_nusd=[int(c) for c in r["g_costs"]],
            )
            for r in self._query(sql.replace("{prices}", prices), params)
        ]

    # --- users -----------------------------------------------------------------------------------------

    def users(self, since: TimeLike | None = None, until: TimeLike | None = None) -> list[UserSummary]:
        window = _time.resolve_window(since, until)
        # A trace that starts in the window has its earliest span in it: read only those traces.
        inner = f"TraceId IN (SELECT TraceId FROM {self.table} WHERE {_WINDOW_WHERE})"
        window_params = {"since": window.since_ns, "until": window.until_ns}
        sql = f"""SELECT user_id, min(start_ns) AS first_ns, max(end_ns) AS last_ns,
            uniqExact(session_id) AS sessions, count() AS traces, sum(llm_calls) AS u_llm,
            sum(input_tokens) AS u_in, sum(output_tokens) AS u_out,
            sum(total_tokens) AS u_total, sum(error_count) AS errors, groupArray(duration_ns) AS durations,
            sum(priced_calls) AS u_priced, sum(unpriced_calls) AS u_unpriced, sum(cost_nusd) AS u_cost
            FROM ({_queries.traces_sql(self.table, inner, self._prices(inner, window_params))})
            WHERE start_ns BETWEEN {{since:Int64}} AND {{until:Int64}} AND user_id IS NOT NULL GROUP BY user_id"""
        rows = self._query(sql, window_params)
        for r in rows:
            r["priced_calls"], r["unpriced_calls"], r["cost_nusd"] = (
                r.pop("u_priced"),
                r.pop("u_unpriced"),
                r.pop("u_cost"),
            )
            r["llm_calls"], r["input_tokens"] = r.pop("u_llm"), r.pop("u_in")
            r["output_tokens"], r["total_tokens"] = r.pop("u_out"), r.pop("u_total")
        out = [_build.user_summary(r, [int(d) / 1e9 for d in r["durations"]]) for r in rows]
        out.sort(key=lambda u: (-_time.datetime_to_ns(u.last_seen), u.user_id))
        return out


def _trace_row(r: dict[str, Any]) -> dict[str, Any]:
    d = dict(r)
    d["ttft_s"] = _float(d.pop("ttft_text"))
    return d


def _float(text: Any) -> float | None:
    """A float attribute from its stored text (None when absent or not a number, like the converter)."""
    if text is None or text == "":
        return None
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _reasons(text: str | None) -> str | None:
    """Finish reasons as a JSON array text: the exporter stores an array attribute as JSON, a
    single string attribute as itself."""
    if not text:
        return None
    if text.startswith("["):
        try:
            json.loads(text)
            return text
        except ValueError:
            pass
    return json.dumps([text])


def _redacted(url: str) -> str:
    return display_location(url)
