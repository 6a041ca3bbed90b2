"""Store locations are shown (CLI, web page) without the password a URL may carry."""

from __future__ import annotations

import pytest

from llm_agent.analysis import display_location
from llm_agent.ui._api import Api, StoreHolder


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("clickhouse://reader:s3cr%40t@ch.internal:8123/llm?secure=1", "clickhouse://reader:***@ch.internal:8123/llm?secure=1"),
        ("clickhouse://reader@ch.internal/llm", "clickhouse://reader@ch.internal/llm"),
        ("http://:token@127.0.0.1:8123/", "http://:***@127.0.0.1:8123/"),
        ("/var/lib/app/sink.sqlite", "/var/lib/app/sink.sqlite"),
        ("chdb:///data/chdb", "chdb:///data/chdb"),
    ],
)  # fmt: skip
def test_password_is_masked(given, shown):
    assert display_location(given) == shown


def test_web_page_meta_never_carries_the_password():
    status, payload = Api(StoreHolder("clickhouse://reader:s3cret@127.0.0.1:1/llm")).get("meta", {})
    assert status == 200
    assert payload["db"] == "clickhouse://reader:***@127.0.0.1:1/llm"
    assert "s3cret" not in repr(payload)
