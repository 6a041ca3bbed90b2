"""The Traces tab in headless Chromium: filter (search box and drop-down), sort, page, open a trace,
and the ways in from the sessions list and a model's page."""

from __future__ import annotations

from typing import Any

import pytest
from test_browser import (
    WAIT_S,
    By,
    Select,
    WebDriverWait,
    _clean_console,
    click_and_wait,
    find,
    find_all,
    fmt_duration,
    fmt_int,
    open_page,
    screenshot,
    wait_ready,
)

__all__ = ["_clean_console"]


def trace_ids(driver: Any) -> list[str]:
    return [row.get_attribute("data-trace-id") for row in find_all(driver, "explorer-row")]


def test_the_tab_lists_every_trace_and_its_columns(browser: Any, server: Any, store: Any, artifacts: str) -> None:
    open_page(browser, server, "#/sessions")
    click_and_wait(browser, find(browser, "tab-traces"))
    assert find(browser, "tab-traces").get_attribute("aria-selected") == "true"
    expected = store.traces(since="24h")
    assert trace_ids(browser) == [t.trace_id for t in expected]
    job = next(t for t in expected if t.name == "nightly-job")
    row = next(r for r in find_all(browser, "explorer-row") if r.get_attribute("data-trace-id") == job.trace_id)
    cells = {c.get_attribute("data-col"): c.text for c in row.find_elements(By.CSS_SELECTOR, "td[data-col]")}
    assert {k: v for k, v in cells.items() if k != "start"} == {
        "trace_id": job.trace_id, "name": "nightly-job", "session_id": "no session", "user_id": "\u2014",
        "duration_s": fmt_duration(job.duration_s), "spans": "3", "llm_calls": "2", "total_tokens": fmt_int(160),
        "errors": "0", "models": "gpt-4.1", "tool_names": "\u2014",
    }  # fmt: skip
    screenshot(browser, artifacts, "traces")


def test_filter_with_the_search_box_and_the_drop_down(browser: Any, server: Any, store: Any) -> None:
    open_page(browser, server, "#/traces")
    search = find(browser, "traces-search")
    search.click()
    assert find(browser, "traces-filter-menu").is_displayed()
    assert "error_type" in find(browser, "traces-filter-fields").text
    search.send_keys("session_id is null\n")
    WebDriverWait(browser, WAIT_S).until(lambda d: "where=" in d.current_url)
    wait_ready(browser)
    sessionless = [t.trace_id for t in store.traces(since="24h", where="session_id is null")]
    assert len(sessionless) == 3 and trace_ids(browser) == sessionless

    # The drop-down's keyword filters add to the expression: errors only.
    find(browser, "traces-search").click()
    Select(find(browser, "tfilter-has_error")).select_by_value("1")
    click_and_wait(browser, find(browser, "tfilter-apply"))
    failed = store.traces(since="24h", where="session_id is null", has_error=True)
    assert trace_ids(browser) == [t.trace_id for t in failed] and len(failed) == 1
    assert find(browser, "tchip-has_error").text.startswith("Errors")
    click_and_wait(browser, find(browser, "tchip-remove-has_error"))
    assert trace_ids(browser) == sessionless

    open_page(browser, server, "#/traces?where=tool%20%3E%201")
    assert find(browser, "error-banner").get_attribute("data-kind") == "filter"
    assert "operator '>' does not apply to tool" in find(browser, "error-banner").text


def test_sort_and_page(browser: Any, server: Any, store: Any) -> None:
    open_page(browser, server, "#/traces?limit=20")
    click_and_wait(browser, find(browser, "tsort-duration_s"))
    by_duration = [t.trace_id for t in store.traces(since="24h", order_by="-duration_s", limit=None)]
    assert trace_ids(browser) == by_duration[:20]
    click_and_wait(browser, find(browser, "tsort-duration_s"))
    assert trace_ids(browser) == list(reversed(by_duration))[:20]

    everything = [t.trace_id for t in store.traces(since="24h", order_by="start", limit=None)]
    assert len(everything) > 4
    open_page(browser, server, "#/traces?order_by=start&limit=20")
    Select(find(browser, "tpage-size")).select_by_value("20")  # unchanged: stays on the page
    open_page(browser, server, "#/traces?order_by=start&limit=3")
    assert trace_ids(browser) == everything[:3]
    assert find(browser, "tpage-info").text == "1\u20133 (more)"
    click_and_wait(browser, find(browser, "tpage-next"))
    assert trace_ids(browser) == everything[3:6]
    click_and_wait(browser, find(browser, "tpage-prev"))
    assert trace_ids(browser) == everything[:3]


def test_a_row_opens_the_waterfall_and_the_way_back(browser: Any, server: Any, store: Any) -> None:
    open_page(browser, server, "#/traces?where=session_id%20is%20null")
    job = next(t for t in store.traces(since="24h", where="session_id is null") if t.name == "nightly-job")
    row = next(r for r in find_all(browser, "explorer-row") if r.get_attribute("data-trace-id") == job.trace_id)
    click_and_wait(browser, row)
    assert find(browser, "trace-title").text == job.trace_id
    tree = store.trace(job.trace_id)
    names = [r.find_element(By.CSS_SELECTOR, '[data-testid="span-name"]').text for r in find_all(browser, "span-row")]
    assert names == [s.name for s in tree.spans] and len(names) == 3
    assert find(browser, "tab-traces").get_attribute("aria-selected") == "true"
    crumbs = find(browser, "breadcrumb").find_elements(By.CSS_SELECTOR, "a")
    assert crumbs[0].text == "Traces"
    click_and_wait(browser, crumbs[0])
    assert trace_ids(browser) == [t.trace_id for t in store.traces(since="24h", where="session_id is null")]


def test_the_sessions_list_links_to_the_sessionless_traces(browser: Any, server: Any, store: Any) -> None:
    open_page(browser, server, "#/sessions?window=7d")
    note = find(browser, "sessionless-note")
    assert note.text.startswith("3 traces in this window have no session.")
    click_and_wait(browser, find(browser, "sessionless-link"))
    assert "window=7d" in browser.current_url
    assert trace_ids(browser) == [t.trace_id for t in store.traces(since="7d", where="session_id is null")]


@pytest.mark.parametrize("link", ["show-slow-calls", "show-failed-calls"])
def test_a_models_page_opens_its_slow_and_failed_calls(browser: Any, server: Any, store: Any, link: str) -> None:
    open_page(browser, server, "#/models?model=gpt-4.1")
    m = store.model("gpt-4.1", since="24h")
    click_and_wait(browser, find(browser, link))
    assert find(browser, "tab-traces").get_attribute("aria-selected") == "true"
    if link == "show-slow-calls":
        expected = store.traces(since="24h", model="gpt-4.1", min_duration_s=m.slow_threshold_s, order_by="-duration_s")
        assert [t.duration_s for t in expected] == [6.0]
    else:
        expected = store.traces(since="24h", model="gpt-4.1", has_error=True)
        assert [t.errors for t in expected] == [1]
    assert trace_ids(browser) == [t.trace_id for t in expected]
