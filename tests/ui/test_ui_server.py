"""The page's HTTP server: JSON API equal to llm_agent.analysis, read-only, loopback, static assets."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import urllib.parse
from typing import Any

import pytest

from llm_agent import ui
from llm_agent.analysis import FilterError


def get(server: Any, path: str, host: str | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        headers = {"Host": host} if host is not None else {}
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def get_json(server: Any, path: str) -> tuple[int, Any]:
    status, _, body = get(server, path)
    return status, json.loads(body)


def test_sessions_endpoint_returns_the_analysis_rows_for_every_filter(server: Any, store: Any) -> None:
    status, payload = get_json(server, "/api/sessions?user=alice&min_total_tokens=100")
    assert status == 200
    expected = store.sessions(since="24h", user="alice", min_total_tokens=100)
    assert [r["session_id"] for r in payload["rows"]] == ["ui-alice-1"]
    assert payload["rows"] == [s.to_dict() for s in expected]
    assert (payload["has_more"], payload["total"], payload["limit"], payload["offset"]) == (False, None, 50, 0)

    query = urllib.parse.urlencode({
        "min_duration_s": "500ms", "max_duration_s": "20m", "min_traces": 1, "max_traces": 2, "max_total_tokens": 2000,
        "min_input_tokens": 10, "max_input_tokens": 1000, "min_output_tokens": 5, "max_output_tokens": 500,
        "where": "errors == 0 and user != 'dave'", "order_by": "-total_tokens",
    })  # fmt: skip
    status, payload = get_json(server, f"/api/sessions?{query}")
    expected = store.sessions(
        since="24h", min_duration_s="500ms", max_duration_s="20m", min_traces=1, max_traces=2, max_total_tokens=2000,
        min_input_tokens=10, max_input_tokens=1000, min_output_tokens=5, max_output_tokens=500,
        where="errors == 0 and user != 'dave'", order_by="-total_tokens",
    )  # fmt: skip
    assert status == 200
    assert [r["session_id"] for r in payload["rows"]] == ["ui-bob-1", "ui-alice-1", "ui-alice-2"]
    assert payload["rows"] == [s.to_dict() for s in expected]


def test_sessions_pages_cover_every_row_once(server: Any, store: Any) -> None:
    everything = [s.session_id for s in store.sessions(since="24h", order_by="start", limit=None)]
    seen, offset = [], 0
    while True:
        status, page = get_json(server, f"/api/sessions?order_by=start&limit=2&offset={offset}")
        assert status == 200
        seen += [r["session_id"] for r in page["rows"]]
        if not page["has_more"]:
            break
        offset += 2
    assert seen == everything
    assert len(everything) == 5


def test_a_bad_filter_expression_is_a_400_with_the_parsers_message(server: Any, store: Any) -> None:
    expression = "total_tokens >> 3"
    with pytest.raises(FilterError) as raised:
        store.sessions(where=expression)
    status, payload = get_json(server, "/api/sessions?" + urllib.parse.urlencode({"where": expression}))
    assert status == 400
    assert payload == {
        "error": str(raised.value),
        "kind": "filter",
        "reason": raised.value.reason,
        "position": raised.value.position,
    }
    assert get_json(server, "/api/sessions?min_traces=many") == (
        400,
        {"error": "min_traces must be a whole number, got 'many'", "kind": "bad_request"},
    )
    status, payload = get_json(server, "/api/sessions?limit=100000")
    assert (status, payload["kind"]) == (400, "bad_request")
    status, payload = get_json(server, "/api/sessions?order_by=nonsense")
    assert (status, payload["kind"]) == (400, "bad_request")
    assert "cannot sort by 'nonsense'" in payload["error"]


def test_detail_endpoints_equal_the_analysis_results(server: Any, store: Any) -> None:
    status, payload = get_json(server, "/api/session/ui-alice-1")
    assert (status, payload) == (200, store.session("ui-alice-1").to_dict())
    assert [t["name"] for t in payload["traces"]] == ["turn-1", "turn-2"]

    trace_id = payload["traces"][0]["trace_id"]
    status, payload = get_json(server, f"/api/trace/{trace_id}")
    tree = store.trace(trace_id).to_dict()
    flat = [
        {**{k: v for k, v in s.items() if k != "children"}, "child_count": len(s["children"])} for s in tree["spans"]
    ]
    assert status == 200
    assert payload == {**{k: v for k, v in tree.items() if k != "roots"}, "spans": flat}
    assert [s["child_count"] for s in payload["spans"]] == [3, 0, 0, 0]

    status, payload = get_json(server, "/api/models")
    assert status == 200
    assert payload["models"] == [m.to_dict() for m in store.models(since="24h")]
    assert [m["model"] for m in payload["models"]] == ["gpt-4o", "gpt-4.1", "gpt-4o-mini", "text-embedding-3-small"]

    status, payload = get_json(server, "/api/model/gpt-4o-mini?bucket=5m")
    expected = store.model("gpt-4o-mini", since=payload["since"], until=payload["until"], bucket="5m").to_dict()
    assert (status, payload) == (200, expected)
    assert (payload["requests"], payload["errors"]) == (3, 1)

    status, payload = get_json(server, "/api/users")
    assert status == 200
    assert payload["users"] == [u.to_dict() for u in store.users(since="24h")]


def test_unknown_ids_and_endpoints_are_404(server: Any) -> None:
    assert get_json(server, "/api/session/nope") == (
        404,
        {"error": "no session 'nope' in this sink", "kind": "unknown_session"},
    )
    assert get_json(server, "/api/trace/0123") == (
        404,
        {"error": "no trace '0123' in this sink", "kind": "unknown_trace"},
    )
    assert get_json(server, "/api/frobnicate") == (
        404,
        {"error": "no API endpoint /api/frobnicate", "kind": "not_found"},
    )
    status, payload = get_json(server, "/api/model/no-such-model")
    assert (status, payload["requests"], payload["series"] != []) == (200, 0, True)


def test_ids_with_slashes_and_unicode_round_trip(server: Any) -> None:
    status, payload = get_json(server, "/api/session/" + urllib.parse.quote("a/b ü", safe=""))
    assert (status, payload["error"]) == (404, "no session 'a/b ü' in this sink")


def test_the_server_is_read_only(server: Any) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        status, headers, body = get(server, "/api/sessions", method=method)
        assert (status, headers["allow"]) == (405, "GET, HEAD"), method
        assert json.loads(body) == {"error": "read-only: only GET and HEAD", "kind": "method"}
    status, headers, body = get(server, "/api/sessions", method="HEAD")
    assert (status, body, headers["content-type"]) == (200, b"", "application/json")


def test_a_foreign_host_header_is_refused(server: Any) -> None:
    """DNS rebinding: a page on evil.example resolved to 127.0.0.1 must not read the sink."""
    status, _, body = get(server, "/api/sessions", host=f"evil.example:{server.port}")
    assert (status, json.loads(body)) == (421, {"error": "unexpected Host header", "kind": "host"})
    for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}", "localhost"):
        assert get(server, "/api/meta", host=host)[0] == 200, host


def test_static_assets_come_from_the_package_with_a_strict_policy(server: Any) -> None:
    status, headers, body = get(server, "/")
    assert (status, headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert b'<script type="module" src="app.js"></script>' in body
    assert headers["content-security-policy"] == ui._server.CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    status, headers, _ = get(server, "/app.js")
    assert (status, headers["content-type"]) == (200, "text/javascript; charset=utf-8")
    for path in ("/../__init__.py", "/_api.py", "/static/app.js", "/%2e%2e/_server.py", "/nope.js"):
        assert get(server, path)[0] == 404, path


def test_the_page_loads_nothing_from_outside() -> None:
    """Offline by construction: no URL in the assets but the SVG namespace."""
    static = os.path.join(os.path.dirname(ui.__file__), "static")
    names = sorted(os.listdir(static))
    assert names == ["app.css", "app.js", "charts.js", "dom.js", "favicon.svg", "index.html", "models.js",
                     "sessions.js", "state.js", "trace.js", "traces.js", "transcript.js", "users.js"]  # fmt: skip
    for name in names:
        with open(os.path.join(static, name), encoding="utf-8") as f:
            text = f.read()
        urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.\w+[^\s\"')]*", text)) - {"http://www.w3.org/2000/svg"}
        assert urls == set(), name
        if name.endswith(".js"):
            # Data reaches the document as text only (textContent / setAttribute), never parsed as HTML.
            unsafe = re.findall(
                r"\.(?:innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write|\beval\(|new Function", text
            )
            assert unsafe == [], name


def test_non_loopback_hosts_need_an_explicit_request(capsys: pytest.CaptureFixture[str]) -> None:
    hosts = ("127.0.0.1", "127.3.2.1", "::1", "[::1]", "localhost", "0.0.0.0", "10.0.0.1", "example.com")
    assert [ui.is_loopback(h) for h in hosts] == [True, True, True, True, True, False, False, False]
    with pytest.raises(ui.UnsafeHostError, match=r"refusing to serve the sink on non-loopback address '0\.0\.0\.0'"):
        ui.make_server(host="0.0.0.0", port=0)
    with ui.make_server(host="0.0.0.0", port=0, host_explicit=True) as srv:
        assert srv.url == f"http://127.0.0.1:{srv.port}/"
    assert "WARNING: listening on 0.0.0.0, not loopback" in capsys.readouterr().err
    with pytest.raises(ValueError, match="port must be an integer 0-65535"):
        ui.make_server(port=70000)
    with (
        ui.make_server(port=0) as taken,
        pytest.raises(OSError, match=r"cannot listen on 127\.0\.0\.1:\d+: .*try --port"),
    ):
        ui.make_server(port=taken.port)


def test_a_sink_created_after_start_is_picked_up(tmp_path: Any) -> None:
    from llm_agent.backends.sqlite import SQLiteBackend

    path = str(tmp_path / "later.sqlite")
    with ui.make_server(db=path, port=0).start() as srv:
        status, payload = get_json(srv, "/api/sessions")
        assert (status, payload["kind"], payload["db"]) == (404, "missing_db", path)
        assert get_json(srv, "/api/meta")[1]["db_exists"] is False
        SQLiteBackend(path).shutdown(5.0)  # the app starts recording
        status, payload = get_json(srv, "/api/sessions")
        assert (status, payload["rows"], payload["has_more"]) == (200, [], False)


def test_serve_prints_the_url_and_answers(sink: str) -> None:
    code = "import sys; from llm_agent import ui; ui.serve(db=sys.argv[1], port=0)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", code, sink], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.fullmatch(
            rf"llm-agent ui: serving {re.escape(sink)} at (http://127\.0\.0\.1:(\d+)/)  \(Ctrl-C to stop\)\n", line
        )
        assert match, line
        conn = http.client.HTTPConnection("127.0.0.1", int(match.group(2)), timeout=10)
        conn.request("GET", "/api/session/ui-dave")
        response = conn.getresponse()
        assert (response.status, json.loads(response.read())["summary"]["user_id"]) == (200, "dave")
        conn.close()
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_host_header_is_parsed_strictly(server: Any) -> None:
    """``127.0.0.1:P@evil.example`` names evil.example to a browser: refused like any other foreign host."""
    p = server.port
    refused = (f"127.0.0.1:{p}@evil.example", f"127.0.0.1:{p}:1", f"localhost:{p}/x", "127.0.0.1:port",
               f"127.0.0.1.evil.example:{p}", "[::1]evil", "", " ")  # fmt: skip
    assert {host: get(server, "/api/meta", host=host)[0] for host in refused} == dict.fromkeys(refused, 421)
    accepted = (f"127.0.0.1:{p}", f"LOCALHOST:{p}", "localhost", f"[::1]:{p}")
    assert {host: get(server, "/api/meta", host=host)[0] for host in accepted} == dict.fromkeys(accepted, 200)


TOO_BIG = "99999999999999999999"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (f"offset={TOO_BIG}", f"offset must be at most 9223372036854775807, got {TOO_BIG}"),
        (f"min_total_tokens={TOO_BIG}",
         f"min_total_tokens out of range: {TOO_BIG} (must be between -2**63 and 2**63 - 1)"),
        ("since=1e400", "not a point in time: '1e400' (must be a finite number of seconds)"),
        ("since=1e20", "time out of range: '1e20' (use a time between 1677-09-22 and 2262-04-11 UTC)"),
        ("until=9999-12-31", "time out of range: '9999-12-31' (use a time between 1677-09-22 and 2262-04-11 UTC)"),
        ("min_duration_s=1e30", "min_duration_s: duration out of range: '1e30' (at most 9223372036 seconds, about "
                                "292 years)"),
        ("offset=" + "9" * 5000, "offset must be a whole number, got '" + "9" * 5000 + "'"),
    ],
)  # fmt: skip
def test_numbers_past_64_bits_are_a_400_with_a_message(server: Any, query: str, message: str) -> None:
    assert get_json(server, f"/api/sessions?{query}") == (400, {"error": message, "kind": "bad_request"})


def test_a_model_window_past_64_bits_is_a_400(server: Any) -> None:
    assert get_json(server, "/api/model/gpt-4o?since=1e20") == (400, {
        "error": "time out of range: '1e20' (use a time between 1677-09-22 and 2262-04-11 UTC)", "kind": "bad_request",
    })  # fmt: skip


def test_an_unreadable_db_is_a_503_with_a_message() -> None:
    with ui.make_server(db="/", port=0).start() as srv:
        assert get_json(srv, "/api/sessions") == (503, {
            "error": "cannot read /: '/' is a directory, not an llm_agent sink file", "kind": "db_unavailable",
        })  # fmt: skip
