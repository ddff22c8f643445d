"""Fixtures for the kiosk in a real browser: a live server and Chromium.

These tests serve the app from a thread on 127.0.0.1 with their own SQLite
database, whatever TEST_DATABASE_URL says, so the PostgreSQL pass skips them
rather than run the same thing twice. Without /usr/bin/chromium or playwright
they are skipped, unless TONGSHENG_REQUIRE_BROWSER=1 (set by CI) makes that a
failure. `pytest -m "not browser"` leaves them out.
"""

import os

import pytest

from tests.browser.live import TABLET, LiveServer, launch_chromium, missing_browser

REQUIRED = os.environ.get("TONGSHENG_REQUIRE_BROWSER") == "1"
POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


def pytest_configure(config):
    """Register the browser mark."""
    config.addinivalue_line(
        "markers", "browser: runs the kiosk in a real Chromium (SQLite pass only)"
    )


def pytest_collection_modifyitems(config, items):
    """Mark every test in this folder as a browser test."""
    folder = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(folder):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """Return the real app on a free loopback port, one launch per band."""
    if POSTGRES:
        pytest.skip("browser tests use their own SQLite database; run on SQLite")
    server = LiveServer(tmp_path_factory.mktemp("live")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """Return Debian's Chromium driven by Playwright, once per module."""
    if POSTGRES:
        pytest.skip("browser tests use their own SQLite database; run on SQLite")
    reason = missing_browser()
    if reason and REQUIRED:
        pytest.fail(f"TONGSHENG_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    if reason:
        pytest.skip(reason)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def tablet(browser):
    """Return a fresh browser context shaped like a 768×1024 touch tablet."""
    context = browser.new_context(**TABLET)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def open_kiosk(tablet, live_server):
    """Return a factory that opens a launch's kiosk on the tablet.

    band alone opens a fresh launch, so the database holds this test's answers
    only; voice True or False replaces the browser's speech with one that has
    a zh-CN voice or none. Every page must end without CSP violations or errors.
    """
    from tests.browser.pages import Kiosk

    opened = []

    def open_(band="6-8", code=None, voice=None):
        kiosk = Kiosk(tablet, live_server, code or live_server.new_launch(band), voice)
        opened.append(kiosk)
        return kiosk.open()

    yield open_
    for kiosk in opened:
        kiosk.check_clean()
