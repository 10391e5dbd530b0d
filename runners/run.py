"""`knock run`: submit what is due, N at a time, never twice.

The calling thread is the coordinator and the only one that touches the
store. Executor threads each own a Playwright and a Chromium (Playwright's
sync API must not be shared across threads) and talk to the coordinator
through a queue: right before the click or send they ask for the gate, and
the coordinator answers only after ``submitting`` is committed. Remote
workers (runners.queue) speak the same two messages.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import socket
import threading
import time
import traceback
from urllib.parse import urlsplit
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from experiments.errors import KnockError
from experiments.store import Store
from runners import policy
from experiments.safety import is_loopback, is_reserved_domain, opted_out
from runners.browser import LazyBrowser
from runners.contact_job import AUTOMATED, build_job, channel_of
from runners.email_send import SmtpConfig, send_email
from runners.jobs import ABORTED, SEND_FAILED, AttemptResult, SubmissionJob

ERROR = "error"
DRAIN_SECONDS = 120


class RunRefused(KnockError):
    """The experiment may not run now (draft, not live for real addresses, closed)."""


@dataclass(frozen=True)
class RunOptions:
    experiment_id: str
    ignore_schedule: bool = False
    dry_run: bool = False
    concurrency: int = 1
    evidence: str = "default"
    evidence_root: Path = Path("data/evidence")
    smtp: SmtpConfig = field(default_factory=SmtpConfig.from_env)
    contact_ids: tuple[int, ...] | None = None
    limit: int | None = None


@dataclass
class RunSummary:
    outcomes: Counter = field(default_factory=Counter)
    states: Counter = field(default_factory=Counter)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    deferred: list[tuple[int, str]] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def evidence_dir(root: Path, job: SubmissionJob) -> Path:
    """data/evidence/<experiment>/<contact>/; each attempt's files carry their own time stamp."""
    from runners.evidence import contact_dir

    return contact_dir(Path(root), job.experiment_id, job.contact_id)


def refusal(job: SubmissionJob, smtp: SmtpConfig) -> str | None:
    """Why this worker must not run the job, if it must not: checked where the job runs.

    The coordinator's policy already decided, but a submit worker may sit
    behind another relay: only a live job reaches beyond the sandbox.
    """
    if job.live or job.dry_run:
        return None
    if job.channel_type == "email":
        domain = (job.address or "").rsplit("@", 1)[-1]
        if not (is_loopback(smtp.host) and is_reserved_domain(domain)):
            return f"refused: {job.address} via {smtp.host} is a real address and the experiment is not live"
        return None
    host = urlsplit(job.url or "").hostname or ""
    if not is_loopback(host):
        return f"refused: {host} is a real site and the experiment is not live"
    return None


def retryable(result: AttemptResult) -> bool:
    """The one place that decides whether an attempt is worth repeating (never after the submit)."""
    if result.submit_reached:
        return False
    if result.outcome in (SEND_FAILED, ERROR):  # relay down, browser missing: transient or fixable
        return True
    from runners.webform import should_retry

    return should_retry(result)


def execute(job: SubmissionJob, gate: Callable[[], bool], browser_factory, options: RunOptions,
            started: dt.datetime) -> AttemptResult:
    """Run one job; any unexpected error becomes an outcome (the ledger decides what it means)."""
    refused = refusal(job, options.smtp)
    if refused:
        return AttemptResult(ABORTED, refused)
    result = _execute(job, gate, browser_factory, options)
    result.retry = retryable(result)
    return result


def _execute(job: SubmissionJob, gate: Callable[[], bool], browser_factory, options: RunOptions) -> AttemptResult:
    directory = evidence_dir(options.evidence_root, job)
    try:
        if job.channel_type == "email":
            return send_email(job, options.smtp, directory, gate)
        from runners.webform import submit_web

        return submit_web(browser_factory(), job, directory, gate)
    except Exception as exc:  # a bug must not kill the run or lose the row
        return AttemptResult(ERROR, f"internal error: {exc!r}\n{traceback.format_exc(limit=5)}")


class _Executor(threading.Thread):
    """One executor: its own Playwright and Chromium, started on first web job."""

    def __init__(self, tasks: queue.Queue, inbox: queue.Queue, options: RunOptions, clock):
        super().__init__(daemon=True)
        self.tasks, self.inbox, self.options, self.clock = tasks, inbox, options, clock
        self.browser = LazyBrowser()

    def gate(self, contact_id: int) -> bool:
        reply: queue.Queue = queue.Queue(maxsize=1)
        self.inbox.put(("gate", contact_id, reply))
        return reply.get()

    def run(self) -> None:
        try:
            while (job := self.tasks.get()) is not None:
                started = self.clock.now()
                result = execute(job, lambda: self.gate(job.contact_id), self.browser.get, self.options, started)
                self.inbox.put(("done", job.contact_id, result, started))
        finally:
            self.browser.close()


def run_experiment(store: Store, options: RunOptions, progress: Callable[[dict, int], None] | None = None) -> RunSummary:
    """Submit every due contact of one experiment and wait for all outcomes.

    ``progress(entry, total)`` is called after each outcome.
    """
    row = store.experiment_row(options.experiment_id)
    experiment = store.definition(options.experiment_id)
    summary = RunSummary()
    store.expire_leases()
    worker = worker_name()
    todo = _plan_run(store, experiment, row["status"], options, summary)
    tasks: queue.Queue = queue.Queue()
    inbox: queue.Queue = queue.Queue()
    executors = [_Executor(tasks, inbox, options, store.clock) for _ in range(max(1, min(options.concurrency, len(todo) or 1)))]
    for executor in executors:
        executor.start()
    live = row["status"] == "live"
    in_flight = 0
    pending = list(todo)
    interrupted = True
    try:
        while pending or in_flight:
            while pending and in_flight < len(executors):
                contact = pending.pop(0)
                if store.is_paused(options.experiment_id):
                    summary.deferred.append((contact["id"], "paused"))
                    continue
                if not store.claim(contact["id"], worker):
                    continue  # another runner took it
                tasks.put(build_job(experiment, contact, dry_run=options.dry_run, evidence=options.evidence,
                                    live=live))
                in_flight += 1
            if not in_flight:
                break
            in_flight -= _handle(store, inbox.get(), worker, options, summary, progress, len(todo), allow=True)
        interrupted = False
    finally:
        for _ in executors:
            tasks.put(None)
        # Interrupted (Ctrl-C, an error): refuse every further gate, but record every outcome
        # that comes back, so nothing that went out is left looking unsent.
        deadline = time.monotonic() + DRAIN_SECONDS
        while interrupted and in_flight and time.monotonic() < deadline:
            try:
                message = inbox.get(timeout=1)
            except queue.Empty:
                continue
            in_flight -= _handle(store, message, worker, options, summary, progress, len(todo), allow=False)
        for executor in executors:
            executor.join(timeout=60)
        for contact in store.contacts(options.experiment_id, state="claimed"):
            if contact["lease_owner"] == worker:  # claimed, never started: give it back
                store.release(contact["id"], worker, "run interrupted")
    return summary


def _handle(store: Store, message: tuple, worker: str, options: RunOptions, summary: RunSummary,
            progress, total: int, allow: bool) -> int:
    """Answer a gate or record an outcome; returns 1 when an attempt finished."""
    if message[0] == "gate":
        _, contact_id, reply = message
        reply.put(allow and gate(store, contact_id, worker, options.dry_run))
        return 0
    _, contact_id, result, started = message
    state = store.record_attempt(contact_id, worker, result, started, dry_run=options.dry_run)
    summary.outcomes[result.outcome] += 1
    summary.states[state] += 1
    entry = {"contact_id": contact_id, "outcome": result.outcome, "state": state,
             "message": result.message.splitlines()[0] if result.message else ""}
    summary.rows.append(entry)
    if progress:
        progress(entry, total)
    return 1


def gate(store: Store, contact_id: int, owner: str, dry_run: bool = False, lease_seconds: int | None = None) -> bool:
    """The go-ahead right before the irreversible step: the opt-out list as it is now, then the
    durable ``submitting`` (which itself re-checks status and pauses)."""
    if dry_run:
        return True
    contact = store.contact(contact_id)
    experiment = store.definition(contact["experiment_id"])
    target, channel = channel_of(experiment, contact)
    entry = opted_out(experiment, target, channel)
    if entry:
        store.skip(contact_id, f"opt-out entry {entry} added before the submit")
        return False
    if lease_seconds is None:
        return store.mark_submitting(contact_id, owner)
    return store.mark_submitting(contact_id, owner, lease_seconds)


def _plan_run(store: Store, experiment, status: str, options: RunOptions, summary: RunSummary) -> list[dict]:
    """Due automated contacts that policy lets through now; skips and deferrals are recorded."""
    now = store.clock.now()
    due = store.due_contacts(options.experiment_id, now, ignore_schedule=options.ignore_schedule or options.dry_run)
    if options.contact_ids is not None:
        wanted = set(options.contact_ids)
        due = [c for c in due if c["id"] in wanted]
    screen = policy.Screen(store, experiment, status, now, options.ignore_schedule, options.dry_run,
                           options.smtp.host)
    todo = []
    for contact in (c for c in due if c["channel_type"] in AUTOMATED):
        decision = screen.decide(contact)
        if decision.action == policy.REFUSE:
            raise RunRefused(f"{options.experiment_id}: {decision.reason}")
        if decision.action == policy.SKIP:
            summary.skipped.append((contact["id"], decision.reason))
        elif decision.action == policy.DEFER:
            summary.deferred.append((contact["id"], decision.reason))
        else:
            todo.append(contact)
            screen.took(contact)
            if options.limit and len(todo) >= options.limit:
                break
    return todo
