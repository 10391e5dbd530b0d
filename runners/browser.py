"""The one factory for Chromium and its contexts.

Every launch option, timeout, viewport and locale is set here and nowhere
else (as shot-scraper's ``_browser_context`` does), so tests, preflight and
the runner see the same browser.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

CHROMIUM_PATH = os.environ.get("KNOCK_CHROMIUM", "/usr/bin/chromium")

# Debian's chromium as root needs --no-sandbox; the network flags stop it
# from phoning home, which this machine (and a polite runner) must not do.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--dns-prefetch-disable",
]


class BrowserMissing(RuntimeError):
    """Chromium is not installed where Knock looks for it: run `make setup` or set KNOCK_CHROMIUM."""


@dataclass(frozen=True)
class ContextOptions:
    viewport_width: int = 1280
    viewport_height: int = 900
    locale: str = "en-GB"
    timezone_id: str = "UTC"
    navigation_timeout_ms: int = 20_000
    action_timeout_ms: int = 10_000


def launch_chromium(playwright, headless: bool = True):
    """Launch Debian's Chromium (Playwright cannot download browsers here)."""
    if not os.path.exists(CHROMIUM_PATH):
        raise BrowserMissing(f"no Chromium at {CHROMIUM_PATH}: run `make setup` or set KNOCK_CHROMIUM")
    _register_selectors(playwright)
    return playwright.chromium.launch(
        executable_path=CHROMIUM_PATH, headless=headless, args=CHROMIUM_ARGS
    )


def _register_selectors(playwright) -> None:
    """Knock's selector engine ("a control a person can see"), once per Playwright instance."""
    from playwright.sync_api import Error as PlaywrightError

    from runners.form_fields import SHOWN_ENGINE, SHOWN_ENGINE_JS

    try:
        playwright.selectors.register(SHOWN_ENGINE, SHOWN_ENGINE_JS, content_script=True)
    except PlaywrightError as exc:
        if "already registered" not in str(exc):
            raise


def new_context(browser, options: ContextOptions = ContextOptions(), proxy: dict | None = None):
    """A fresh, isolated context: no shared cookies between contacts.

    Attempts never call this directly: ``runners.form_guard.guarded_context``
    adds the proxy that keeps them on their allowed hosts.
    """
    context = browser.new_context(
        viewport={"width": options.viewport_width, "height": options.viewport_height},
        locale=options.locale,
        timezone_id=options.timezone_id,
        accept_downloads=False,
        # A service worker would outlive the attempt and could answer requests from a cache.
        service_workers="block",
        proxy=proxy,
    )
    context.set_default_navigation_timeout(options.navigation_timeout_ms)
    context.set_default_timeout(options.action_timeout_ms)
    return context


class LazyBrowser:
    """A Playwright and a Chromium for one thread, started on first use.

    Playwright's sync API must not be shared across threads, and a thread may
    hold only one: each executor, worker thread and preflight owns one of these.
    """

    def __init__(self, headless: bool = True):
        self.headless = headless
        self._playwright = self._browser = None

    def get(self):
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = launch_chromium(self._playwright, self.headless)
        return self._browser

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._playwright.stop()
            self._browser = self._playwright = None
