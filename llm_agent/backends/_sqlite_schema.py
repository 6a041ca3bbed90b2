"""The SQLite sink's schema: the contract between the sink (writer) and ``llm_agent.analysis`` (reader).

Times are UTC nanoseconds since the epoch.  ``spans`` is a rowid table (not WITHOUT ROWID): its
rows carry the attributes JSON (hundreds of bytes), and with random trace IDs as the clustering key
every insert split wide pages; as a rowid table with a separate primary-key index the sink ingests
about 2.5x faster on the reference machine (benchmarks/sink_ingest.py).

Token columns are NULL when unknown; rollup sums count only the spans whose ``usage_counted`` is
1 (LLM and EMBEDDING spans, ``semconv.USAGE_SPAN_KINDS``, each model call once: the usage rule of
``_usage_rule``) and add known values only, with ``usage_missing_calls`` counting
the calls whose usage was not reported.  ``models`` and ``users`` in the rollups are
comma-separated, sorted, distinct names.  The exact rollup definitions: docs/backends.md.

The ``spans`` columns, in their order, are the stored fields of the span field table
(``llm_agent.export._fields.FIELDS``), from which the sink's rows and ``INSERT`` are made; a new
column goes into both, with a migration (tests/export/test_fields.py checks that they agree).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Final

from llm_agent.backends._sqlite_rollups import recount_all

SCHEMA_VERSION: Final = 5
#: The first version with ``spans.usage_counted`` (a reader of an older, unmigrated file counts
#: every usage span, as that llm_agent did).
USAGE_COUNTED_VERSION: Final = 3
#: The first version with the cost columns (docs/cost.md).
COST_VERSION: Final = 5

#: The tool name of a TOOL span, as the ``spans_tool`` index and the Trace Explorer's ``tool``
#: test spell it (a query uses the index only when its expression is this text exactly).  The
#: ``json_valid`` guard keeps a malformed attributes text from failing the sink's INSERT.
TOOL_NAME_SQL: Final = "CASE WHEN json_valid(attributes) THEN json_extract(attributes, '$.\"gen_ai.tool.name\"') END"
#: Span kinds the ``spans_kind`` index leaves out: LLM / EMBEDDING spans and CHAIN roots (every
#: call and every ``llm_agent.trace``: indexing them would cost every call at ingest and find
#: nearly every trace), and TOOL spans, which ``spans_tool`` holds already (one index per span).
UNINDEXED_KINDS: Final = ("CHAIN", "EMBEDDING", "LLM", "TOOL")
#: The ``spans_kind`` index's WHERE (a query repeats it verbatim to use the index).  Written as
#: ``<>`` terms: a ``NOT IN (...)`` list here cost the sink ~7% of its insert CPU on every span,
#: indexed or not (SQLite 3.40), the ``<>`` chain nothing measurable.
KIND_INDEX_WHERE: Final = " AND ".join(f"span_kind <> '{k}'" for k in UNINDEXED_KINDS)
# Partial indexes for the Trace Explorer's tests over a trace's spans (error_type, tool, kind):
# they hold only the spans that carry one, so the calls an app makes most cost nothing extra.
_TRACE_EXPLORER_INDEXES: Final = (
    "CREATE INDEX IF NOT EXISTS spans_error_type ON spans (error_type, trace_id) WHERE error_type IS NOT NULL",
    f"CREATE INDEX IF NOT EXISTS spans_tool ON spans (({TOOL_NAME_SQL}), trace_id) WHERE span_kind = 'TOOL'",
    f"CREATE INDEX IF NOT EXISTS spans_kind ON spans (span_kind, trace_id) WHERE {KIND_INDEX_WHERE}",
)

#: Statements that create the current schema (``SCHEMA_VERSION``) on an empty database (idempotent).
SCHEMA: Final[tuple[str, ...]] = (
    """
    CREATE TABLE IF NOT EXISTS meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS spans (
        trace_id              TEXT    NOT NULL,
        span_id               TEXT    NOT NULL,
        parent_span_id        TEXT,
        name                  TEXT    NOT NULL,
        kind                  TEXT    NOT NULL,
        start_ns              INTEGER NOT NULL,
        end_ns                INTEGER NOT NULL,
        duration_ns           INTEGER NOT NULL,
        status                TEXT    NOT NULL,
        status_message        TEXT,
        error_type            TEXT,
        service_name          TEXT,
        session_id            TEXT,
        user_id               TEXT,
        span_kind             TEXT,
        operation             TEXT,
        provider              TEXT,
        request_model         TEXT,
        response_model        TEXT,
        model                 TEXT,
        input_tokens          INTEGER,
        output_tokens         INTEGER,
        cache_read_tokens     INTEGER,
        cache_creation_tokens INTEGER,
        reasoning_tokens      INTEGER,
        ttft_s                REAL,
        finish_reasons        TEXT,     -- JSON array
        usage_missing         INTEGER NOT NULL DEFAULT 0,
        attributes            TEXT    NOT NULL DEFAULT '{}',  -- JSON object
        events                TEXT,     -- JSON array or NULL
        usage_counted         INTEGER NOT NULL DEFAULT 0,  -- 1: usage summed (backends/_usage_rule.py)
        cost_nusd             INTEGER,  -- USD cost in nano-dollars (1e-9 USD); NULL = unknown
        cache_saved_nusd      INTEGER,  -- cost at uncached prices minus the cost (may be negative)
        price_version         TEXT,     -- what priced it: 'genai-prices X.Y.Z' or 'override'
        PRIMARY KEY (trace_id, span_id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS spans_model_start ON spans (model, start_ns)",
    "CREATE INDEX IF NOT EXISTS spans_start ON spans (start_ns)",
    """
    CREATE TABLE IF NOT EXISTS traces (
        trace_id            TEXT PRIMARY KEY,
        session_id          TEXT,
        user_id             TEXT,
        service_name        TEXT,
        name                TEXT,     -- root span's name (earliest span without a parent)
        start_ns            INTEGER NOT NULL,
        end_ns              INTEGER NOT NULL,
        duration_ns         INTEGER NOT NULL,
        span_count          INTEGER NOT NULL,
        llm_calls           INTEGER NOT NULL,   -- LLM + EMBEDDING spans
        error_count         INTEGER NOT NULL,   -- spans with status ERROR
        input_tokens        INTEGER NOT NULL,
        output_tokens       INTEGER NOT NULL,
        total_tokens        INTEGER NOT NULL,
        cache_read_tokens   INTEGER NOT NULL,
        reasoning_tokens    INTEGER NOT NULL,
        usage_missing_calls INTEGER NOT NULL,
        cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
        priced_calls        INTEGER NOT NULL DEFAULT 0,   -- calls with a known cost
        unpriced_calls      INTEGER NOT NULL DEFAULT 0,   -- calls whose cost is unknown
        cost_nusd           INTEGER NOT NULL DEFAULT 0,   -- sum of the known costs (nano-USD)
        cache_saved_nusd    INTEGER NOT NULL DEFAULT 0,
        ttft_s              REAL,     -- the first LLM call's time to first chunk
        models              TEXT NOT NULL DEFAULT ''
    )
    """,
    "CREATE INDEX IF NOT EXISTS traces_session_start ON traces (session_id, start_ns)",
    "CREATE INDEX IF NOT EXISTS traces_start ON traces (start_ns)",
    """
    CREATE TABLE IF NOT EXISTS sessions (
        session_id          TEXT PRIMARY KEY,
        user_id             TEXT,     -- the first user seen in the session
        users               TEXT NOT NULL DEFAULT '',
        service_name        TEXT,
        start_ns            INTEGER NOT NULL,
        end_ns              INTEGER NOT NULL,
        duration_ns         INTEGER NOT NULL,
        trace_count         INTEGER NOT NULL,
        span_count          INTEGER NOT NULL,
        llm_calls           INTEGER NOT NULL,
        error_count         INTEGER NOT NULL,
        input_tokens        INTEGER NOT NULL,
        output_tokens       INTEGER NOT NULL,
        total_tokens        INTEGER NOT NULL,
        cache_read_tokens   INTEGER NOT NULL,
        reasoning_tokens    INTEGER NOT NULL,
        usage_missing_calls INTEGER NOT NULL,
        cache_creation_tokens INTEGER NOT NULL DEFAULT 0,
        priced_calls        INTEGER NOT NULL DEFAULT 0,   -- calls with a known cost
        unpriced_calls      INTEGER NOT NULL DEFAULT 0,   -- calls whose cost is unknown
        cost_nusd           INTEGER NOT NULL DEFAULT 0,   -- sum of the known costs (nano-USD)
        cache_saved_nusd    INTEGER NOT NULL DEFAULT 0,
        models              TEXT NOT NULL DEFAULT ''
    ) WITHOUT ROWID
    """,
    "CREATE INDEX IF NOT EXISTS sessions_start ON sessions (start_ns)",
    "CREATE INDEX IF NOT EXISTS sessions_end ON sessions (end_ns)",
    "CREATE INDEX IF NOT EXISTS sessions_user_start ON sessions (user_id, start_ns)",
    *_TRACE_EXPLORER_INDEXES,
)

#: Migrations: version N -> N+1 statements, applied in order inside one transaction each.
#: A step is an SQL statement or a function of the connection (for what SQL alone cannot compute).
MIGRATIONS: Final[dict[int, tuple[str | Callable[[sqlite3.Connection], None], ...]]] = {
    # 1 -> 2: no query reads spans by session or by user (sessions and users are found through the
    # rollups, then spans by trace id), and each index cost the sink ~1 us per span at ingest.
    1: ("DROP INDEX IF EXISTS spans_session", "DROP INDEX IF EXISTS spans_user_start"),
    # 2 -> 3: usage counts once per model call (backends/_usage_rule.py): the flag, computed for
    # the stored traces, and the rollups of the traces (and sessions) whose sums it changes.
    2: ("ALTER TABLE spans ADD COLUMN usage_counted INTEGER NOT NULL DEFAULT 0", recount_all),
    # 3 -> 4: the Trace Explorer's partial indexes (error types, tool names, rare span kinds).
    3: _TRACE_EXPLORER_INDEXES,
    # 4 -> 5: USD cost (docs/cost.md).  Rows written before have no cost: their calls count as
    # unpriced until ``llm-agent reprice`` prices them.
    4: (
        "ALTER TABLE spans ADD COLUMN cost_nusd INTEGER",
        "ALTER TABLE spans ADD COLUMN cache_saved_nusd INTEGER",
        "ALTER TABLE spans ADD COLUMN price_version TEXT",
        *(
            f"ALTER TABLE {table} ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0"
            for table in ("traces", "sessions")
            for column in ("cache_creation_tokens", "priced_calls", "unpriced_calls", "cost_nusd", "cache_saved_nusd")
        ),
        "UPDATE traces SET unpriced_calls = llm_calls",
        "UPDATE sessions SET unpriced_calls = llm_calls",
        """UPDATE traces SET cache_creation_tokens = COALESCE((SELECT SUM(s.cache_creation_tokens) FROM spans s
             WHERE s.trace_id = traces.trace_id AND s.usage_counted), 0)""",
        """UPDATE sessions SET cache_creation_tokens = COALESCE((SELECT SUM(t.cache_creation_tokens) FROM traces t
             WHERE t.session_id = sessions.session_id), 0)""",
    ),
}
