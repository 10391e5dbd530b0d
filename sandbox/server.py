"""The sandbox: fictitious companies' websites, mail servers and staff, on 127.0.0.1.

``Sandbox`` wires the parts together and is the one object demos and tests
use::

    with Sandbox(tmp_path, speed=0, behaviour_overrides={"acme-outdoor": {"outcome": "human"}}) as sb:
        page.goto(sb.company_url("acme-outdoor"))
        ...                      # submit the form
        sb.flush()               # staff answer now, stamped with their scheduled time
        sb.replies()             # what they sent; the Maildir at sb.maildir has it

Parts: ``web`` (HTTP), ``mailer`` (SMTP + Maildir), ``intake`` (what
arrived -> inquiry), ``staff`` (decisions), ``letters`` (mail text),
``dispatcher`` (sending on time), ``ledger`` (SQLite record), ``clock``.
``serve_forever``/``main`` run it in the foreground (``python -m sandbox``,
``knock sandbox``).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import logging
import mailbox
import signal
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from sandbox import intake, letters, staff
from sandbox.clock import SandboxClock, iso, iso_ms
from sandbox.companies import COMPANIES, UnknownCompany
from sandbox.dispatcher import Dispatcher
from sandbox.ledger import Ledger
from sandbox.mailer import MailHub, start_smtp
from sandbox.model import Company
from sandbox.web import SandboxHTTPServer, Site

log = logging.getLogger(__name__)
DEFAULT_HTTP_PORT = 8765
DEFAULT_SMTP_PORT = 8025


class Sandbox:
    """The fictitious world, started in background threads (a context manager).

    ``speed`` is simulated seconds per real second (0 stops the clock:
    move it with ``advance``); ``start`` is the simulated time at start-up
    (default: now). Port 0 picks a free port. ``behaviour_overrides`` maps
    a slug to ``Company.with_overrides`` keys, e.g. ``{"outcome": "bounce"}``
    or ``{"error_rate": 1.0}``. With ``mailbox_domain_allowlist``, mail to
    other non-company domains is refused instead of delivered.
    """

    def __init__(
        self,
        data_dir: Path,
        http_port: int = 0,
        smtp_port: int = 0,
        seed: int = 0,
        speed: float = 1.0,
        start: datetime | str | None = None,
        mailbox_domain_allowlist: list[str] | set[str] | None = None,
        behaviour_overrides: dict[str, dict] | None = None,
        maildir: Path | None = None,
        companies: tuple[Company, ...] = COMPANIES,
    ):
        self.data_dir = Path(data_dir)
        self.maildir = Path(maildir) if maildir else self.data_dir / "mail"
        self.ledger_path = self.data_dir / "ledger.db"
        self.uploads_dir = self.data_dir / "uploads"
        self.seed = seed
        if isinstance(start, str):
            start = datetime.fromisoformat(start)
        self.clock = SandboxClock(start, speed)
        overrides = dict(behaviour_overrides or {})
        known = {c.slug for c in companies}
        for slug in overrides:
            if slug not in known:
                raise UnknownCompany(f"override for unknown company {slug!r}; known: {', '.join(sorted(known))}")
        self.companies = {c.slug: c.with_overrides(overrides.get(c.slug, {})) for c in companies}
        self._domains = {c.domain: c.slug for c in self.companies.values()}
        self._allowlist = set(mailbox_domain_allowlist) if mailbox_domain_allowlist is not None else None
        self._ports = (http_port, smtp_port)
        self._upload_lock = threading.Lock()
        self.ledger: Ledger | None = None
        self._smtp = self._http = self._http_thread = self.dispatcher = None

    # -- lifecycle -------------------------------------------------------

    def start(self) -> Sandbox:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.ledger = Ledger(self.ledger_path)
        try:
            hub = MailHub(self._domains, self.maildir, self.clock, self._accept_email, self._allowlist)
            self._smtp = start_smtp(hub, self._ports[1])
            site = Site(self.companies, self._accept_form, self._json, self.seed, self.clock.now)
            self._http = SandboxHTTPServer(site, self._ports[0])
            self._http_thread = threading.Thread(
                target=self._http.serve_forever, kwargs={"poll_interval": 0.1}, name="sandbox-http", daemon=True)
            self._http_thread.start()
            self.dispatcher = Dispatcher(self.ledger, self.clock, self._compose, self.smtp_port)
            self.dispatcher.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every thread and close every port and file; safe to call twice."""
        if self.dispatcher is not None:
            self.dispatcher.stop()
            self.dispatcher = None
        if self._http is not None:
            if self._http_thread is not None and self._http_thread.is_alive():
                self._http.shutdown()  # waits for serve_forever: only if it runs
                self._http_thread.join(timeout=10)
            self._http.server_close()
            self._http = self._http_thread = None
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None
        if self.ledger is not None:
            self.ledger.close()
            self.ledger = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- where things are ------------------------------------------------

    @property
    def http_port(self) -> int:
        return self._http.server_address[1]

    @property
    def smtp_port(self) -> int:
        return self._smtp.port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def company(self, slug: str) -> Company:
        try:
            return self.companies[slug]
        except KeyError:
            raise UnknownCompany(f"no sandbox company {slug!r}") from None

    def company_url(self, slug: str) -> str:
        """The full URL of a company's contact (or careers) page."""
        return self.base_url + self.company(slug).contact_path

    def mailbox(self) -> mailbox.Maildir:
        """The researcher Maildir replies are delivered into."""
        return mailbox.Maildir(self.maildir, create=True)

    # -- time ------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def advance(self, delta: timedelta) -> None:
        """Move the sandbox clock forward; replies that become due are then sent."""
        self.clock.advance(delta)
        self.dispatcher.wake()

    def flush(self) -> int:
        """Deliver every planned reply now, each stamped with its scheduled time."""
        return self.dispatcher.flush()

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every reply due by now is delivered; TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while self.dispatcher.due():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.dispatcher.due())} due replies still undelivered after {timeout} s")
            self.dispatcher.wake()
            time.sleep(0.02)

    # -- the record ------------------------------------------------------

    def submissions(self, company: str | None = None, channel: str | None = None) -> list[dict]:
        return self.ledger.submissions(company, channel)

    def replies(self, include_pending: bool = False) -> list[dict]:
        return self.ledger.replies(include_pending)

    def pending(self) -> list[dict]:
        return self.ledger.pending()

    # -- intake (called from the HTTP and SMTP threads) ----------------------

    def _accept_form(self, company: Company, fields: dict, uploads: dict, remote: str | None) -> dict:
        inquiry = intake.form_inquiry(company, fields, uploads)
        for upload in uploads.values():
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
            with self._upload_lock:
                (self.uploads_dir / f"{upload.sha256}.pdf").write_bytes(upload.data)
        return self._record(company, inquiry, remote)

    def _accept_email(self, slug: str, envelope_from: str, rcpt: str, raw: bytes, remote: str | None) -> dict:
        inquiry = intake.email_inquiry(envelope_from, raw, set(self._domains))
        return self._record(self.companies[slug], inquiry, remote)

    def _record(self, company: Company, inquiry: dict, remote: str | None) -> dict:
        received = self.clock.now()
        decision, ticket, replies = staff.plan(company, self.seed, inquiry, received)
        row = self.ledger.record(
            {**inquiry, "company": company.slug, "received_at": iso_ms(received), "ticket": ticket,
             "decision": decision, "remote_addr": remote},
            replies,
        )
        if self.dispatcher is not None:  # None only during start-up: it reads the schedule when it starts
            self.dispatcher.wake()
        return row

    def _compose(self, reply: dict) -> bytes:
        return letters.compose(self.companies[reply["company"]], self.ledger.submission(reply["submission_id"]), reply)

    def _json(self, what: str):
        if what == "submissions":
            return self.submissions()
        if what == "replies":
            return self.replies(include_pending=True)
        if what == "clock":
            return {"now": iso(self.now()), "speed": self.clock.speed, "simulated": self.clock.simulated}
        return [
            {**{k: v for k, v in dataclasses.asdict(c).items() if k not in ("fields", "theme")},
             "support_email": c.support_email, "channel": c.channel, "url": self.base_url + c.contact_path,
             "recipe": c.recipe()}
            for c in self.companies.values()
        ]


def serve_forever(
    data_dir: Path = Path("data/sandbox"),
    http_port: int = DEFAULT_HTTP_PORT,
    smtp_port: int = DEFAULT_SMTP_PORT,
    seed: int = 0,
    speed: float = 1.0,
    start: datetime | str | None = None,
    maildir: Path | None = None,
    out=None,
    latency: float = 0.0,
) -> None:
    """Run the sandbox in the foreground until Ctrl-C or SIGTERM.

    ``latency``: seconds every company page and form answer waits before
    it is served (a real site's server time; loopback answers at once).
    """
    out = out or functools.partial(print, flush=True)  # flushed: a wrapper may be reading a pipe
    stop = threading.Event()
    # Ctrl-C and SIGTERM set an event rather than raise wherever the main
    # thread happens to be, so a shutdown is never cut short half-way.
    in_main = threading.current_thread() is threading.main_thread()
    previous = {}
    if in_main:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        slow = {c.slug: {"slow_rate": 1.0, "slow_seconds": latency} for c in COMPANIES} if latency > 0 else None
        with Sandbox(data_dir, http_port=http_port, smtp_port=smtp_port, seed=seed, speed=speed, start=start,
                     maildir=maildir, behaviour_overrides=slow) as sb:
            out(f"Knock sandbox at {sb.base_url}/  (SMTP 127.0.0.1:{sb.smtp_port}, clock x{speed:g} from {iso(sb.now())})")
            for c in sb.companies.values():
                out(f"  {c.name:<28} {sb.company_url(c.slug):<60} {c.support_email}")
            out(f"Replies are delivered to the Maildir {sb.maildir.resolve()}")
            out(f"Ledger: {sb.ledger_path.resolve()}  (JSON at {sb.base_url}/_sandbox/submissions)")
            out("Press Ctrl-C to stop.")
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    out("Sandbox stopped.")


def main(argv: list[str] | None = None) -> int:
    """``python -m sandbox [--port 8765] [--smtp-port 8025] [--data-dir DIR] [--seed N] [--speed X] [--start ISO]
    [--latency S]``"""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Serve Knock's fictitious companies on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=DEFAULT_HTTP_PORT, help="HTTP port (0 = any free port)")
    parser.add_argument("--smtp-port", type=int, default=DEFAULT_SMTP_PORT, help="SMTP port (0 = any free port)")
    parser.add_argument("--data-dir", type=Path, default=Path("data/sandbox"), help="ledger, Maildir and uploads")
    parser.add_argument("--maildir", type=Path, default=None, help="researcher Maildir (default: DATA_DIR/mail)")
    parser.add_argument("--seed", type=int, default=0, help="seeds staff decisions and site flakiness")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (3600: an hour a second)")
    parser.add_argument("--start", default=None, help="simulated start time, ISO 8601 with offset (default: now)")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds each company page and form answer takes (a real site's server time)")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    if args.latency < 0:
        parser.exit(2, "sandbox: --latency must be 0 or more seconds\n")
    try:
        start = datetime.fromisoformat(args.start) if args.start else None
        serve_forever(args.data_dir, http_port=args.port, smtp_port=args.smtp_port, seed=args.seed,
                      speed=args.speed, start=start, maildir=args.maildir, latency=args.latency)
    except (ValueError, OSError) as exc:
        parser.exit(2, f"sandbox: {exc}\n")
    return 0
