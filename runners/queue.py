"""The work queue: Huey on SQLite (one machine) or Redis (many).

Two queues share one backend. ``knock-work`` carries ``submit`` tasks that
any worker host may take; it needs no database. ``knock-coord`` carries
``gate`` and ``record`` tasks that only the coordinator (the one process
with the database) executes, so the database keeps a single writer.

A submission: the coordinator claims a contact under a fresh lease owner
and enqueues the job with the time it did so. A worker that takes a job
older than the lease drops it unopened: by then the coordinator has
expired that claim and dispatched the contact again under a new owner, so
the browser would only end at a refused gate. Right before the click the worker asks ``gate`` and
waits for its answer; the coordinator answers yes only after committing
``submitting`` for that same owner. A task that Huey drops (its worker was
killed) leaves a claim whose lease expires and is dispatched again under a
new owner, so a late duplicate of the old task can never pass the gate.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
import uuid
from pathlib import Path

from huey import RedisHuey, SqliteHuey

from experiments.clock import iso, parse_iso
from experiments.store import Store
from runners import faults, policy
from runners.browser import LazyBrowser
from runners.contact_job import AUTOMATED, build_job
from runners.jobs import AttemptResult, SubmissionJob
from runners.run import RunOptions, execute, gate

log = logging.getLogger(__name__)
GATE_TIMEOUT = float(os.environ.get("KNOCK_GATE_TIMEOUT", "30"))
QUEUE_LEASE_SECONDS = int(os.environ.get("KNOCK_LEASE_SECONDS", "600"))


def make_huey(name: str, url: str | None, sqlite_path: Path):
    if url:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"KNOCK_QUEUE={url!r}: expected redis://host:port/db")
        return RedisHuey(name, url=url)
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(sqlite_path))


class KnockQueue:
    """Both queues and their tasks. ``db_path`` is needed only where coordinator tasks run."""

    def __init__(self, url: str | None = None, sqlite_path: Path = Path("data/queue.db"),
                 db_path: Path | None = None, options: RunOptions | None = None):
        url = url if url is not None else os.environ.get("KNOCK_QUEUE") or None
        self.coord = make_huey("knock-coord", url, sqlite_path)
        self.work = make_huey("knock-work", url, sqlite_path)
        self.db_path = db_path
        self.options = options or RunOptions(experiment_id="*")
        self._local = threading.local()
        self._store: Store | None = None
        self._store_lock = threading.Lock()
        self.gate = self.coord.task(name="knock.gate")(self._gate)
        self.record = self.coord.task(name="knock.record")(self._record)
        self.submit = self.work.task(name="knock.submit")(self._submit)

    # -- coordinator side ------------------------------------------------------

    def store(self) -> Store:
        if self._store is None:
            if self.db_path is None:
                raise RuntimeError("this process has no database: it cannot run coordinator tasks")
            self._store = Store(self.db_path)
        return self._store

    def _gate(self, contact_id: int, owner: str, experiment_id: str) -> bool:
        with self._store_lock:
            return gate(self.store(), contact_id, owner, lease_seconds=QUEUE_LEASE_SECONDS)

    def _record(self, contact_id: int, owner: str, result_json: str, started: str) -> None:
        with self._store_lock:
            result = AttemptResult.from_json(result_json)
            self.store().record_attempt(contact_id, owner, result, parse_iso(started))
            # Nothing is returned: Huey would keep a result nobody reads.

    def dispatch(self, ignore_schedule: bool = False, max_in_flight: int = 50) -> int:
        """Enqueue what is due in every armed or live experiment; returns how many were enqueued."""
        with self._store_lock:
            store = self.store()
            store.expire_leases()
            in_flight = store.in_flight()
            enqueued = 0
            if store.is_paused_all():
                return 0
            for row in store.experiments():
                if row["kind"] != "designed" or row["status"] not in ("armed", "live") or row["paused"]:
                    continue
                enqueued += self._dispatch_experiment(store, row, ignore_schedule, max_in_flight - in_flight - enqueued)
            return enqueued

    def _dispatch_experiment(self, store: Store, row: dict, ignore_schedule: bool, room: int) -> int:
        experiment = store.definition(row["id"])
        now = store.clock.now()
        screen = policy.Screen(store, experiment, row["status"], now, ignore_schedule,
                               smtp_host=self.options.smtp.host)
        enqueued = 0
        for contact in store.due_contacts(row["id"], now, ignore_schedule):
            if enqueued >= room:
                break
            if contact["channel_type"] not in AUTOMATED or screen.decide(contact).action != policy.GO:
                continue  # skips are recorded by the screen; refusals and deferrals wait
            owner = f"queue:{uuid.uuid4().hex[:12]}"
            if not store.claim(contact["id"], owner, lease_seconds=QUEUE_LEASE_SECONDS):
                continue
            job = build_job(experiment, contact, evidence=self.options.evidence, live=row["status"] == "live")
            self.submit(job.to_json(), owner, time.time())
            screen.took(contact)
            enqueued += 1
        return enqueued

    # -- worker side -------------------------------------------------------------

    def _browser(self):
        """This worker thread's browser (Huey's thread workers live as long as the consumer)."""
        if getattr(self._local, "browser", None) is None:
            self._local.browser = LazyBrowser()
        return self._local.browser.get()

    def _ask_gate(self, job: SubmissionJob, owner: str) -> bool:
        faults.pause_at("before_gate", job.contact_id)
        try:
            allowed = bool(self.gate(job.contact_id, owner, job.experiment_id).get(blocking=True, timeout=GATE_TIMEOUT))
        except Exception as exc:  # no answer in time: do not submit
            log.warning("gate for contact %s not answered: %s", job.contact_id, exc)
            return False
        if allowed:
            faults.pause_at("after_gate", job.contact_id)
        return allowed

    def _submit(self, job_json: str, owner: str, enqueued_at: float | None = None) -> None:
        job = SubmissionJob.from_json(job_json)
        if enqueued_at is not None and time.time() - enqueued_at > QUEUE_LEASE_SECONDS:
            # Wall time on both hosts: a worker clock that runs behind only lets a stale job reach the
            # gate (which refuses it); one that runs ahead only delays a job until it is dispatched again.
            log.info("contact %s: job waited %.0f s, past its %s s lease; dropped unopened (it is dispatched "
                     "again under a new owner)", job.contact_id, time.time() - enqueued_at, QUEUE_LEASE_SECONDS)
            return
        started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        result = execute(job, lambda: self._ask_gate(job, owner), self._browser, self.options, started)
        faults.pause_at("after_submit", job.contact_id)
        self.record(job.contact_id, owner, result.to_json(), iso(started))
