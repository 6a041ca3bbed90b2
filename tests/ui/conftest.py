"""Fixtures: a sink from real instrumented calls, the page's server on 127.0.0.1, headless Chromium.

The browser is Debian's ``chromium`` + ``chromium-driver`` (``apt-get install chromium
chromium-driver``), driven by Selenium with no downloads at test time; browser tests are skipped,
saying so, only when those two programs are not installed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import ui_scenario

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: Screenshots of each tab land here (gitignored) for a human to look at.
ARTIFACTS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "artifacts", "ui"
)


@pytest.fixture(scope="session")
def sink(tmp_path_factory: pytest.TempPathFactory) -> str:
    if not ui_scenario.openai_instrumentation_available():
        pytest.skip("llm_agent.instrumentation.openai is not available: the UI sink is recorded from real calls")
    path = str(tmp_path_factory.mktemp("ui-sink") / "sink.sqlite")
    ui_scenario.build_sink(path)
    return path


@pytest.fixture
def store(sink: str) -> Iterator[Any]:
    import llm_agent.analysis

    with contextlib.closing(llm_agent.analysis.open(sink)) as s:
        yield s


@pytest.fixture(scope="session")
def server(sink: str) -> Iterator[Any]:
    from llm_agent import ui

    with ui.make_server(db=sink, port=0).start() as srv:
        yield srv


def _browser_programs() -> tuple[str, str] | None:
    chromium = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    driver = CHROMEDRIVER if os.path.exists(CHROMEDRIVER) else shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    programs = _browser_programs()
    if programs is None:
        pytest.skip(
            "headless browser tests need Debian's chromium and chromedriver: apt-get install chromium chromium-driver"
        )
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager reach for the network
    options = webdriver.ChromeOptions()
    options.binary_location = programs[0]
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--window-size=1440,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(programs[1]), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def artifacts() -> str:
    os.makedirs(ARTIFACTS, exist_ok=True)
    return ARTIFACTS
