"""The page in headless Chromium, against a sink recorded from real instrumented calls.

Each test drives the page the way a person would (clicks, typing) and compares what is shown with
what ``llm_agent.analysis`` returns.  Screenshots of every view go to artifacts/ui/.
"""

from __future__ import annotations

import math
import os
from typing import Any

import pytest
import ui_scenario

By = pytest.importorskip("selenium.webdriver.common.by").By
WebDriverWait = pytest.importorskip("selenium.webdriver.support.ui").WebDriverWait
Select = pytest.importorskip("selenium.webdriver.support.select").Select

WAIT_S = 15


# --- the page's number formats, restated (dom.js) ----------------------------------------------------


def fmt_int(n: float | None) -> str:
    return "\u2014" if n is None else f"{math.floor(n + 0.5):,}"


def fmt_duration(s: float | None) -> str:
    if s is None:
        return "\u2014"
    if s < 1:
        return f"{math.floor(s * 1000 + 0.5)} ms"
    if s < 60:
        return f"{s:.2f} s"
    minutes = int(s // 60)
    return f"{minutes}m {int(s - minutes * 60):02d}s"


def fmt_pct(ratio: float) -> str:
    return f"{ratio * 100:.2f}%"


# --- driving the page ----------------------------------------------------------------------------------


def wait_ready(driver: Any) -> None:
    """Until the view for the current URL has finished loading (app.js marks it)."""
    WebDriverWait(driver, WAIT_S).until(
        lambda d: d.execute_script(
            "const m = document.getElementById('main');"
            "return m.getAttribute('data-ready') === 'true' && m.getAttribute('data-rendered') === location.hash;"
        )
    )


def open_page(driver: Any, server: Any, fragment: str) -> None:
    driver.get(server.url + fragment)
    wait_ready(driver)


def find(driver: Any, testid: str) -> Any:
    return driver.find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')


def find_all(driver: Any, testid: str) -> list[Any]:
    return driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]')


def click_and_wait(driver: Any, element: Any) -> None:
    before = driver.execute_script("return location.hash")
    element.click()
    WebDriverWait(driver, WAIT_S).until(lambda d: d.execute_script("return location.hash") != before)
    wait_ready(driver)


def session_ids(driver: Any) -> list[str]:
    return [row.get_attribute("data-session-id") for row in find_all(driver, "session-row")]


def tags(row: Any, col: str) -> list[str]:
    return [t.text for t in row.find_elements(By.CSS_SELECTOR, f'td[data-col="{col}"] .tag')]


def screenshot(driver: Any, artifacts: str, name: str) -> None:
    driver.save_screenshot(os.path.join(artifacts, f"{name}.png"))


def no_page_errors(driver: Any) -> list[str]:
    # JavaScript errors; a 4xx answer the page handles (a bad filter) is logged as "network", not counted.
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and e.get("source") != "network"]


@pytest.fixture(autouse=True)
def _clean_console(browser: Any) -> Any:
    browser.get_log("browser")  # drop what earlier tests left
    yield
    assert no_page_errors(browser) == []


# --- Session analysis ---------------------------------------------------------------------------------


def test_filter_sessions_by_user_and_minimum_tokens(browser: Any, server: Any, store: Any, artifacts: str) -> None:
    open_page(browser, server, "#/sessions")
    everything = [s.session_id for s in store.sessions(since="24h")]
    assert session_ids(browser) == everything
    assert everything == ["ui-dave", "ui-carol-xss", "ui-bob-1", "ui-alice-2", "ui-alice-1"]
    screenshot(browser, artifacts, "sessions")

    find(browser, "filter-search").click()
    menu = find(browser, "filter-menu")
    assert menu.is_displayed()
    # The user field suggests the users of the window.
    WebDriverWait(browser, WAIT_S).until(lambda d: len(find(d, "users-list").find_elements(By.TAG_NAME, "option")) > 0)
    suggestions = [o.get_attribute("value") for o in find(browser, "users-list").find_elements(By.TAG_NAME, "option")]
    assert suggestions == [u.user_id for u in store.users(since="24h")]
    assert sorted(suggestions) == ["alice", "bob", "carol", "dave"]
    find(browser, "filter-user").send_keys("alice")
    find(browser, "filter-min_total_tokens").send_keys("100")
    screenshot(browser, artifacts, "sessions-filter-menu")
    click_and_wait(browser, find(browser, "filter-apply"))

    expected = store.sessions(since="24h", user="alice", min_total_tokens=100)
    assert session_ids(browser) == [s.session_id for s in expected] == ["ui-alice-1"]
    (row,) = find_all(browser, "session-row")
    cells = {c.get_attribute("data-col"): c.text for c in row.find_elements(By.CSS_SELECTOR, "td[data-col]")}
    s = expected[0]
    start = row.find_element(By.CSS_SELECTOR, 'td[data-col="start"] span')  # shown in the browser's time zone
    assert start.get_attribute("title") == s.start.isoformat()
    assert tags(row, "models") == ["gpt-4o", "gpt-4o-mini", "+1"]
    assert row.find_element(By.CSS_SELECTOR, ".tag-more").get_attribute("title") == ", ".join(s.models)
    assert cells == {
        "session_id": "ui-alice-1",
        "users": "alice",
        "start": cells["start"],
        "duration_s": fmt_duration(s.duration_s),
        "traces": "2",
        "llm_calls": "4",
        "input_tokens": fmt_int(s.input_tokens),
        "output_tokens": fmt_int(s.output_tokens),
        "total_tokens": fmt_int(s.total_tokens),
        "cost_usd": "$0.0017",  # ui_scenario.PRICES: $0.001708
        "errors": "0",
        "models": cells["models"],
    }
    assert (s.input_tokens, s.output_tokens, s.total_tokens) == (328, 140, 468)
    assert [c.text for c in find_all(browser, "active-filters")[0].find_elements(By.CSS_SELECTOR, ".chip")] == [
        "User =\nalice\n\u00d7",
        "Total tokens \u2265\n100\n\u00d7",
    ]
    # The URL holds the filters: a reload (or a shared link) shows the same rows.
    assert "user=alice" in browser.current_url and "min_total_tokens=100" in browser.current_url
    browser.refresh()
    wait_ready(browser)
    assert session_ids(browser) == ["ui-alice-1"]

    # Removing one filter widens the result the same way the API does.
    click_and_wait(browser, find(browser, "chip-remove-min_total_tokens"))
    assert session_ids(browser) == [s.session_id for s in store.sessions(since="24h", user="alice")]
    assert session_ids(browser) == ["ui-alice-2", "ui-alice-1"]


def test_filter_expression_sort_and_pages(browser: Any, server: Any, store: Any) -> None:
    open_page(browser, server, "#/sessions?window=7d")
    search = find(browser, "filter-search")
    search.click()
    search.send_keys("errors == 0 and total_tokens >= 100\n")
    wait_ready(browser)
    WebDriverWait(browser, WAIT_S).until(lambda d: "where=" in d.current_url)
    wait_ready(browser)
    where = "errors == 0 and total_tokens >= 100"
    assert session_ids(browser) == [s.session_id for s in store.sessions(since="7d", where=where)]

    click_and_wait(browser, find(browser, "sort-total_tokens"))
    expected = [s.session_id for s in store.sessions(since="7d", where=where, order_by="-total_tokens")]
    assert session_ids(browser) == expected == ["ui-dave", "ui-bob-1", "ui-alice-1"]
    click_and_wait(browser, find(browser, "sort-total_tokens"))
    assert session_ids(browser) == list(reversed(expected))

    open_page(browser, server, "#/sessions?order_by=start&limit=2")
    everything = [s.session_id for s in store.sessions(since="24h", order_by="start")]
    assert session_ids(browser) == everything[:2]
    assert find(browser, "page-info").text == "1\u20132 (more)"
    click_and_wait(browser, find(browser, "page-next"))
    assert session_ids(browser) == everything[2:4]
    click_and_wait(browser, find(browser, "page-next"))
    assert session_ids(browser) == everything[4:]
    assert find(browser, "page-info").text == "5\u20135"
    assert find(browser, "page-next").get_attribute("disabled") is not None


def test_a_bad_expression_shows_the_parsers_message(browser: Any, server: Any, store: Any) -> None:
    from llm_agent.analysis import FilterError

    open_page(browser, server, "#/sessions?where=" + "total_tokens%20%3E%3E%203")
    banner = find(browser, "error-banner")
    with pytest.raises(FilterError) as raised:
        store.sessions(where="total_tokens >> 3")
    assert banner.text == "Invalid filter expression\n" + str(raised.value).replace("\n  ", "\n  ")
    assert banner.find_element(By.CSS_SELECTOR, "pre").text == str(raised.value)


def test_open_a_session_and_see_its_traces(browser: Any, server: Any, store: Any, artifacts: str) -> None:
    open_page(browser, server, "#/sessions")
    row = next(r for r in find_all(browser, "session-row") if r.get_attribute("data-session-id") == "ui-alice-1")
    click_and_wait(browser, row)
    assert find(browser, "session-title").text == "ui-alice-1"
    detail = store.session("ui-alice-1")
    rows = find_all(browser, "trace-row")
    assert [r.get_attribute("data-trace-id") for r in rows] == [t.trace_id for t in detail.traces]
    shown = [
        {c.get_attribute("data-col"): c.text for c in r.find_elements(By.CSS_SELECTOR, "td[data-col]")} for r in rows
    ]
    assert [tags(r, "models") for r in rows] == [
        list(t.models[:2]) + ([f"+{len(t.models) - 2}"] if len(t.models) > 2 else []) for t in detail.traces
    ]
    assert [{k: v for k, v in s.items() if k not in ("start", "models")} for s in shown] == [
        {
            "name": t.name,
            "duration_s": fmt_duration(t.duration_s),
            "gap_s": fmt_duration(t.gap_s),
            "llm_calls": fmt_int(t.llm_calls),
            "input_tokens": fmt_int(t.input_tokens),
            "output_tokens": fmt_int(t.output_tokens),
            "total_tokens": fmt_int(t.total_tokens),
            "cache_read_tokens": fmt_int(t.cache_read_tokens),
            "cost_usd": fmt_usd(t.cost_usd),
            "ttft_s": fmt_duration(t.ttft_s),
            "errors": fmt_int(t.errors),
        }
        for t in detail.traces
    ]
    assert [s["duration_s"] for s in shown] == ["4.50 s", "2.00 s"]
    assert shown[1]["gap_s"] == "10.00 s"  # think time between the turns
    summary = {
        m.get_attribute("data-testid"): m.get_attribute("data-value")
        for m in find_all(browser, "session-summary")[0].find_elements(By.CSS_SELECTOR, ".metric")
    }
    assert summary == {
        "sum-duration": str(detail.summary.duration_s),
        "sum-traces": "2",
        "sum-llm-calls": "4",
        "sum-input-tokens": "328",
        "sum-output-tokens": "140",
        "sum-total-tokens": "468",
        "sum-cost": "0.001708",  # ui_scenario.PRICES
        "sum-cache-hit": "0",  # no cache reads in this session
        "sum-cache-saved": "0",
        "sum-errors": "0",
    }
    screenshot(browser, artifacts, "session-details")


def test_open_a_trace_and_see_its_spans_as_a_waterfall(browser: Any, server: Any, store: Any, artifacts: str) -> None:
    detail = store.session(ui_scenario.WATERFALL_SESSION)
    open_page(browser, server, f"#/session/{ui_scenario.WATERFALL_SESSION}")
    click_and_wait(browser, find_all(browser, "trace-link")[0])
    tree = store.trace(detail.traces[0].trace_id)
    assert find(browser, "trace-title").text == tree.trace_id

    rows = find_all(browser, "span-row")
    assert [r.find_element(By.CSS_SELECTOR, '[data-testid="span-name"]').text for r in rows] == [
        s.name for s in tree.spans
    ]
    assert [s.name for s in tree.spans] == [
        "turn-1",
        "chat gpt-4o",
        "chat gpt-4o-mini",
        "embeddings text-embedding-3-small",
    ]
    assert [int(r.get_attribute("data-depth")) for r in rows] == [0, 1, 1, 1]
    # Bars: left edge at the start offset, width proportional to the duration (1.0 s, 3.0 s, 0.5 s).
    track = rows[0].find_element(By.CSS_SELECTOR, ".wf-track").rect
    bars = [r.find_element(By.CSS_SELECTOR, '[data-testid="span-bar"]').rect for r in rows]
    assert [round(s.duration_s, 6) for s in tree.spans] == [4.5, 1.0, 3.0, 0.5]
    for bar, span in zip(bars, tree.spans, strict=True):
        assert bar["width"] == pytest.approx(track["width"] * span.duration_s / tree.duration_s, abs=1.0)
        assert bar["x"] - track["x"] == pytest.approx(track["width"] * span.start_offset_s / tree.duration_s, abs=1.0)
    assert bars[2]["width"] == pytest.approx(3 * bars[1]["width"], abs=1.5)
    assert [r.find_element(By.CSS_SELECTOR, '[data-testid="span-duration"]').text for r in rows] == [
        "4.50 s",
        "1.00 s",
        "3.00 s",
        "500 ms",
    ]
    # Colour by kind: the CHAIN root, LLM calls and the embedding differ.
    colours = [
        r.find_element(By.CSS_SELECTOR, '[data-testid="span-bar"]').value_of_css_property("background-color")
        for r in rows
    ]
    assert colours[1] == colours[2] and len({colours[0], colours[1], colours[3]}) == 3

    # Selecting a span shows its attributes, and the URL remembers it.
    rows[2].click()
    assert find(browser, "span-details-name").text == "chat gpt-4o-mini"
    attrs = {
        r.get_attribute("data-attr"): r.find_element(By.CSS_SELECTOR, ".attr-value").text
        for r in find(browser, "span-attributes").find_elements(By.CSS_SELECTOR, "tr")
    }
    assert attrs["gen_ai.request.model"] == "gpt-4o-mini"
    box = find(browser, "span-overview")
    overview = dict(
        zip(
            [e.text for e in box.find_elements(By.CSS_SELECTOR, "dt")],
            [e.text for e in box.find_elements(By.CSS_SELECTOR, "dd")],
            strict=True,
        )
    )
    shown = (overview["Model"], overview["Tokens in / out"], overview["Duration"])
    assert shown == ("gpt-4o-mini", "20 / 10", "3.00 s")
    assert f"span={tree.spans[2].span_id}" in browser.current_url
    screenshot(browser, artifacts, "trace")
    browser.refresh()
    wait_ready(browser)
    assert find(browser, "span-details-name").text == "chat gpt-4o-mini"


def test_captured_markup_renders_as_text(browser: Any, server: Any, store: Any, artifacts: str) -> None:
    detail = store.session("ui-carol-xss")
    trace = store.trace(detail.traces[0].trace_id)
    llm = next(s for s in trace.spans if s.span_kind == "LLM")
    open_page(browser, server, f"#/trace/{trace.trace_id}?span={llm.span_id}")
    panel = find(browser, "span-details")
    content = find(browser, "span-content").text
    # Shown as written (messages are rendered as text, not as JSON-escaped strings).
    assert ui_scenario.XSS_PROMPT in content, content
    assert panel.find_elements(By.CSS_SELECTOR, "script, img, iframe") == []
    assert find_all(browser, "content-not-captured") == []
    assert browser.execute_script("return window.__xss === undefined && document.title !== 'pwned'")
    assert browser.execute_script("return document.querySelectorAll('script').length") == 1  # app.js only
    assert browser.execute_script("return document.querySelectorAll('#main img').length") == 0
    screenshot(browser, artifacts, "trace-content")


def test_a_failed_call_is_selected_and_marked_red(browser: Any, server: Any, store: Any) -> None:
    trace = store.trace(store.session("ui-carol-xss").traces[1].trace_id)
    assert [(s.name, s.status, s.error_type) for s in trace.spans] == [
        ("turn-2", "UNSET", None),
        ("chat gpt-4o-mini", "ERROR", "openai.InternalServerError"),
    ]
    open_page(browser, server, f"#/trace/{trace.trace_id}")
    assert find(browser, "span-details-name").text == "chat gpt-4o-mini"  # the failed span, not the root
    assert find(browser, "span-status").text == "ERROR \u2014 openai.InternalServerError"
    rows = find_all(browser, "span-row")
    badge = rows[1].find_element(By.CSS_SELECTOR, ".badge-error")
    assert (badge.text, badge.get_attribute("title")) == ("error", "openai.InternalServerError")
    red = rows[1].find_element(By.CSS_SELECTOR, '[data-testid="span-bar"]').value_of_css_property("background-color")
    assert red == "rgba(220, 38, 38, 1)"
    assert find(browser, "span-content").text.startswith("gen_ai.input.messages")  # the prompt that failed


# --- Model analysis -----------------------------------------------------------------------------------


def test_model_analysis_shows_the_numbers_the_api_returns(
    browser: Any, server: Any, store: Any, artifacts: str
) -> None:
    open_page(browser, server, "#/sessions")
    click_and_wait(browser, find(browser, "tab-models"))
    models = store.models(since="24h")
    select = Select(find(browser, "model-select"))
    assert [o.text for o in select.options] == [m.model for m in models]
    assert select.first_selected_option.text == "gpt-4o"  # most requests first

    before = browser.execute_script("return location.hash")
    select.select_by_visible_text("gpt-4o-mini")
    WebDriverWait(browser, WAIT_S).until(lambda d: d.execute_script("return location.hash") != before)
    wait_ready(browser)
    assert find(browser, "model-name").text == "gpt-4o-mini"
    assert "model=gpt-4o-mini" in browser.current_url

    m = store.model("gpt-4o-mini", since="24h")
    assert (m.requests, m.errors, m.input_tokens, m.output_tokens) == (3, 1, 320, 210)
    expected = {
        "metric-requests": (m.requests, fmt_int(m.requests)),
        "metric-errors": (m.errors, fmt_int(m.errors)),
        "metric-error-rate": (m.error_rate, fmt_pct(m.error_rate)),
        "metric-input-tokens": (m.input_tokens, fmt_int(m.input_tokens)),
        "metric-output-tokens": (m.output_tokens, fmt_int(m.output_tokens)),
        "metric-latency-p50": (m.latency.p50, fmt_duration(m.latency.p50)),
        "metric-latency-p90": (m.latency.p90, fmt_duration(m.latency.p90)),
        "metric-latency-p99": (m.latency.p99, fmt_duration(m.latency.p99)),
        "metric-ttft-p50": (m.ttft.p50, fmt_duration(m.ttft.p50)),
    }
    for testid, (raw, text) in expected.items():
        card = find(browser, testid)
        assert find(browser, f"{testid}-value").text == text, testid
        assert float(card.get_attribute("data-value")) == pytest.approx(raw), testid
    assert find(browser, "metric-error-rate-value").text == "33.33%"
    assert find(browser, "metric-latency-p50-value").text == "2.00 s"
    for chart in ("chart-requests", "chart-tokens", "chart-latency", "chart-ttft"):
        assert find(browser, f"{chart}-svg").is_displayed(), chart
    # The requests chart draws one bar per bucket with calls, per series.
    bars = find(browser, "chart-requests").find_elements(By.CSS_SELECTOR, "rect.bar")
    assert len(bars) == sum(1 for b in m.series if b.requests) + sum(1 for b in m.series if b.errors)
    errors = {
        r.find_elements(By.CSS_SELECTOR, "td")[0].text: r
        for r in find(browser, "error-types").find_elements(By.CSS_SELECTOR, "tr")
    }
    assert list(errors) == list(m.error_types) == ["openai.InternalServerError"]

    rows = find_all(browser, "model-row")
    table = [
        (r.get_attribute("data-model"), r.find_element(By.CSS_SELECTOR, 'td[data-col="requests"]').text) for r in rows
    ]
    assert table == [(x.model, fmt_int(x.requests)) for x in models]
    screenshot(browser, artifacts, "models")

    # The comparison table picks a model too.
    click_and_wait(browser, next(r for r in rows if r.get_attribute("data-model") == "gpt-4o"))
    assert find(browser, "model-name").text == "gpt-4o"
    assert find(browser, "metric-requests-value").text == fmt_int(store.model("gpt-4o", since="24h").requests)


def test_time_window_presets_custom_range_and_tabs_keep_it(browser: Any, server: Any, store: Any) -> None:
    open_page(browser, server, "#/sessions")
    click_and_wait(browser, find(browser, "window-15m"))  # the scenario ran three hours ago
    assert find_all(browser, "session-row") == []
    assert find(browser, "no-sessions").text.startswith("No sessions match")
    assert "window=15m" in browser.current_url

    # A custom range around the alice sessions only (the inputs are in the browser's local time).
    alice = store.sessions(since="24h", user="alice", order_by="start")
    since, until = alice[0].start, alice[-1].end
    find(browser, "window-custom").click()
    browser.execute_script(
        "const [s, u, since, until] = arguments;"
        "const local = (iso) => { const d = new Date(iso); d.setSeconds(0, 0);"
        "  return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16); };"
        "s.value = local(since); u.value = local(new Date(new Date(until).getTime() + 60000).toISOString());",
        find(browser, "custom-since"),
        find(browser, "custom-until"),
        since.isoformat(),
        until.isoformat(),
    )
    click_and_wait(browser, find(browser, "custom-apply"))
    assert "window=custom" in browser.current_url
    shown = session_ids(browser)
    minute = since.replace(second=0, microsecond=0)
    assert shown == [s.session_id for s in store.sessions(since=minute, until=until.timestamp() + 60)]
    assert shown[-2:] == ["ui-alice-2", "ui-alice-1"]

    # The model tab looks at the same window, and a reload keeps the chosen model.
    click_and_wait(browser, find(browser, "tab-models"))
    assert "window=custom" in browser.current_url
    assert find(browser, "window-custom").get_attribute("class") == "seg active"
    click_and_wait(browser, find(browser, "window-7d"))
    Select(find(browser, "model-select")).select_by_visible_text("text-embedding-3-small")
    WebDriverWait(browser, WAIT_S).until(lambda d: "model=text-embedding-3-small" in d.current_url)
    wait_ready(browser)
    browser.refresh()
    wait_ready(browser)
    assert find(browser, "model-name").text == "text-embedding-3-small"
    assert Select(find(browser, "model-select")).first_selected_option.text == "text-embedding-3-small"
    assert find(browser, "metric-requests-value").text == "1"


# --- captured content: the conventions' shape and rows stored before it ----------------------------------

OLD_INPUT = '[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"old hello"}]}]'
OLD_OUTPUT = (
    '[{"role":"assistant","content":"old answer","tool_calls":[{"id":"call_1","name":"lookup",'
    '"arguments":"{\\"q\\": 1}"}],"finish_reason":"tool_calls"}]'
)
NEW_INPUT = (
    '[{"role":"user","parts":[{"type":"text","content":"new hello"},'
    '{"type":"blob","modality":"image","mime_type":"image/png","size":67}]},'
    '{"role":"tool","parts":[{"type":"tool_call_response","id":"call_2","response":"sunny"}]}]'
)
NEW_OUTPUT = (
    '[{"role":"assistant","parts":[{"type":"reasoning","content":"thinking it over"},'
    '{"type":"text","content":"new answ…[truncated]","truncated":true},'
    '{"type":"tool_call","id":"call_3","name":"lookup","arguments":{"q":2}}],"finish_reason":"stop"}]'
)


@pytest.fixture(scope="module")
def content_sink(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Two spans with captured content: one in the conventions' shape, one as older releases stored it."""
    import llm_agent

    path = str(tmp_path_factory.mktemp("ui-content") / "sink.sqlite")
    llm_agent.shutdown()
    llm_agent.init(backends=["sqlite"], sink_path=path, schedule_delay_s=0.05)
    try:
        with llm_agent.session("ui-content"):
            with llm_agent.trace(
                "old-row",
                {
                    "gen_ai.input.messages": OLD_INPUT,
                    "gen_ai.output.messages": OLD_OUTPUT,
                    "gen_ai.system_instructions": '"old system"',
                },
            ):
                pass
            with llm_agent.trace(
                "new-row",
                {
                    "gen_ai.input.messages": NEW_INPUT,
                    "gen_ai.output.messages": NEW_OUTPUT,
                    "gen_ai.system_instructions": '[{"type":"text","content":"new system"}]',
                },
            ):
                pass
        assert llm_agent.flush(10.0)
    finally:
        llm_agent.shutdown()
    return path


def _content_texts(browser: Any, server_url: str, store: Any, name: str) -> dict[str, str]:
    trace = next(t for t in store.session("ui-content").traces if t.name == name)
    browser.get(f"{server_url}#/trace/{trace.trace_id}")
    wait_ready(browser)
    keys = ("gen_ai.system_instructions", "gen_ai.input.messages", "gen_ai.output.messages")
    return {k: find(browser, f"content-{k}").text for k in keys}


def test_content_in_both_shapes_renders(browser: Any, content_sink: str, artifacts: str) -> None:
    import contextlib

    import llm_agent.analysis
    from llm_agent import ui

    with (
        ui.make_server(db=content_sink, port=0).start() as srv,
        contextlib.closing(llm_agent.analysis.open(content_sink)) as store,
    ):
        old = _content_texts(browser, srv.url, store, "old-row")
        screenshot(browser, artifacts, "trace-content-old-shape")
        new = _content_texts(browser, srv.url, store, "new-row")
        screenshot(browser, artifacts, "trace-content-new-shape")
    assert old == {
        "gen_ai.system_instructions": "gen_ai.system_instructions\nold system",
        "gen_ai.input.messages": "gen_ai.input.messages\nSYSTEM\nbe brief\nUSER\nold hello",  # roles in capitals (CSS)
        "gen_ai.output.messages": 'gen_ai.output.messages\nASSISTANT · TOOL_CALLS\nold answer\n→ lookup({"q": 1})',
    }
    assert new == {
        "gen_ai.system_instructions": "gen_ai.system_instructions\nnew system",
        "gen_ai.input.messages": "gen_ai.input.messages\nUSER\nnew hello\n[image image/png, 67 bytes, not recorded]"
        "\nTOOL\n← [call_2] sunny",
        "gen_ai.output.messages": "gen_ai.output.messages\nASSISTANT · STOP\n[reasoning] thinking it over\n"
        'new answ…[truncated]\n→ lookup({\n  "q": 2\n})  [call_3]',
    }


# --- USD cost --------------------------------------------------------------------------------------------


def fmt_usd(v: float | None) -> str:
    """The page's fmtUsd."""
    if v is None:
        return "\u2014"
    if v != 0 and abs(v) < 0.0001:
        return f"${v:.6f}"
    if v != 0 and abs(v) < 0.01:
        return f"${v:.4f}"
    return f"${v:,.2f}"


def test_costs_on_sessions_models_and_the_users_view(browser: Any, server: Any, store: Any, artifacts: str) -> None:
    # Sessions: a Cost column, sortable, unknown never shown as $0.
    open_page(browser, server, "#/sessions?order_by=-cost")
    rows = store.sessions(since="24h", order_by="-cost")
    assert session_ids(browser) == [r.session_id for r in rows]
    cells = {r.get_attribute("data-session-id"): r.find_element(By.CSS_SELECTOR, 'td[data-col="cost_usd"]').text
             for r in find_all(browser, "session-row")}  # fmt: skip
    # alice-1: gpt-4o 300 in / 130 out at $2/$8, gpt-4o-mini 20 / 10 at $1/$4, the embedding 8 at $1.
    alice = next(r for r in rows if r.session_id == "ui-alice-1")
    assert (alice.cost_usd, alice.unpriced_calls) == ((300 * 2000 + 130 * 8000 + 20 * 1000 + 10 * 4000 + 8000) / 1e9, 0)
    carol = next(r for r in rows if r.session_id == "ui-carol-xss")
    assert carol.unpriced_calls == 1  # the failed call reported no usage
    assert cells == {
        r.session_id: fmt_usd(r.cost_usd) + (f" +{r.unpriced_calls} unpriced" if r.unpriced_calls else "") for r in rows
    }

    # Model analysis: every model side by side first, with cost; cost cards and the cost chart.
    open_page(browser, server, "#/models?model=gpt-4o")
    models = store.models(since="24h")
    overview = find(browser, "models-table")
    assert browser.execute_script(
        "return arguments[0].compareDocumentPosition(arguments[1]) & Node.DOCUMENT_POSITION_FOLLOWING",
        overview, find(browser, "model-summary"),
    )  # fmt: skip
    table = [(r.get_attribute("data-model"), r.find_element(By.CSS_SELECTOR, 'td[data-col="cost_usd"]').text,
              r.find_element(By.CSS_SELECTOR, 'td[data-col="cost_per_1k_calls_usd"]').text)
             for r in find_all(browser, "model-row")]  # fmt: skip
    assert table == [
        (m.model, fmt_usd(m.cost_usd) + (f" +{m.unpriced_calls} unpriced" if m.unpriced_calls else ""),
         fmt_usd(m.cost_per_1k_calls_usd)) for m in models
    ]  # fmt: skip
    m = store.model("gpt-4o", since="24h")
    assert find(browser, "metric-cost-value").text == fmt_usd(m.cost_usd)
    assert float(find(browser, "metric-cost").get_attribute("data-value")) == pytest.approx(m.cost_usd)
    assert m.cost_per_call is not None
    assert find(browser, "metric-cost-p50-value").text == fmt_usd(m.cost_per_call.p50)
    assert find(browser, "chart-cost-svg").is_displayed()
    bars = find(browser, "chart-cost").find_elements(By.CSS_SELECTOR, "rect.bar")
    assert len(bars) == sum(1 for b in m.series if b.cost_usd)
    screenshot(browser, artifacts, "models-cost")

    # Users: sorted by cost, most expensive first.
    click_and_wait(browser, find(browser, "tab-users"))
    users = sorted(store.users(since="24h"), key=lambda u: -(u.cost_usd if u.cost_usd is not None else -1))
    shown = [(r.get_attribute("data-user"), r.find_element(By.CSS_SELECTOR, 'td[data-col="cost_usd"]').text)
             for r in find_all(browser, "user-row")]  # fmt: skip
    assert shown == [
        (u.user_id, fmt_usd(u.cost_usd) + (f" +{u.unpriced_calls} unpriced" if u.unpriced_calls else "")) for u in users
    ]
    assert shown[0][0] == "dave"  # 1000 in / 500 out of gpt-4o
    screenshot(browser, artifacts, "users")
    # A user opens their sessions, most expensive first.
    click_and_wait(browser, find_all(browser, "user-row")[0])
    assert session_ids(browser) == ["ui-dave"]
