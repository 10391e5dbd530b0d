"""Reading the page after a click on Next or Submit: the outcome table in one place.

After the submit, first match wins:

================================================  =======================
the page shows                                    outcome
================================================  =======================
the recipe's success signal (text, URL, status)   SUBMITTED_CONFIRMED
a document with HTTP >= 500                       HTTP_ERROR
a CAPTCHA                                         BLOCKED_CAPTCHA
validation messages, or an alert() and no
  new page                                        VALIDATION_ERROR
a document with HTTP 4xx                          HTTP_ERROR
(no recipe signal) a new thank-you phrase,
  or a new URL (2xx) without the form             SUBMITTED_CONFIRMED
nothing clear (yet)                               None: keep looking, then
                                                  SUBMITTED_UNCONFIRMED
================================================  =======================

A recipe with a success signal is trusted over the heuristics: when its
signal does not show, a "thank you" elsewhere does not confirm.
After "Next" only the failures are checked (``after_step``).
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Error as PlaywrightError

from experiments.model import SuccessSignal
from runners import form_signals as signals
from runners.form_traffic import Since
from runners.jobs import BLOCKED_CAPTCHA, HTTP_ERROR, SUBMITTED_CONFIRMED, VALIDATION_ERROR


@dataclass(frozen=True)
class Before:
    """The page right before a click, to tell new messages from old ones."""

    url: str
    text: str
    problems: frozenset[str]

    @classmethod
    def of(cls, page) -> Before:
        text, problems = signals.text_and_messages(page)
        return cls(page.url, text, frozenset(p["text"] for p in problems))


@dataclass(frozen=True)
class Verdict:
    outcome: str
    message: str
    page_messages: list[str]


def problems_after(page, since: Since, before: Before) -> list[str]:
    """Validation messages the click brought about.

    HTML5 constraint failures count only when they stopped the browser
    from sending anything; other messages count on a new page, or when
    they were not on the page before the click.
    """
    keep = []
    for p in signals.validation_messages(page):
        if p["kind"] == "invalid":
            if p["blocking"] and not since.sent and not since.navigated:
                keep.append(p)
        elif since.navigated or p["text"] not in before.problems:
            keep.append(p)
    return signals.describe_messages(keep)


def after_step(page, since: Since, before: Before, description: str, step: int) -> Verdict | None:
    """A failure after clicking "Next", or None when the next page may be filled."""
    never = "the final submit was never clicked"
    if since.status and since.status >= 500:
        return Verdict(HTTP_ERROR, f"after {description}, {page.url} answered HTTP {since.status}; {never}", [])
    markers = signals.captcha_markers(page)
    if markers:
        return Verdict(BLOCKED_CAPTCHA, f"after {description}, a CAPTCHA ({'; '.join(markers[:3])}); Knock does "
                                        f"not interact with CAPTCHAs; {never}", [])
    problems = problems_after(page, since, before) + since.dialogs
    if problems:
        return Verdict(VALIDATION_ERROR, f"the form did not accept step {step} ({description}); {never}", problems)
    if since.status and since.status >= 400:
        return Verdict(HTTP_ERROR, f"after {description}, {page.url} answered HTTP {since.status}; {never}", [])
    return None


def after_submit(page, since: Since, before: Before, success: SuccessSignal | None, filled_names: set[str],
                 description: str) -> Verdict | None:
    """The outcome once the page has said something clear, else None (see the module's table)."""
    done = f"clicked {description}"
    dialogs = since.dialogs
    heard = "\n".join([signals.page_text(page), *dialogs])
    if success:
        if success.text and signals.contains_text(heard, success.text):
            return Verdict(SUBMITTED_CONFIRMED, f"{done}; the page shows {success.text!r}", dialogs)
        if success.url_contains and success.url_contains in page.url:
            return Verdict(SUBMITTED_CONFIRMED, f"{done}; now at {page.url}", dialogs)
        if success.status and since.status == success.status:
            return Verdict(SUBMITTED_CONFIRMED, f"{done}; the site answered HTTP {since.status}", dialogs)
    if since.status and since.status >= 500:
        return Verdict(HTTP_ERROR, f"{done}; {page.url} answered HTTP {since.status}: the site may or may not "
                                   "have recorded the submission", dialogs)
    markers = signals.captcha_markers(page)
    if markers:
        return Verdict(BLOCKED_CAPTCHA, f"{done}; a CAPTCHA appeared ({'; '.join(markers[:3])}); Knock does not "
                                        "interact with CAPTCHAs", dialogs)
    problems = problems_after(page, since, before)
    refused_by_alert = dialogs and not since.navigated and not signals.success_phrase("\n".join(dialogs))
    if problems or refused_by_alert:
        if not since.sent and not since.navigated:
            how = "the form refused the submission before sending it (nothing left the browser)"
        else:
            how = "the site rejected the submission"
        return Verdict(VALIDATION_ERROR, f"{done}; {how}", problems + dialogs)
    if since.status and since.status >= 400:
        return Verdict(HTTP_ERROR, f"{done}; {page.url} answered HTTP {since.status}", dialogs)
    if not success:
        phrase = signals.success_phrase(heard, before.text)
        if phrase:
            return Verdict(SUBMITTED_CONFIRMED, f"{done}; the page says {phrase!r}", dialogs)
        if (since.navigated and page.url != before.url and since.status and since.status < 300
                and page.url.startswith(("http://", "https://")) and not _form_still_there(page, filled_names)):
            return Verdict(SUBMITTED_CONFIRMED, f"{done}; moved to {page.url} (HTTP {since.status}) "
                                                "and the form is gone", dialogs)
    return None


def signal_text(success: SuccessSignal) -> str:
    """``text 'Thank you' or URL containing '/thanks'`` (for the unconfirmed message)."""
    parts = [f"text {success.text!r}" if success.text else "",
             f"URL containing {success.url_contains!r}" if success.url_contains else "",
             f"HTTP {success.status}" if success.status else ""]
    return " or ".join(p for p in parts if p)


def _form_still_there(page, names: set[str]) -> bool:
    try:
        return bool(names) and page.evaluate(
            "names => names.some(n => document.getElementsByName(n).length > 0)", sorted(names))
    except PlaywrightError:
        return True
