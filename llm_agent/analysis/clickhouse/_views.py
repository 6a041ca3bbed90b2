"""The optional sessions rollup: an AggregatingMergeTree fed by a materialized view on ``otel_traces``.

Without it, ``sessions()`` aggregates every span of the table at query time (fine up to tens of
millions of spans).  With it, ClickHouse keeps one partially aggregated row per session and insert
block, merged in the background, and ``sessions()`` merges those states: the cost follows the
number of sessions, not spans.  ``ClickHouseStore`` uses it whenever ``{table}_llm_sessions`` exists.

Definition difference (documented in docs/at-scale.md): the view aggregates the spans that carry
a session ID themselves, while the query-time rollup assigns whole traces to the session named by
their earliest span.  llm_agent stamps the session on every span of a trace, so for its data both
agree; for traces mixing sessions, or with unstamped spans, counts can differ.  Nor can the view
apply the usage rule (``_usage``: one model call reported by several spans counts once), since it
sees one insert block at a time: it sums every usage span, which only differs when a second
instrumentation reports the same calls (docs/at-scale.md).
"""

from __future__ import annotations

from typing import Final

from llm_agent.analysis.clickhouse import _queries

#: Suffix of the rollup table (and ``_mv`` of its materialized view) next to the spans table.
ROLLUP_SUFFIX: Final = "_llm_sessions"

_ROLLUP_DDL: Final = """CREATE TABLE IF NOT EXISTS {rollup} (
    session_id String,
    user_first AggregateFunction(argMinIf, Tuple(Nullable(String)), Tuple(Int64, String), UInt8),
    users AggregateFunction(groupUniqArrayIf, String, UInt8),
    service_first AggregateFunction(argMinIf, Tuple(Nullable(String)), Tuple(Int64, String), UInt8),
    start_ns SimpleAggregateFunction(min, Int64),
    end_ns SimpleAggregateFunction(max, Int64),
    traces AggregateFunction(uniqExact, String),
    spans SimpleAggregateFunction(sum, Int64),
    llm_calls SimpleAggregateFunction(sum, Int64),
    errors SimpleAggregateFunction(sum, Int64),
    input_tokens SimpleAggregateFunction(sum, Int64),
    output_tokens SimpleAggregateFunction(sum, Int64),
    cache_read_tokens SimpleAggregateFunction(sum, Int64),
    reasoning_tokens SimpleAggregateFunction(sum, Int64),
    usage_missing_calls SimpleAggregateFunction(sum, Int64),
    models AggregateFunction(groupUniqArrayIf, String, UInt8)
) ENGINE = AggregatingMergeTree()
ORDER BY session_id"""

_MV_SELECT: Final = """SELECT assumeNotNull(session_id) AS session_key,
    argMinIfState(tuple(user_id), (start_ns, span_id), user_id IS NOT NULL) AS user_first,
    groupUniqArrayIfState(assumeNotNull(user_id), user_id IS NOT NULL) AS users,
    argMinIfState(tuple(service_name), (start_ns, span_id), service_name IS NOT NULL) AS service_first,
    min(start_ns) AS first_start_ns, max(end_ns) AS last_end_ns, uniqExactState(trace_id) AS traces,
    toInt64(count()) AS spans, toInt64(countIf(ifNull(is_usage, 0))) AS llm_calls,
    toInt64(countIf(status = 'ERROR')) AS errors,
    toInt64(sumIf(ifNull(input_tokens, 0), ifNull(is_usage, 0))) AS sum_input,
    toInt64(sumIf(ifNull(output_tokens, 0), ifNull(is_usage, 0))) AS sum_output,
    toInt64(sumIf(ifNull(cache_read_tokens, 0), ifNull(is_usage, 0))) AS sum_cache_read,
    toInt64(sumIf(ifNull(reasoning_tokens, 0), ifNull(is_usage, 0))) AS sum_reasoning,
    toInt64(countIf(ifNull(is_usage, 0) AND usage_missing)) AS usage_missing_calls,
    groupUniqArrayIfState(assumeNotNull(model), model IS NOT NULL) AS models
FROM ({spans}) WHERE session_id IS NOT NULL GROUP BY session_id"""
#: The view's columns in the rollup table's order (the SELECT above names some differently).
_MV_COLUMNS: Final = (
    "session_key AS session_id, user_first, users, service_first, first_start_ns AS start_ns, "
    "last_end_ns AS end_ns, traces, spans, llm_calls, errors, sum_input AS input_tokens, "
    "sum_output AS output_tokens, sum_cache_read AS cache_read_tokens, sum_reasoning AS reasoning_tokens, "
    "usage_missing_calls, models"
)


def rollup_table_name(table: str) -> str:
    return table + ROLLUP_SUFFIX


def create_statements(database: str, table: str) -> list[str]:
    """DDL for the rollup table, its materialized view and the backfill of existing spans."""
    source = f"`{database}`.`{table}`"
    rollup = f"`{database}`.`{rollup_table_name(table)}`"
    select = f"SELECT {_MV_COLUMNS} FROM ({_MV_SELECT.format(spans=_queries.spans_sql(source))})"
    return [
        _ROLLUP_DDL.format(rollup=rollup),
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS `{database}`.`{rollup_table_name(table)}_mv` TO {rollup} AS\n{select}",
        # Spans already in the table (run once, right after creating the view).
        f"INSERT INTO {rollup}\n{select}",
    ]


def sessions_from_rollup_sql(rollup: str) -> str:
    """The ``sessions`` columns merged from the rollup's states (``r_`` names inside, so no alias
    shadows a column inside an aggregate)."""
    return f"""SELECT session_id, r_user.1 AS user_id, arrayStringConcat(arraySort(r_users), ',') AS users,
  r_service.1 AS service_name, r_start AS start_ns, r_end AS end_ns, r_end - r_start AS duration_ns,
  r_traces AS trace_count, r_spans AS span_count, r_llm AS llm_calls, r_errors AS error_count,
  r_in AS input_tokens, r_out AS output_tokens, r_in + r_out AS total_tokens, r_cache AS cache_read_tokens,
  r_reasoning AS reasoning_tokens, r_missing AS usage_missing_calls,
  arrayStringConcat(arraySort(r_models), ',') AS models
FROM (SELECT session_id, argMinIfMerge(user_first) AS r_user, groupUniqArrayIfMerge(users) AS r_users,
  argMinIfMerge(service_first) AS r_service, min(start_ns) AS r_start, max(end_ns) AS r_end,
  toInt64(uniqExactMerge(traces)) AS r_traces, toInt64(sum(spans)) AS r_spans, toInt64(sum(llm_calls)) AS r_llm,
  toInt64(sum(errors)) AS r_errors, toInt64(sum(input_tokens)) AS r_in, toInt64(sum(output_tokens)) AS r_out,
  toInt64(sum(cache_read_tokens)) AS r_cache, toInt64(sum(reasoning_tokens)) AS r_reasoning,
  toInt64(sum(usage_missing_calls)) AS r_missing, groupUniqArrayIfMerge(models) AS r_models
FROM {rollup} GROUP BY session_id)"""
