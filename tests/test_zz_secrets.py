"""After the whole run: no API key, bearer token or Authorization value in any span, sink row or log line.

The session-wide collector is tests/_secrets_plugin.py (loaded by tests/conftest.py); it moves this
test to the end of the run. The test keys are the ones tests/conftest.py puts in the environment.
"""

from __future__ import annotations

import sys

import openai
import openai._base_client as _base_client
import pytest

from llm_agent.testing import capture_spans

HTTP = getattr(_base_client, "httpx2", None) or _base_client.httpx
plugin = sys.modules.get("_secrets_plugin")
pytestmark = pytest.mark.skipif(
    plugin is None or not plugin.Collected.active,
    reason='the collector is not loaded: tests/conftest.py needs pytest_plugins = ["_secrets_plugin"]',
)


def _failing_call_with_credentials() -> None:
    """A call whose request carries the key and whose 401 error echoes an Authorization header."""

    def handler(request):  # the server echoes what it got, as some proxies do
        echoed = f"invalid header Authorization: {request.headers.get('authorization')}"
        return HTTP.Response(401, json={"error": {"message": echoed, "type": "invalid_request_error"}})

    client = openai.OpenAI(
        api_key="test_openai_api_key",
        base_url="https://api.openai.com/v1",
        max_retries=0,
        http_client=HTTP.Client(transport=HTTP.MockTransport(handler)),
    )
    with capture_spans(instrument=["openai"], capture_content=True) as spans:
        with pytest.raises(openai.AuthenticationError):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        assert len(spans.records) == 1


def test_scanner_finds_a_planted_secret() -> None:
    hits = plugin.scan(["ok", 'headers {"Authorization": "Bearer sk-x"}', "key=test_openai_api_key"])
    assert len(hits) == 2


def test_no_secret_in_spans_sink_rows_or_logs() -> None:
    """Everything the whole run produced (this test runs last)."""
    collected = plugin.Collected
    assert collected.spans, "the collector saw no span: is it installed?"
    assert collected.records, "the collector saw no backend record: does its hook still find the send loop?"
    found = {
        "spans": plugin.scan(list(collected.spans)),
        "backend records": plugin.scan(list(collected.records)),
        "sink rows": plugin.scan(plugin.sqlite_rows()),
        "log lines": plugin.scan(list(collected.logs)),
    }
    assert found == {"spans": [], "backend records": [], "sink rows": [], "log lines": []}


def test_credentials_echoed_in_an_error_message_stay_out_of_the_span() -> None:
    """A server (or proxy) that echoes the Authorization header in its error message.

    The exception object is the app's and reaches it unchanged; the span's copy of the message
    (status description, exception event) must not carry the credential.
    """
    collected = plugin.Collected
    spans_before, records_before, logs_before = len(collected.spans), len(collected.records), len(collected.logs)
    _failing_call_with_credentials()
    found = {
        "spans": plugin.scan(collected.spans[spans_before:]),
        "backend records": plugin.scan(collected.records[records_before:]),
        "log lines": plugin.scan(collected.logs[logs_before:]),
    }
    assert found == {"spans": [], "backend records": [], "log lines": []}
