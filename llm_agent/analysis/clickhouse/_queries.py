"""ClickHouse SQL over the Collector exporter's ``otel_traces`` table, mirroring the SQLite sink.

Three layers, each a subquery of the next:

* spans: one row per ``otel_traces`` row with the typed columns the SQLite sink stores, derived
  from the ``SpanAttributes`` map exactly as ``llm_agent.export._convert`` derives them (session /
  user from the first non-empty of the accepted ID keys, ``gen_ai.span.kind`` else inferred from
  ``gen_ai.operation.name``, model = request model else response model, tokens known or NULL);
* traces: the rollup of ``llm_agent.backends._sqlite_rollups`` (earliest span naming the session /
  user, root span's name and service, token sums over the spans whose usage counts — LLM /
  EMBEDDING spans, each model call once, ``_usage`` — ...);
* sessions: the traces grouped by session, with the ``sessions`` table's column names, so the
  filter language compiles against the same column map as on SQLite.

Only constants from ``llm_agent.semconv`` and validated table names are spliced into these texts;
every value is a bound ``{name:Type}`` parameter.
"""

from __future__ import annotations

from typing import Any, Final

from llm_agent import _dialects, semconv
from llm_agent.analysis import _sql
from llm_agent.analysis._query import SessionQuery
from llm_agent.analysis.clickhouse._cost import EMPTY_MAP, cost_columns
from llm_agent.analysis.clickhouse._usage import counted_spans_sql

# Inferred gen_ai.span.kind per gen_ai.operation.name: the export converter's table (_INFERRED_KINDS).
_INFERRED: Final = (
    *_dialects.OLD_INFERRED_KINDS.items(),
    (semconv.OP_CHAT, semconv.KIND_LLM),
    (semconv.OP_TEXT_COMPLETION, semconv.KIND_LLM),
    ("generate_content", semconv.KIND_LLM),
    (semconv.OP_EMBEDDINGS, semconv.KIND_EMBEDDING),
    (semconv.OP_INVOKE_AGENT, semconv.KIND_AGENT),
    ("execute_tool", semconv.KIND_TOOL),
)
USAGE_KINDS_SQL: Final = "(" + ", ".join(f"'{k}'" for k in sorted(semconv.USAGE_SPAN_KINDS)) + ")"
# Both spellings the exporter has written over its versions ("Error" now, "STATUS_CODE_ERROR" before).
_ERROR_CODES: Final = "('Error', 'STATUS_CODE_ERROR')"
_OK_CODES: Final = "('Ok', 'STATUS_CODE_OK')"
_KIND_NAMES: Final = (
    ("Client", "CLIENT"), ("Server", "SERVER"), ("Internal", "INTERNAL"), ("Producer", "PRODUCER"),
    ("Consumer", "CONSUMER"),
)  # fmt: skip


def _lit(text: str) -> str:
    assert "'" not in text and "\\" not in text, text  # constants only
    return f"'{text}'"


def attr(key: str) -> str:
    """The attribute's string, NULL when the span does not carry it (like ``attributes.get(key)``)."""
    return f"if(mapContains(SpanAttributes, {_lit(key)}), SpanAttributes[{_lit(key)}], NULL)"


def first_nonempty(keys: tuple[str, ...]) -> str:
    return "coalesce(" + ", ".join(f"nullIf({attr(k)}, '')" for k in keys) + ")"


#: Another instrumentation's span: only those are read for other dialects' names (``_fields``).
_FOREIGN: Final = f"ScopeName != {_lit(semconv.INSTRUMENTATION_SCOPE)}"


def _synonyms(synonyms: tuple[_dialects.Synonym, ...], typed: str = "{}") -> str:
    """SQL for ``_dialects.synonym_value``: the first synonym present decides (``typed``: the
    field's coercion of a plain value, ``{}`` the attribute text)."""
    cases = []
    for key, how in synonyms:
        value = f"SpanAttributes[{_lit(key)}]"
        if how is None:
            expr = typed.format(value)
        elif isinstance(how, str) and how.startswith("const:"):
            expr = _lit(how[6:])
        elif isinstance(how, str) and how.startswith("json:"):
            expr = f"nullIf(JSONExtractString({value}, {_lit(how[5:])}), '')"
        elif isinstance(how, str):
            expr = f"concat({value}, {_lit(how)})"  # decimal exponent: parsed as text, like Python
        else:
            expr = "multiIf(" + ", ".join(f"{value} = {_lit(k)}, {_lit(v)}" for k, v in how.items()) + ", NULL)"
        cases.append(f"mapContains(SpanAttributes, {_lit(key)}), {expr}")
    return "multiIf(" + ", ".join(cases) + ", NULL)"


def field_expr(name: str, key: str, typed: str = "{}") -> str:
    """A typed field: its conventions attribute ``key`` when present, else the dialects' synonyms."""
    own = typed.format(f"SpanAttributes[{_lit(key)}]")
    synonyms = _dialects.SYNONYMS.get(name)
    if not synonyms:
        return f"if(mapContains(SpanAttributes, {_lit(key)}), {own}, NULL)"
    return f"if(mapContains(SpanAttributes, {_lit(key)}), {own}, if({_FOREIGN}, {_synonyms(synonyms, typed)}, NULL))"


def _kind_expr() -> str:
    inferred = ", ".join(f"operation = {_lit(op)}, {_lit(kind)}" for op, kind in _INFERRED)
    return (
        f"if(mapContains(SpanAttributes, {_lit(semconv.ARMS_SPAN_KIND)}), "
        f"SpanAttributes[{_lit(semconv.ARMS_SPAN_KIND)}], "
        f"coalesce(multiIf({inferred}, NULL), if({_FOREIGN}, {_synonyms(_dialects.KIND_SYNONYMS)}, NULL)))"
    )


def _otel_kind_expr() -> str:
    cases = ", ".join(
        f"SpanKind IN ({_lit(short)}, {_lit('SPAN_KIND_' + full)}), {_lit(full)}" for short, full in _KIND_NAMES
    )
    return f"multiIf({cases}, 'INTERNAL')"


_COUNT: Final = "toInt64OrNull({})"


def spans_sql(table: str, where: str = "1", prices: str = EMPTY_MAP) -> str:
    """Typed span rows from ``table`` rows matching ``where`` (SQL over the raw columns), each
    call priced from ``prices`` (``_cost.price_map``)."""
    tin, tout = semconv.GEN_AI_USAGE_INPUT_TOKENS, semconv.GEN_AI_USAGE_OUTPUT_TOKENS
    missing = semconv.USAGE_MISSING
    return f"""SELECT
  TraceId AS trace_id, SpanId AS span_id, nullIf(ParentSpanId, '') AS parent_span_id, SpanName AS name,
  {_otel_kind_expr()} AS kind,
  toInt64(toUnixTimestamp64Nano(Timestamp)) AS start_ns, toInt64(Duration) AS duration_ns,
  start_ns + duration_ns AS end_ns,
  multiIf(StatusCode IN {_ERROR_CODES}, 'ERROR', StatusCode IN {_OK_CODES}, 'OK', 'UNSET') AS status,
  nullIf(StatusMessage, '') AS status_message,
  nullIf(toString(ServiceName), '') AS service_name,
  {first_nonempty(_dialects.SESSION_KEYS)} AS session_id,
  {first_nonempty(_dialects.USER_KEYS)} AS user_id,
  {field_expr("operation", semconv.GEN_AI_OPERATION_NAME)} AS operation,
  {_kind_expr()} AS span_kind,
  span_kind IN {USAGE_KINDS_SQL} AS is_usage,
  {field_expr("provider", semconv.GEN_AI_PROVIDER_NAME)} AS provider,
  coalesce({field_expr("request_model", semconv.GEN_AI_REQUEST_MODEL)},
           {field_expr("response_model", semconv.GEN_AI_RESPONSE_MODEL)}) AS model,
  {field_expr("request_model", semconv.GEN_AI_REQUEST_MODEL)} AS request_model,
  {field_expr("response_model", semconv.GEN_AI_RESPONSE_MODEL)} AS response_model,
  {attr(semconv.ERROR_TYPE)} AS error_type,
  if(span_kind = {_lit(semconv.KIND_TOOL)}, {attr(semconv.GEN_AI_TOOL_NAME)}, NULL) AS tool_name,
  {field_expr("input_tokens", tin, _COUNT)} AS input_tokens,
  {field_expr("output_tokens", tout, _COUNT)} AS output_tokens,
  {field_expr("cache_read_tokens", semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, _COUNT)} AS cache_read_tokens,
  {field_expr("reasoning_tokens", semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, _COUNT)} AS reasoning_tokens,
  {field_expr("cache_creation_tokens", semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, _COUNT)}
    AS cache_creation_tokens,
  {cost_columns(prices)},
  {field_expr("ttft_s", semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK)} AS ttft_text,
  {field_expr("finish_reasons", semconv.GEN_AI_RESPONSE_FINISH_REASONS)} AS finish_text,
  if(mapContains(SpanAttributes, {_lit(missing)}), SpanAttributes[{_lit(missing)}] = 'true',
     ifNull(is_usage, 0) AND input_tokens IS NULL AND output_tokens IS NULL) AS usage_missing
FROM {table} WHERE {where}"""


def counted_spans(table: str, where: str = "1", whole_traces: bool = True, prices: str = EMPTY_MAP) -> str:
    """``spans_sql`` with ``usage_counted`` (the usage rule, over every span of each trace:
    ``whole_traces=False`` says ``where`` may select only some of a trace's spans), each call
    priced from ``prices``."""
    spans = spans_sql(table, where, prices)
    every = spans if whole_traces else spans_sql(table, f"TraceId IN (SELECT TraceId FROM {table} WHERE {where})")
    return counted_spans_sql(spans, every)


def traces_sql(table: str, where: str = "1", prices: str = EMPTY_MAP) -> str:
    """One row per trace with the SQLite ``traces`` columns (``ttft_text`` unparsed).

    Aggregates get ``t_`` names first and the table's names in the outer query: ClickHouse
    resolves an alias before a column, so ``min(start_ns) AS start_ns`` would leak into the other
    aggregates of the same SELECT.  ``where`` selects whole traces (every span of a trace or none)."""
    usage = "usage_counted"
    return f"""SELECT trace_id, t_session AS session_id, t_user AS user_id, t_service AS service_name, t_name AS name,
  t_start AS start_ns, t_end AS end_ns, t_end - t_start AS duration_ns, t_spans AS span_count, t_llm AS llm_calls,
  t_errors AS error_count, t_in AS input_tokens, t_out AS output_tokens, t_in + t_out AS total_tokens,
  t_cache AS cache_read_tokens, t_reasoning AS reasoning_tokens, t_missing AS usage_missing_calls,
  t_ttft AS ttft_text, toFloat64OrNull(ifNull(t_ttft, '')) AS ttft_s,
  t_models AS model_list, arrayStringConcat(t_models, ',') AS models,
  arrayStringConcat(t_tools, ',') AS tool_names, arrayStringConcat(t_kinds, ',') AS span_kinds,
  arrayStringConcat(t_errtypes, ',') AS error_types,
  t_write AS cache_creation_tokens, t_priced AS priced_calls, t_unpriced AS unpriced_calls, t_cost AS cost_nusd,
  t_saved AS cache_saved_nusd
FROM (SELECT trace_id,
  argMinIf(tuple(session_id), (start_ns, span_id), session_id IS NOT NULL).1 AS t_session,
  argMinIf(tuple(user_id), (start_ns, span_id), user_id IS NOT NULL).1 AS t_user,
  argMin(tuple(service_name), (parent_span_id IS NOT NULL, start_ns, span_id)).1 AS t_service,
  argMin(name, (parent_span_id IS NOT NULL, start_ns, span_id)) AS t_name,
  min(start_ns) AS t_start, max(end_ns) AS t_end,
  toInt64(count()) AS t_spans, toInt64(countIf({usage})) AS t_llm,
  toInt64(countIf(status = 'ERROR')) AS t_errors,
  toInt64(sumIf(ifNull(input_tokens, 0), {usage})) AS t_in,
  toInt64(sumIf(ifNull(output_tokens, 0), {usage})) AS t_out,
  toInt64(sumIf(ifNull(cache_read_tokens, 0), {usage})) AS t_cache,
  toInt64(sumIf(ifNull(reasoning_tokens, 0), {usage})) AS t_reasoning,
  toInt64(countIf({usage} AND usage_missing)) AS t_missing,
  toInt64(sumIf(ifNull(cache_creation_tokens, 0), {usage})) AS t_write,
  toInt64(countIf({usage} AND cost_nusd IS NOT NULL)) AS t_priced,
  toInt64(countIf({usage} AND cost_nusd IS NULL)) AS t_unpriced,
  toInt64(sumIf(ifNull(cost_nusd, 0), {usage})) AS t_cost,
  toInt64(sumIf(ifNull(cache_saved_nusd, 0), {usage})) AS t_saved,
  argMinIf(tuple(ttft_text), (start_ns, span_id), {usage} AND ttft_text IS NOT NULL).1 AS t_ttft,
  arraySort(groupUniqArrayIf(assumeNotNull(model), model IS NOT NULL)) AS t_models,
  arraySort(groupUniqArrayIf(assumeNotNull(tool_name), tool_name IS NOT NULL AND tool_name <> '')) AS t_tools,
  arraySort(groupUniqArrayIf(assumeNotNull(span_kind), span_kind IS NOT NULL)) AS t_kinds,
  arraySort(groupUniqArrayIf(assumeNotNull(error_type), error_type IS NOT NULL)) AS t_errtypes
FROM ({counted_spans(table, where, prices=prices)}) GROUP BY trace_id)"""


def sessions_sql(table: str, where: str = "1", prices: str = EMPTY_MAP) -> str:
    """One row per session with the SQLite ``sessions`` columns."""
    return f"""SELECT s_id AS session_id, s_user AS user_id, s_users AS users, s_service AS service_name,
  s_start AS start_ns, s_end AS end_ns, s_end - s_start AS duration_ns, s_traces AS trace_count,
  s_spans AS span_count, s_llm AS llm_calls, s_errors AS error_count, s_in AS input_tokens,
  s_out AS output_tokens, s_total AS total_tokens, s_cache AS cache_read_tokens,
  s_reasoning AS reasoning_tokens, s_missing AS usage_missing_calls, s_models AS models, {SESSION_COST_SUMS}
FROM (SELECT assumeNotNull(session_id) AS s_id,
  argMinIf(tuple(user_id), (start_ns, trace_id), user_id IS NOT NULL).1 AS s_user,
  arrayStringConcat(arraySort(groupUniqArrayIf(assumeNotNull(user_id), user_id IS NOT NULL)), ',') AS s_users,
  argMinIf(tuple(service_name), (start_ns, trace_id), service_name IS NOT NULL).1 AS s_service,
  min(start_ns) AS s_start, max(end_ns) AS s_end,
  toInt64(count()) AS s_traces, toInt64(sum(span_count)) AS s_spans, toInt64(sum(llm_calls)) AS s_llm,
  toInt64(sum(error_count)) AS s_errors, toInt64(sum(input_tokens)) AS s_in,
  toInt64(sum(output_tokens)) AS s_out, toInt64(sum(total_tokens)) AS s_total,
  toInt64(sum(cache_read_tokens)) AS s_cache, toInt64(sum(reasoning_tokens)) AS s_reasoning,
  toInt64(sum(usage_missing_calls)) AS s_missing,
  arrayStringConcat(arraySort(groupUniqArrayArray(model_list)), ',') AS s_models, {SESSION_COST_AGGREGATES}
FROM ({traces_sql(table, where, prices)}) WHERE session_id IS NOT NULL GROUP BY session_id)"""


#: A session's cost columns (``sessions`` names) from its traces' (``c_`` names inside, so no
#: alias shadows a column in an aggregate).
SESSION_COST_AGGREGATES: Final = (
    "toInt64(sum(cache_creation_tokens)) AS c_write, toInt64(sum(priced_calls)) AS c_priced, "
    "toInt64(sum(unpriced_calls)) AS c_unpriced, toInt64(sum(cost_nusd)) AS c_cost, "
    "toInt64(sum(cache_saved_nusd)) AS c_saved"
)
SESSION_COST_SUMS: Final = (
    "c_write AS cache_creation_tokens, c_priced AS priced_calls, c_unpriced AS unpriced_calls, "
    "c_cost AS cost_nusd, c_saved AS cache_saved_nusd"
)


def session_costs_sql(table: str, prices: str) -> str:
    """Per session only its cost columns (joined to the sessions rollup view, which has no prices)."""
    return f"""SELECT assumeNotNull(session_id) AS session_id, {SESSION_COST_SUMS} FROM (SELECT session_id,
  {SESSION_COST_AGGREGATES} FROM ({traces_sql(table, "1", prices)}) WHERE session_id IS NOT NULL GROUP BY session_id)"""


SESSION_SELECT: Final = (
    "session_id, user_id, users, service_name, start_ns, end_ns, trace_count, span_count, llm_calls, "
    "input_tokens, output_tokens, total_tokens, cache_read_tokens, reasoning_tokens, usage_missing_calls, "
    "error_count, models, priced_calls, unpriced_calls, cost_nusd, cache_creation_tokens, cache_saved_nusd"
)
TRACE_SELECT: Final = (
    "trace_id, session_id, user_id, service_name, name, start_ns, end_ns, span_count, llm_calls, input_tokens, "
    "output_tokens, total_tokens, cache_read_tokens, reasoning_tokens, usage_missing_calls, error_count, models, "
    "ttft_text, tool_names, priced_calls, unpriced_calls, cost_nusd, cache_creation_tokens, cache_saved_nusd"
)
SPAN_SELECT: Final = (
    "span_id, parent_span_id, name, kind, span_kind, start_ns, end_ns, status, error_type, operation, provider, "
    "model, input_tokens, output_tokens, ttft_text, session_id, user_id, cost_nusd"
)


class Dialect(_sql.Dialect):
    """ClickHouse flavour of the filter compiler: named, typed placeholders ``{p0:Int64}``."""

    def param(self, value: Any, ftype: str) -> str:
        name = f"p{len(self._params)}"
        self._params.append(value)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"cannot bind {value!r}")
        ch_type = "String" if isinstance(value, str) else "Int64" if isinstance(value, int) else "Float64"
        return f"{{{name}:{ch_type}}}"

    @property
    def params(self) -> dict[str, Any]:
        return {f"p{i}": v for i, v in enumerate(self._params)}

    def set_has(self, expr: str, placeholder: str) -> str:
        return f"has(splitByChar(',', {expr}), {placeholder})"

    def contains(self, expr: str, placeholder: str) -> str:
        # position() is a plain byte search: no pattern characters to escape.
        return f"position({expr}, {placeholder}) > 0"

    def compare(self, expr: str, op: str, placeholder: str) -> str:
        if op == "<>":  # NULL-safe like the SQLite store: a session without a user is "not alice"
            return f"({expr} IS NULL OR {expr} <> {placeholder})"
        return f"{expr} {op} {placeholder}"

    def order(self, expr: str, descending: bool) -> str:
        # SQLite's order, spelt out: NULLs first ascending, last descending.
        return f"{expr} DESC NULLS LAST" if descending else f"{expr} ASC NULLS FIRST"


def select_sessions_sql(source: str, query: SessionQuery) -> tuple[str, dict[str, Any]]:
    """SQL and parameters selecting ``query``'s sessions from ``source`` (a subquery with the
    ``sessions`` columns: ``sessions_sql`` or the rollup view's)."""
    dialect = Dialect()
    where_sql = _sql.compile_node(query.filter, _sql.SESSION_COLUMNS, dialect)
    params = dialect.params
    sql = (
        f"SELECT {SESSION_SELECT} FROM ({source}) WHERE {where_sql} "
        f"ORDER BY {_sql.session_order(query.sort_field, query.descending, dialect)}"
    )
    if query.limit is None:  # ClickHouse takes an OFFSET without a LIMIT only in its ROWS form
        sql += " OFFSET {off:UInt64} ROWS"
    else:
        sql += " LIMIT {lim:UInt64} OFFSET {off:UInt64}"
        params["lim"] = query.limit
    params["off"] = query.offset
    return sql, params
