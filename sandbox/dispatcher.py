"""Sends staff mail when the sandbox clock reaches its scheduled time.

The schedule lives in the ledger (``replies`` with status ``pending``), not
in memory, so what the staff planned survives a restart of the sandbox.
Mail goes out by SMTP to the sandbox's own server, like any other mail,
and is stamped there with its *scheduled* time: ``flush()`` can deliver a
week of replies in a blink and the Maildir still shows a week passing.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from datetime import datetime
from typing import Callable

from sandbox.clock import SandboxClock
from sandbox.ledger import Ledger

log = logging.getLogger(__name__)


class Dispatcher:
    """A background thread delivering due replies; ``flush`` delivers all now."""

    def __init__(self, ledger: Ledger, clock: SandboxClock, compose: Callable[[dict], bytes], smtp_port: int):
        self.ledger = ledger
        self.clock = clock
        self.compose = compose
        self.smtp_port = smtp_port
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._send_lock = threading.Lock()  # one sender at a time: each reply goes out once
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sandbox-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def wake(self) -> None:
        """Look at the schedule again now (a new plan, or the clock jumped)."""
        self._wake.set()

    def due(self) -> list[dict]:
        now = self.clock.now()
        return [r for r in self.ledger.pending() if datetime.fromisoformat(r["due_at"]) <= now]

    def deliver_due(self) -> int:
        """Deliver every reply whose time has come; return how many."""
        return self._deliver(only_due=True)

    def flush(self) -> int:
        """Deliver every pending reply now, whatever its time (stamped with its scheduled time)."""
        return self._deliver(only_due=False)

    def _deliver(self, only_due: bool) -> int:
        with self._send_lock:
            batch = self.due() if only_due else self.ledger.pending()
            if not batch:
                return 0
            sent = 0
            with smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="staff.sandbox.invalid", timeout=30) as smtp:
                for reply in batch:
                    envelope_from = "" if reply["kind"] == "bounce" else reply["from_addr"]
                    try:
                        smtp.sendmail(envelope_from, [reply["to_addr"]], self.compose(reply))
                    except smtplib.SMTPRecipientsRefused as exc:
                        # A permanent refusal (bad address, not allowlisted): retrying cannot help.
                        code, text = next(iter(exc.recipients.values()))
                        self.ledger.mark_undeliverable(reply["id"], f"{code} {text.decode(errors='replace')}")
                        continue
                    self.ledger.mark_sent(reply["id"], reply["due_at"])
                    sent += 1
            return sent

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_due()
                wait = self._seconds_to_next()
            except Exception:
                log.exception("sandbox dispatcher failed; retrying in a second")
                wait = 1.0
            self._wake.wait(wait)
            self._wake.clear()

    def _seconds_to_next(self) -> float:
        pending = self.ledger.pending()
        if not pending:
            return 1.0
        until = self.clock.real_seconds_until(datetime.fromisoformat(pending[0]["due_at"]))
        # Re-check at least every second: the clock may be advanced.
        return max(0.01, min(until, 1.0))
