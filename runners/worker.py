"""`knock worker`: Huey consumers for the coordinator and submit roles.

The coordinator role (one process, beside the database) runs the
``knock-coord`` consumer and a dispatch loop; the submit role (any number
of processes or hosts) runs the ``knock-work`` consumer with N threads.
Only the coordinator dispatches, the equivalent of running the periodic
task on one consumer only.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from huey.consumer import Consumer

from runners.queue import KnockQueue
from runners.run import RunOptions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mailbox:
    """Where the coordinator polls for replies: a Maildir or an IMAP URL (password from the environment)."""

    maildir: Path | None = None
    imap_url: str | None = None
    every: float = 300.0

    def collect(self, store) -> str:
        from runners.collect import collect_imap, collect_maildir

        if self.imap_url:
            from runners.imap_fetch import password_from_env

            counts = collect_imap(store, self.imap_url, password_from_env())
        else:
            counts = collect_maildir(store, self.maildir)
        return f"collected {counts.stored} new message(s), {counts.unmatched} unmatched"


def _dispatch_loop(queue: KnockQueue, interval: float, ignore_schedule: bool, stop: threading.Event, echo,
                   mailbox: Mailbox | None = None) -> None:
    next_collect = 0.0
    while not stop.is_set():
        try:
            count = queue.dispatch(ignore_schedule=ignore_schedule)
            if count:
                echo(f"dispatched {count} contact(s)")
        except Exception:  # keep coordinating; the ledger is the source of truth
            log.exception("dispatch failed")
        if mailbox and (mailbox.maildir or mailbox.imap_url) and time.monotonic() >= next_collect:
            next_collect = time.monotonic() + mailbox.every
            try:
                with queue._store_lock:
                    echo(mailbox.collect(queue.store()))
            except Exception:  # a mailbox that is down must not stop dispatching
                log.exception("collecting replies failed")
        stop.wait(interval)


def serve(role: str, db_path: Path, options: RunOptions, concurrency: int, interval: float,
          ignore_schedule: bool, echo=print, mailbox: Mailbox | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    queue_path = Path(db_path).parent / "queue.db"
    queue = KnockQueue(sqlite_path=queue_path, db_path=db_path if role != "submit" else None, options=options)
    stop = threading.Event()
    coord = work = None
    if role in ("all", "coordinator"):
        coord = Consumer(queue.coord, workers=2, worker_type="thread", periodic=False, initial_delay=0.05,
                         max_delay=0.5)
        if role == "all":
            coord.start()  # the submit consumer below blocks in the main thread
        threading.Thread(target=_dispatch_loop, args=(queue, interval, ignore_schedule, stop, echo, mailbox),
                         daemon=True).start()
        echo(f"coordinator on {db_path}, dispatching every {interval:g}s")
    try:
        if role in ("all", "submit"):
            work = Consumer(queue.work, workers=concurrency, worker_type="thread", periodic=False,
                            initial_delay=0.05, max_delay=1.0)
            echo(f"submitting with {concurrency} thread(s)")
            work.run()  # blocks until SIGINT/SIGTERM
        else:
            coord.run()
    finally:
        stop.set()
        if coord is not None and work is not None:
            coord.stop(graceful=True)
