"""``/api/traces`` (the Traces tab) equals ``store.traces()``; bad input is a 400 with a message."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from test_ui_server import get, get_json
from ui_scenario import SESSIONLESS


def test_traces_endpoint_lists_every_trace_with_or_without_a_session(server: Any, store: Any) -> None:
    status, payload = get_json(server, "/api/traces?limit=500")
    assert status == 200
    expected = store.traces(since="24h", limit=None)
    assert payload["rows"] == [t.to_dict() for t in expected]
    assert (payload["has_more"], payload["limit"], payload["offset"], payload["order_by"]) == (False, 500, 0, "-start")
    assert sum(1 for r in payload["rows"] if r["session_id"] is None) == len(SESSIONLESS)


@pytest.mark.parametrize(
    "query,kwargs",
    [
        ({"where": "session_id is null"}, {"where": "session_id is null"}),
        ({"model": "gpt-4.1", "has_error": "1"}, {"model": "gpt-4.1", "has_error": True}),
        ({"has_error": "false", "min_duration_s": "2s"}, {"has_error": False, "min_duration_s": 2.0}),
        ({"user": "alice", "order_by": "-total_tokens"}, {"user": "alice", "order_by": "-total_tokens"}),
        ({"session_id": "ui-alice-1", "name": "turn-2"}, {"session_id": "ui-alice-1", "name": "turn-2"}),
        ({"min_total_tokens": "100", "max_total_tokens": "1000", "max_duration_s": "5s"},
         {"min_total_tokens": 100, "max_total_tokens": 1000, "max_duration_s": 5.0}),
        ({"where": "error_type == 'openai.RateLimitError'"}, {"where": "error_type == 'openai.RateLimitError'"}),
        ({"where": "kind == 'CHAIN' and session_id is null"}, {"where": "kind == 'CHAIN' and session_id is null"}),
        ({"order_by": "duration_s", "limit": "3", "offset": "2"}, {"order_by": "duration_s", "limit": 3, "offset": 2}),
    ],
)  # fmt: skip
def test_traces_endpoint_filters_equal_the_analysis_api(
    server: Any, store: Any, query: dict[str, str], kwargs: dict[str, Any]
) -> None:
    status, payload = get_json(server, "/api/traces?" + urllib.parse.urlencode(query))
    assert status == 200
    limit = kwargs.pop("limit", 50)
    expected = store.traces(since="24h", **kwargs, limit=limit + 1)
    assert payload["rows"] == [t.to_dict() for t in expected[:limit]]
    assert payload["has_more"] == (len(expected) > limit)
    assert payload["rows"], query  # every case selects something


def test_sessions_payload_counts_the_traces_without_a_session(server: Any, store: Any) -> None:
    status, payload = get_json(server, "/api/sessions")
    assert status == 200
    assert payload["sessionless_traces"] == store.count_traces(since="24h", where="session_id is null") == 3


def test_meta_has_the_trace_vocabulary(server: Any) -> None:
    from llm_agent.analysis import TRACE_FILTER_ALIASES, TRACE_FILTER_FIELDS

    status, payload = get_json(server, "/api/meta")
    assert status == 200
    assert (payload["trace_filter_fields"], payload["trace_filter_aliases"], payload["sessionless_where"]) == (
        TRACE_FILTER_FIELDS, TRACE_FILTER_ALIASES, "session_id is null",
    )  # fmt: skip


TOO_BIG = "99999999999999999999"


@pytest.mark.parametrize(
    ("query", "status", "kind", "message"),
    [
        ("has_error=maybe", 400, "bad_request", "has_error must be 1 or 0 (true / false), got 'maybe'"),
        ("limit=0", 400, "bad_request", "limit must be >= 1, got 0"),
        ("limit=501", 400, "bad_request", "limit must be at most 500, got 501"),
        (f"offset={TOO_BIG}", 400, "bad_request", f"offset must be at most 9223372036854775807, got {TOO_BIG}"),
        ("offset=-1", 400, "bad_request", "offset must be >= 0, got -1"),
        (f"min_total_tokens={TOO_BIG}", 400, "bad_request",
         f"min_total_tokens out of range: {TOO_BIG} (must be between -2**63 and 2**63 - 1)"),
        ("max_total_tokens=lots", 400, "bad_request", "max_total_tokens must be a whole number, got 'lots'"),
        ("min_duration_s=1e30", 400, "bad_request",
         "min_duration_s: duration out of range: '1e30' (at most 9223372036 seconds, about 292 years)"),
        ("since=1e20", 400, "bad_request",
         "time out of range: '1e20' (use a time between 1677-09-22 and 2262-04-11 UTC)"),
        ("order_by=tool", 400, "bad_request", None),
        ("order_by=%3Bdrop", 400, "bad_request", None),
    ],
)  # fmt: skip
def test_bad_traces_requests_are_a_400_with_a_message(
    server: Any, query: str, status: int, kind: str, message: str | None
) -> None:
    got_status, payload = get_json(server, f"/api/traces?{query}")
    assert (got_status, payload["kind"]) == (status, kind)
    if message is not None:
        assert payload == {"error": message, "kind": kind}
    else:
        assert payload["error"].startswith("cannot sort by")


@pytest.mark.parametrize(
    "where,reason",
    [
        ("colour == 'red'", "unknown field 'colour'"),
        ("tool > 1", "operator '>' does not apply to tool"),
        ("session_id is", "expected 'null' after 'is'"),
        ("x" * 5000, "expression longer than 4096 characters"),
    ],
)
def test_a_bad_trace_filter_is_a_400_with_the_caret(server: Any, where: str, reason: str) -> None:
    status, payload = get_json(server, "/api/traces?" + urllib.parse.urlencode({"where": where}))
    assert (status, payload["kind"]) == (400, "filter")
    assert payload["reason"].startswith(reason)
    assert payload["error"].splitlines()[-1].strip() == "^"


def test_the_traces_endpoint_is_read_only(server: Any) -> None:
    assert get(server, "/api/traces", method="POST")[0] in (405, 501)
