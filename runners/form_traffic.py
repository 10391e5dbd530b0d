"""What the attempt page did on the network, and when it went quiet.

After a click, "did anything leave?", "did the page change?", "what
status did the new page have?" and "has it settled?" decide the outcome.
``Traffic`` listens to the page's events from the start; ``mark()``
remembers where the counters stood right before a click and ``since()``
answers those questions for everything after it.

Playwright's own ``networkidle`` is not used: it says nothing about a
navigation that has not started yet, and a click's form submission starts
a few milliseconds later. ``wait_quiet`` waits a short grace period first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from playwright.sync_api import Error as PlaywrightError

QUIET_MS = 500   # no request started or finished for this long: the page has settled (as networkidle)
GRACE_MS = 300   # a click's navigation starts within this; never call the page quiet before
NAVIGATED_QUIET_MS = 200  # after a new document has loaded: late requests start within this
POLL_MS = 50


@dataclass(frozen=True)
class Mark:
    requests: int
    documents: int
    dialogs: int
    url: str


@dataclass(frozen=True)
class Since:
    status: int | None        # HTTP status of the last main-frame document loaded since the mark
    navigated: bool           # a new document, or at least a new URL
    sent: bool                # a request to an allowed host went out
    dialogs: list[str]        # alert()/confirm() texts shown since the mark


class Traffic:
    """The page's requests, main-frame documents and dialogs, as they happen."""

    def __init__(self, page):
        self.page = page
        self.inflight: set = set()
        self.requests: list = []
        self.documents: list[tuple[int, str]] = []  # (status, url) of main-frame documents
        self.dialogs: list[str] = []
        self.last_activity = time.monotonic()
        page.on("request", self._start)
        page.on("requestfinished", self._end)
        page.on("requestfailed", self._end)
        page.on("response", self._response)
        page.on("dialog", self._dialog)

    def mark(self) -> Mark:
        return Mark(len(self.requests), len(self.documents), len(self.dialogs), self.page.url)

    def since(self, mark: Mark, allowed: Callable[[str], bool]) -> Since:
        documents = self.documents[mark.documents:]
        return Since(
            status=documents[-1][0] if documents else None,
            navigated=bool(documents) or self.page.url != mark.url,
            sent=any(allowed(r.url) for r in self.requests[mark.requests:]),
            dialogs=self.dialogs[mark.dialogs:],
        )

    def quiet(self) -> bool:
        return not self.inflight and (time.monotonic() - self.last_activity) * 1000 >= QUIET_MS

    def _wait_quiet_for(self, deadline: float, quiet_ms: int, answered: Callable[[], bool] | None = None) -> bool:
        while time.monotonic() < deadline:
            if not self.inflight and (time.monotonic() - self.last_activity) * 1000 >= quiet_ms:
                return True
            # Nothing in flight before and after the look (requests start while it runs): what the
            # thank-you page starts later (analytics, a conversion ping) is not waited for.
            if answered is not None and not self.inflight and answered() and not self.inflight:
                return True
            self.page.wait_for_timeout(POLL_MS)
        return False

    def wait_quiet(self, deadline: float, not_before: float = 0.0,
                   answered: Callable[[], bool] | None = None) -> bool:
        """Poll (letting Playwright deliver events) until quiet; False if ``deadline`` came first.

        ``answered()``, checked after the ``not_before`` grace while nothing is
        in flight (closing the page would cut a request off), ends it early.
        """
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(POLL_MS)
            if time.monotonic() < not_before:
                continue
            if self.quiet() or (answered is not None and not self.inflight and answered() and not self.inflight):
                return True
        return False

    def settle(self, mark: Mark, deadline: float, answered: Callable[[], bool] | None = None) -> bool:
        """After a click: grace, quiet, then the new document's "load"; False on timeout.

        Documents are counted from ``mark`` (taken before the click), not
        from now: Playwright's click already waits for the navigation it
        started to commit, so the answer page is often in before this is
        called. When the click brought a new main-frame document, its
        arrival ends the grace period and a shorter quiet spell suffices:
        the form was answered by a page, not by scripts still at work.
        ``answered()`` ends the wait early once the page has loaded: the
        caller's success signal is there, so late requests cannot change
        the outcome.
        """
        grace_end = time.monotonic() + GRACE_MS / 1000
        while True:
            if len(self.documents) > mark.documents:
                if not self._loaded(deadline):
                    return False
                return self._wait_quiet_for(deadline, NAVIGATED_QUIET_MS, answered)
            if time.monotonic() >= min(grace_end, deadline):
                break
            self.page.wait_for_timeout(POLL_MS)
        if not self.wait_quiet(deadline, grace_end, answered):
            return False
        return self._loaded(deadline)

    def _loaded(self, deadline: float) -> bool:
        try:
            self.page.wait_for_load_state("load", timeout=max(1.0, (deadline - time.monotonic()) * 1000))
        except PlaywrightError:
            return False
        return True

    # -- listeners ---------------------------------------------------------------------

    def _start(self, request) -> None:
        self.inflight.add(request)
        self.requests.append(request)
        self.last_activity = time.monotonic()

    def _end(self, request) -> None:
        self.inflight.discard(request)
        self.last_activity = time.monotonic()

    def _response(self, response) -> None:
        try:
            if response.request.is_navigation_request() and response.frame == self.page.main_frame:
                self.documents.append((response.status, response.url))
        except PlaywrightError:
            pass

    def _dialog(self, dialog) -> None:
        # alert() is a message to the user; confirm("Send?") is part of the submit we decided on.
        self.dialogs.append(dialog.message)
        try:
            if dialog.type in ("confirm", "beforeunload"):
                dialog.accept()
            else:
                dialog.dismiss()
        except PlaywrightError:
            pass
