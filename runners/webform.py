"""Submit one web form in a real browser, once, and say exactly what happened.

    result = submit_web(browser, job, contact_dir(root, job.experiment_id, job.contact_id), gate)
    if should_retry(result):
        ...  # only transient failures that happened before anything was sent

The flow of one attempt:

1. refuse a URL whose host is not in ``job.allowed_hosts``; open a fresh
   context that can reach nothing else (``runners.form_guard``);
2. open the page: unreachable -> HTTP_ERROR / TIMEOUT, HTTP >= 400 ->
   HTTP_ERROR, a redirect off the allowed hosts -> OFFSITE_REDIRECT;
3. a CAPTCHA -> BLOCKED_CAPTCHA (Knock never touches the widget);
4. fill by the recipe's locators, or detect fields by their labels
   (``runners.form_fields``); nothing fits -> FORM_NOT_FOUND;
5. at the first click that sends anything: screenshot "before"; a dry run
   stops here (DRY_RUN); otherwise ``before_submit()`` must return True
   (the coordinator has durably written ``submitting``), else ABORTED;
   then click and set ``submit_reached``;
6. judge the answer by the table in ``runners.form_outcome``.

On a multi-step form the first sending click is "Next": step 1 already
posts the persona's details to the company, and some sites keep those as a
lead. So a dry run stops before "Next", and ``before_submit`` is asked
there, once; anything that fails after it is never retried.

Page-level problems never raise: each becomes an outcome with a message
that names the URL, field or locator involved. A bug in Knock still raises.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from experiments.model import SEMANTIC_FIELDS, Recipe
from runners import form_outcome as outcome
from runners import form_signals as signals
from runners.browser import ContextOptions
from runners.evidence import AttemptFiles, Recorder, attempt_stamp
from runners.form_fields import (SHOWN_SELECTOR, Detected, button_locator, control_locator, detect,
                                 submit_button_near)
from runners.form_fill import (FORM_ACTION_JS, FillError, Upload, describe_locator, fill_control, first_usable,
                               kind_of, recipe_candidates)
from runners.form_guard import HostGuard, guarded_context, url_allowed
from runners.form_traffic import Traffic
from runners.jobs import (ABORTED, BLOCKED_CAPTCHA, DRY_RUN, FORM_NOT_FOUND, HTTP_ERROR, OFFSITE_REDIRECT,
                          SUBMITTED_CONFIRMED, SUBMITTED_UNCONFIRMED, TIMEOUT, AttemptResult, SubmissionJob)

LOAD_MS = 5_000          # after DOMContentLoaded, how long to wait for "load" (slow images are fine)
SETTLE_MS = 3_000        # how long a recipe locator or a script-rendered form may take to appear
POST_CLICK_MS = 15_000   # bounded wait for the site to answer a click on Next/Submit
LINGER_MS = 1_500        # after settling, how long to keep looking for a thank-you or an error
MAX_STEPS = 5            # pages of a multi-step form
DIRECT_FILL_MS = 250     # a recipe's text field not fillable at once goes the careful way (_resolve)
TEXT_FIELDS = frozenset({"name", "first_name", "last_name", "email", "phone", "company", "subject", "message"})

RETRYABLE_STATUS = frozenset({408, 425, 429})


def should_retry(result: AttemptResult) -> bool:
    """The one place that decides retries (crawlee's ``_should_retry_request``).

    Only transient failures before anything was sent: TIMEOUT, and
    HTTP_ERROR from the network or a 5xx/408/425/429 page. Never after
    ``submit_reached`` (the click may have gone through: a human decides),
    never a validation error, CAPTCHA, missing form or offsite redirect
    (trying again changes nothing), never a dry run or an abort. How many
    times is the coordinator's call.
    """
    if result.submit_reached:
        return False
    if result.outcome == TIMEOUT:
        return True
    if result.outcome == HTTP_ERROR:
        status = result.http_status
        return status is None or status >= 500 or status in RETRYABLE_STATUS
    return False


def submit_web(browser, job: SubmissionJob, evidence_dir: Path, before_submit: Callable[[], bool],
               options: ContextOptions = ContextOptions()) -> AttemptResult:
    """Fill and (unless ``job.dry_run``) submit ``job.url``'s form in a fresh context of ``browser``.

    The context is made here, guarded to ``job.allowed_hosts``, and closed
    afterwards: no cookies carry over between contacts, and no caller can
    hand in a context that reaches other hosts. ``options`` bound
    navigation and each action. Evidence files go to
    ``evidence_dir/<stamp>-<kind>.<ext>`` (``runners.evidence``; pass
    ``evidence.contact_dir(root, experiment, contact)`` for the standard
    layout) and their paths into ``result.evidence``. ``before_submit`` is
    called at most once, right before the first click that sends data; if
    it returns False nothing is clicked. If it raises, the exception
    propagates and nothing is clicked.
    """
    if not job.url:
        raise ValueError(f"contact {job.contact_id}: a {job.channel_type} job needs a url")
    url, allowed = job.url, job.allowed_hosts
    if urlsplit(url).scheme not in ("http", "https") or not url_allowed(url, allowed):
        return AttemptResult(OFFSITE_REDIRECT, f"refused: {url} is not an http(s) URL on an allowed host "
                                               f"({', '.join(allowed) or 'none'}); nothing was opened")
    context = guarded_context(browser, allowed, options)
    try:
        return _Attempt(context, job, Path(evidence_dir), before_submit).run()
    finally:
        try:
            context.close()
        except PlaywrightError:
            pass


class _Done(Exception):
    """Internal: the attempt has its outcome."""


class _Attempt:
    """One attempt's state; every exit goes through ``_done`` (which raises ``_Done``)."""

    def __init__(self, context, job: SubmissionJob, evidence_dir: Path, before_submit: Callable[[], bool]):
        self.context, self.job, self.before_submit = context, job, before_submit
        self.recipe = Recipe.model_validate(job.recipe) if job.recipe else None
        self.values = _values(job, self.recipe)
        self.upload = (Upload(job.resume_filename, base64.b64decode(job.resume_pdf_b64, validate=True))
                       if job.resume_pdf_b64 else None)
        self.evidence = Recorder(AttemptFiles(evidence_dir, attempt_stamp()), job.evidence)
        self.r = AttemptResult(outcome="")
        self.page = self.guard = self.traffic = None
        self.stage = "navigate"
        self.step = 1
        self.filled_names: set[str] = set()
        self.before: outcome.Before | None = None
        self.mark = None
        self.settled = True
        self.offsite_after_click: str | None = None
        self.submit_description = ""
        self.early: outcome.Verdict | None = None

    # -- the flow ------------------------------------------------------------------

    def run(self) -> AttemptResult:
        self.evidence.start_trace(self.context, f"contact {self.job.contact_id}")
        try:
            try:
                self._open()
                self._check_captcha()
                submit, description, info = self._fill_by_recipe() if self.recipe else self._fill_by_detection()
                self._click(submit, description, final=True, action=info["action"] if info else None)
                self._judge_submit(description)
            except _Done:
                pass
            except PlaywrightError as exc:
                self._browser_error(exc)
            if self.r.outcome not in (DRY_RUN, ABORTED):
                self.evidence.screenshot(self.page, "after")
            self.evidence.html(self.page)
        finally:  # also when before_submit() raised: keep the trace, close what we opened
            self.evidence.stop_trace(confirmed=self.r.outcome == SUBMITTED_CONFIRMED)
            if self.guard is not None:
                self.guard.close()  # the page goes with its context (submit_web closes it)
        self.r.evidence = dict(self.evidence.paths)
        notes = list(self.evidence.problems)
        if self.guard is not None and self.guard.blocked:
            hosts = sorted({urlsplit(b.url).hostname or b.url for b in self.guard.blocked})
            notes.append(f"blocked {len(self.guard.blocked)} request(s) to hosts outside allowed_hosts: "
                         f"{', '.join(hosts[:5])}{' ...' if len(hosts) > 5 else ''}")
        if self.guard is not None and self.guard.popups:
            notes.append(f"closed {len(self.guard.popups)} new window(s) the page opened "
                         f"({', '.join(self.guard.popups[:3])}); an attempt uses one")
        if notes:
            self.r.message += f" [{'; '.join(notes)}]"
        return self.r

    def _done(self, outcome_: str, message: str, **fields) -> None:
        self.r.outcome, self.r.message = outcome_, message
        for key, value in fields.items():
            setattr(self.r, key, value)
        raise _Done

    def _open(self) -> None:
        job = self.job
        self.page = page = self.context.new_page()
        self.traffic = Traffic(page)
        self.guard = HostGuard(self.context, tuple(job.allowed_hosts))
        self.guard.install(page)
        try:
            response = page.goto(job.url, wait_until="domcontentloaded")
        except PlaywrightError as exc:
            self._offsite_check(before_fill=True, check_page_url=False)
            timed_out = isinstance(exc, PlaywrightTimeoutError) or "ERR_TIMED_OUT" in str(exc)
            self._done(TIMEOUT if timed_out else HTTP_ERROR,
                       f"could not load {job.url}: {_first_line(exc)}", final_url=job.url)
        try:
            page.wait_for_load_state("load", timeout=LOAD_MS)
        except PlaywrightTimeoutError:
            pass  # a slow image or script; the document itself is there
        self.r.final_url = page.url
        self.r.http_status = response.status if response else None
        self._offsite_check(before_fill=True)
        if self.r.http_status and self.r.http_status >= 400:
            self._done(HTTP_ERROR, f"{job.url} answered HTTP {self.r.http_status}; nothing was filled")

    def _offsite_check(self, before_fill: bool, check_page_url: bool = True) -> None:
        off = self.guard.offsite_navigation
        if off is None and check_page_url and not url_allowed(self.page.url, self.job.allowed_hosts):
            off = self.page.url
        if off:
            allowed = ", ".join(self.job.allowed_hosts)
            what = "nothing was filled" if before_fill else "the attempt stopped there"
            self._done(OFFSITE_REDIRECT, f"{self.job.url} led to {off}, which is not an allowed host ({allowed}); "
                                         f"the request was blocked and {what}")

    def _check_captcha(self) -> None:
        markers = signals.captcha_markers(self.page)
        if markers:
            self._done(BLOCKED_CAPTCHA, f"CAPTCHA on {self.page.url} ({'; '.join(markers[:4])}); "
                                        "Knock does not interact with CAPTCHAs, nothing was submitted")

    # -- filling: by recipe ------------------------------------------------------------

    def _fill_by_recipe(self):
        recipe = self.recipe
        in_steps = {f for step in recipe.steps for f in step.fields}
        leftovers = [f for f in recipe.fields if f not in in_steps]
        pages = [(list(s.fields), s.next) for s in recipe.steps] or [([], None)]
        pages[-1] = (pages[-1][0] + leftovers, pages[-1][1])
        submit_loc = recipe.submit
        if submit_loc is None and pages[-1][1] is not None:
            submit_loc = pages[-1][1]  # the last step's "next" is the submit
            pages[-1] = (pages[-1][0], None)
        # With a submit control and a success signal the recipe says everything: the names of the
        # filled controls are never needed, and text fields may take the one-round-trip path.
        direct = submit_loc is not None and recipe.success is not None
        for i, (fields, next_loc) in enumerate(pages):
            self.stage = "fill"
            for semantic in fields:
                if direct and self._fill_directly(recipe.fields[semantic], semantic):
                    continue
                target, how, info = self._resolve(recipe.fields[semantic], f"field {semantic!r}")
                self._fill(target, semantic, f"recipe {how}", kind_of(info))
            if next_loc is not None:
                target, how, info = self._resolve(next_loc, f"step {i + 1} 'next'")
                self._click(target, how, final=False, action=info["action"])
        if submit_loc is not None:
            return self._resolve(submit_loc, "submit")
        button = submit_button_near(self.page, self.filled_names)
        if button is None:
            self._done(FORM_NOT_FOUND, f"the recipe names no submit control and none was found on {self.page.url}")
        return button_locator(self.page, button), button.describe(), None

    def _fill_directly(self, loc, semantic: str) -> bool:
        """Type into the one element the recipe's exact locator names, in one round trip; False when
        that does not simply work (no single match yet, not a text box, several matches, no value):
        then ``_resolve`` looks closer and waits, as for every other control."""
        value = self.values.get(semantic)
        if semantic not in TEXT_FIELDS or not value:
            return False
        try:  # only a control a person can see: never a honeypot with the same label
            exact = recipe_candidates(self.page, loc)[0]
            exact.and_(self.page.locator(SHOWN_SELECTOR)).fill(value, timeout=DIRECT_FILL_MS)
        except PlaywrightError:
            return False
        self.r.matched_fields[semantic] = f"recipe {describe_locator(loc)}"
        return True

    def _resolve(self, loc, what: str):
        """A recipe locator's element, how it was found and what kind of control it is.

        Waits up to SETTLE_MS for a script-drawn form; FORM_NOT_FOUND naming the locator if absent.
        """
        how = describe_locator(loc)
        deadline = time.monotonic() + SETTLE_MS / 1000
        hidden = 0
        try:
            while True:
                for n, candidate in enumerate(recipe_candidates(self.page, loc)):
                    target, count, info = first_usable(candidate)
                    if info is not None:
                        note = " (substring match)" if n else ""
                        note += f" ({count} matches, used the first visible)" if count > 1 else ""
                        return target, how + note, info
                    hidden = max(hidden, count)
                if time.monotonic() > deadline:
                    break
                self.page.wait_for_timeout(100)
        except PlaywrightError as exc:
            if isinstance(exc, PlaywrightTimeoutError):
                raise
            self._done(FORM_NOT_FOUND, f"recipe {what}: {how} is not a usable locator: {_first_line(exc)}")
        if hidden:
            self._done(FORM_NOT_FOUND, f"recipe {what}: {how} matches only {hidden} field(s) nobody can see on "
                                       f"{self.page.url} (a honeypot for robots?); nothing was filled there")
        self._done(FORM_NOT_FOUND, f"recipe {what}: {how} matches nothing on {self.page.url} "
                                   f"(waited {SETTLE_MS // 1000} s); the site may have changed, update the recipe")

    # -- filling: by detection ---------------------------------------------------------

    def _fill_by_detection(self):
        wanted = {k for k in SEMANTIC_FIELDS if self.values.get(k)} | {"consent", "topic"}
        if self.upload is not None:
            wanted.add("resume")
        for _ in range(MAX_STEPS):
            self.stage = "inspect"
            found = self._detect(wanted)
            submit, nxt = (found.submit_button(), found.next_button()) if found else (None, None)
            if found is None or not (found.is_contact_form or nxt):
                seen = f"only {', '.join(sorted(found.matches))}" if found else "no form fields"
                self._done(FORM_NOT_FOUND, f"no contact form on {self.page.url}: {seen}, "
                                           "no message or résumé field")
            self.stage = "fill"
            for semantic, match in sorted(found.matches.items(), key=lambda kv: kv[1].control.index):
                how = match.why if self.step == 1 else f"step {self.step}: {match.why}"
                control = match.control
                self._fill(control_locator(self.page, control), semantic, how,
                           known=(control.kind, control.name, control.options))
            if submit is not None and found.is_contact_form:
                return button_locator(self.page, submit), submit.describe(), None
            if nxt is None:
                self._done(FORM_NOT_FOUND, f"a form on {self.page.url} but no button to send it")
            self._click(button_locator(self.page, nxt), nxt.describe(), final=False)
        self._done(FORM_NOT_FOUND, f"still no submit button after {MAX_STEPS} pages of 'Next'")

    def _detect(self, wanted: set[str]) -> Detected | None:
        found = detect(self.page, wanted)
        if found is None or not found.is_contact_form:
            self.traffic.wait_quiet(time.monotonic() + SETTLE_MS / 1000)  # a form drawn by a script
            found = detect(self.page, wanted) or found
        return found

    def _fill(self, target, semantic: str, how: str, known: tuple | None = None) -> None:
        value = self.values.get(semantic)
        try:
            name, note = fill_control(target, semantic, value, self.upload if semantic == "resume" else None, known)
        except FillError as exc:
            self._done(FORM_NOT_FOUND, f"could not fill {semantic!r} ({how}) on {self.page.url}: {exc}")
        if name:
            self.filled_names.add(name)
        self.r.matched_fields[semantic] = how + (f" -> {note}" if note else "")

    # -- the irreversible part -------------------------------------------------------

    def _click(self, target, description: str, final: bool, action: str | None = None) -> None:
        """Click Next or Submit; the first such click is gated by the dry run and ``before_submit``.

        ``action``: where the click sends the form, when already read with the element (``_resolve``).
        """
        self._check_form_action(target, description, action)
        if not self.r.submit_reached:
            self.evidence.screenshot(self.page, "before")
            if self.job.dry_run:
                later = "" if final else f" ({description} leads to more steps, not checked in a dry run)"
                self._done(DRY_RUN, f"dry run: filled {', '.join(self.r.matched_fields) or 'nothing'}; "
                                    f"stopped before clicking {description}{later}")
            if not self.before_submit():
                self._done(ABORTED, "not submitted: the coordinator declined (paused or lease lost) "
                                    f"before the click on {description}; nothing was sent")
            self.r.submit_reached = True
        elif final:
            self.evidence.screenshot(self.page, f"before-step{self.step}")
        self.stage = "submit"
        self.submit_description = description
        self.before, self.mark = outcome.Before.of(self.page), self.traffic.mark()
        blocked_before = len(self.guard.blocked)
        try:
            target.click()
        except PlaywrightError as exc:
            self._done(FORM_NOT_FOUND, f"could not click {description} on {self.page.url}: {_first_line(exc)}; "
                                       "most likely nothing was sent")
        self.settled = self.traffic.settle(self.mark, time.monotonic() + POST_CLICK_MS / 1000,
                                           self._confirmed if final else None)
        self.offsite_after_click = next((b.url for b in self.guard.blocked[blocked_before:] if b.navigation), None)
        if not final:
            self._judge_step(description)
            self.step += 1

    def _check_form_action(self, target, description: str, action: str | None) -> None:
        if action is None:
            # evaluate_all: one round trip (Locator.evaluate takes three: find, evaluate, release the handle)
            actions = target.evaluate_all(f"els => els.slice(0, 1).map({FORM_ACTION_JS})")
            action = actions[0] if actions else None
        if action and urlsplit(action).scheme in ("http", "https") and not url_allowed(action, self.job.allowed_hosts):
            self._done(OFFSITE_REDIRECT, f"{description} would send the form to {action}, which is not an allowed "
                                         f"host ({', '.join(self.job.allowed_hosts)}); nothing was clicked")

    # -- judging (the table lives in runners.form_outcome) ----------------------------

    def _confirmed(self) -> bool:
        """Has the page already said "received"? Then settling need not wait out the quiet spell."""
        verdict = self._verdict()
        if verdict is not None and verdict.outcome == SUBMITTED_CONFIRMED:
            self.early = verdict  # the judgement, already made: _judge_submit need not look again
            return True
        return False

    def _verdict(self) -> outcome.Verdict | None:
        success = self.recipe.success if self.recipe else None
        return outcome.after_submit(self.page, self._since(), self.before, success, self.filled_names,
                                    self.submit_description)

    def _since(self):
        since = self.traffic.since(self.mark, lambda u: url_allowed(u, self.job.allowed_hosts))
        self.r.final_url = self.page.url
        if since.status:
            self.r.http_status = since.status
        return since

    def _judge_step(self, description: str) -> None:
        since = self._since()
        if self.offsite_after_click:
            self._offsite_check(before_fill=False)
        verdict = outcome.after_step(self.page, since, self.before, description, self.step)
        if verdict is not None:
            self._done(verdict.outcome, verdict.message, page_messages=verdict.page_messages)
        if not self.settled:
            self._done(TIMEOUT, f"no answer within {POST_CLICK_MS // 1000} s after {description}; "
                                "the final submit was never clicked")

    def _judge_submit(self, description: str) -> None:
        success = self.recipe.success if self.recipe else None
        if self.offsite_after_click:  # the answer page was blocked: what it said is unknown
            self._done(SUBMITTED_UNCONFIRMED, f"clicked {description}; not confirmed: the site redirected to "
                                              f"{self.offsite_after_click} (not an allowed host, blocked)",
                       page_messages=self._since().dialogs)
        linger_until = time.monotonic() + LINGER_MS / 1000
        while True:
            verdict = self.early or self._verdict()
            if verdict is not None or time.monotonic() >= linger_until:
                break
            self.page.wait_for_timeout(250)
        since = self._since()
        if verdict is None:
            why = [f"the recipe's success signal ({outcome.signal_text(success)}) did not show" if success
                   else "no thank-you text, error or new page"]
            if not self.settled:
                why.append(f"the page was still busy after {POST_CLICK_MS // 1000} s")
            verdict = outcome.Verdict(SUBMITTED_UNCONFIRMED, f"clicked {description}; not confirmed: "
                                                             f"{'; '.join(why)}", since.dialogs)
        self._done(verdict.outcome, verdict.message, page_messages=verdict.page_messages)

    def _browser_error(self, exc: PlaywrightError) -> None:
        where = {"navigate": "loading the page", "inspect": "reading the page", "fill": "filling the form",
                 "submit": "waiting for the answer to the submit"}[self.stage]
        text = f"browser error while {where}: {_first_line(exc)}"
        if self.r.submit_reached:
            result, text = SUBMITTED_UNCONFIRMED, text + "; the click may have gone through"
        elif isinstance(exc, PlaywrightTimeoutError):
            result = TIMEOUT
        else:
            result = HTTP_ERROR if self.stage == "navigate" else FORM_NOT_FOUND
        self.r.outcome, self.r.message = result, text
        if self.page is not None and not self.page.is_closed():
            self.r.final_url = self.page.url


def _values(job: SubmissionJob, recipe: Recipe | None) -> dict[str, str]:
    """What goes into the form: the job's own texts, then the recipe's fixed values, then job.values."""
    first, _, last = (job.sender_name or "").partition(" ")
    values = {"name": job.sender_name, "first_name": first, "last_name": last, "email": job.reply_to,
              "subject": job.subject, "message": job.body, "consent": "yes"}
    if recipe is not None:
        values.update(recipe.values)
    values.update({k: v for k, v in job.values.items() if v is not None})
    return {k: str(v) for k, v in values.items() if v is not None}


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
