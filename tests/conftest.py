"""Shared fixtures: a fresh database, a real Chromium.

Missing infrastructure (browser, IMAP server, Redis) is a test failure,
never a skip: `make test` installs all of it, and CI must prove it did.
"""

from __future__ import annotations

import pytest

from runners.browser import launch_chromium, new_context


@pytest.fixture(scope="session")
def chromium():
    """One real Chromium for the session (Debian's, /usr/bin/chromium)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh context and page per test, closed afterwards."""
    context = new_context(chromium)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def clock():
    import datetime as dt

    from experiments.clock import FixedClock

    return FixedClock(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc))


@pytest.fixture
def store(tmp_path, clock):
    """A fresh database in a temporary directory, closed afterwards."""
    from experiments.store import Store

    s = Store(tmp_path / "knock.db", clock=clock)
    yield s
    s.close()
