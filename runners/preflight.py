"""`knock preflight`: visit every channel once, submit nothing, say what is testable.

Non-delivery must never be mistaken for non-response, so before going live
each web channel is opened and filled in dry-run mode (the submit control
is never clicked) and each verdict is kept with its evidence. The contact
ledger is not touched: preflight uses a representative contact's job but
never claims it.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
import re
from dataclasses import dataclass, field
from pathlib import Path

from experiments.safety import opted_out
from runners import jobs
from runners.browser import LazyBrowser
from runners.contact_job import build_job
from runners.run import ERROR, RunOptions, execute
from runners.webform import should_retry

VERDICTS = {
    jobs.DRY_RUN: ("form found", True),
    jobs.BLOCKED_CAPTCHA: ("CAPTCHA (Knock never solves one)", False),
    jobs.FORM_NOT_FOUND: ("no form", False),
    jobs.HTTP_ERROR: ("broken page", False),
    jobs.TIMEOUT: ("page did not load in time", False),
    jobs.OFFSITE_REDIRECT: ("redirects off the target's domain", False),
}
NEEDED = ("email", "message")
ATTEMPTS = 3
MORE_STEPS = "leads to more steps"


@dataclass
class PreflightRow:
    target: str
    channel: str
    endpoint: str
    verdict: str
    testable: bool
    fields: dict[str, str] = field(default_factory=dict)
    detail: str = ""
    evidence: dict[str, str] = field(default_factory=dict)


def preflight(store, experiment_id: str, evidence_root: Path) -> list[PreflightRow]:
    """Visit every channel; the browser lives in a thread of its own, as ``knock run``'s executors do
    (Playwright's sync API refuses a second instance in a thread that already has one)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="preflight") as pool:
        return pool.submit(_preflight, store, experiment_id, evidence_root).result()


def _preflight(store, experiment_id: str, evidence_root: Path) -> list[PreflightRow]:
    experiment = store.definition(experiment_id)
    representative = {}
    for contact in store.contacts(experiment_id):
        representative.setdefault((contact["target_id"], contact["channel_key"]), contact)
    rows: list[PreflightRow] = []
    browser = LazyBrowser()
    options = RunOptions(experiment_id, dry_run=True, evidence_root=Path(evidence_root) / "preflight")
    try:
        for target in experiment.targets:
            for channel in target.channels:
                contact = representative.get((target.id, channel.key))
                if channel.type not in ("web_form", "job_application"):
                    endpoint = channel.address or channel.handle or "-"
                    how = "sent by email" if channel.type == "email" else "made by hand (knock todo)"
                    rows.append(PreflightRow(target.id, channel.key, endpoint, how, channel.type == "email"))
                    continue
                if contact is None:
                    rows.append(PreflightRow(target.id, channel.key, channel.url, "no contact planned", False))
                    continue
                entry = opted_out(experiment, target, channel)
                if entry:  # an opted-out company is not even visited
                    rows.append(PreflightRow(target.id, channel.key, channel.url, f"opted out ({entry})", False))
                    continue
                job = build_job(experiment, contact, dry_run=True)
                for _ in range(ATTEMPTS):  # a flaky page gets a second and third look
                    result = execute(job, lambda: False, browser.get, options,
                                     dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
                    if not (should_retry(result) or result.outcome == ERROR):
                        break
                rows.append(_row(target.id, channel.key, channel.url, result))
    finally:
        browser.close()
    with store.write():
        store.log("experiment.preflight", experiment_id,
                  testable=sum(r.testable for r in rows), channels=len(rows),
                  problems=[f"{r.target}/{r.channel}: {r.verdict}" for r in rows if not r.testable])
    return rows


def _login_wall(result: jobs.AttemptResult) -> bool:
    """A page whose only form asks for a password: the contact form is behind a sign-in."""
    html = result.evidence.get("html")
    try:
        text = Path(html).read_text(encoding="utf-8", errors="replace").lower() if html else ""
    except OSError:
        return False
    return bool(re.search(r"<input[^>]+type=[\"']?password", text))


def _row(target: str, channel: str, url: str, result: jobs.AttemptResult) -> PreflightRow:
    verdict, testable = VERDICTS.get(result.outcome, (result.outcome.replace("_", " "), False))
    if result.outcome == jobs.FORM_NOT_FOUND and _login_wall(result):
        verdict = "login wall (the form needs a sign-in; Knock never logs in)"
    detail = result.message.splitlines()[0] if result.message else ""
    if testable and MORE_STEPS in result.message:
        # Later steps are only reached by sending step 1, which a preflight never does.
        return PreflightRow(target, channel, url, "multi-step form: step 1 found, later steps not checked", True,
                            dict(result.matched_fields), detail, dict(result.evidence))
    missing = [f for f in NEEDED if testable and f not in result.matched_fields]
    if missing:
        verdict, testable = f"form found, but no {' or '.join(missing)} field", False
    return PreflightRow(target, channel, url, verdict, testable, dict(result.matched_fields), detail,
                        dict(result.evidence))
