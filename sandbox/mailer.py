"""The sandbox's SMTP server: company inboxes in, researcher Maildir out.

One aiosmtpd server on 127.0.0.1 plays every mail server of the world:

- mail to a sandbox company's domain is an *inquiry*: handed to the
  sandbox (ledger + staff plan) before the server answers 250, so a
  sender's ``sendmail`` returning means it is recorded;
- mail to any other domain is *delivered* into one Maildir, the
  researcher's inbox, and never relayed anywhere else. With an allowlist,
  other domains are refused at RCPT (550) instead.

Delivery is stamped with sandbox-clock time (the reply's scheduled time
when it carries ``X-Sandbox-Scheduled-At``): a ``Received:`` header, an
``X-Sandbox-Delivered-At`` header and the file's mtime.
"""

from __future__ import annotations

import logging
import mailbox
import os
import uuid
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import format_datetime
from pathlib import Path
from typing import Callable

from aiosmtpd.controller import Controller

from sandbox.clock import SandboxClock, iso

log = logging.getLogger(__name__)
MX_NAME = "mx.sandbox.invalid"


class LoopbackController(Controller):
    """aiosmtpd's Controller, able to bind port 0 and failing fast on a busy port."""

    def _run(self, ready_event):
        try:
            super()._run(ready_event)
        finally:
            ready_event.set()  # also when binding failed: start() need not wait ready_timeout for nothing

    def _trigger_server(self):
        if self._thread_exception is not None:  # the port was busy
            raise self._thread_exception
        if self.port == 0:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _accept_any_login(server, session, envelope, mechanism, auth_data):
    """Senders configured with SMTP credentials may log in with any: nothing leaves anyway."""
    from aiosmtpd.smtp import AuthResult

    return AuthResult(success=True)


class MailHub:
    """The aiosmtpd handler: routes each recipient to an inquiry or the Maildir."""

    def __init__(
        self,
        company_domains: dict[str, str],
        maildir: Path,
        clock: SandboxClock,
        on_inquiry: Callable[[str, str, str, bytes, str | None], None],
        allowlist: set[str] | None = None,
    ):
        self.company_domains = {d.lower(): slug for d, slug in company_domains.items()}
        self.maildir = Path(maildir)
        self.box = mailbox.Maildir(self.maildir, create=True)
        self.clock = clock
        self.on_inquiry = on_inquiry
        self.allowlist = {d.lower() for d in allowlist} if allowlist is not None else None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        domain = address.rpartition("@")[2].lower()
        if not domain:
            return "550 5.1.3 Bad recipient address syntax"
        if domain not in self.company_domains and self.allowlist is not None and domain not in self.allowlist:
            return f"550 5.7.1 Relaying denied: the sandbox delivers only to {', '.join(sorted(self.allowlist))}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        peer = session.peer[0] if session.peer else None
        inquiries: dict[str, str] = {}
        external: list[str] = []
        for rcpt in envelope.rcpt_tos:
            slug = self.company_domains.get(rcpt.rpartition("@")[2].lower())
            if slug:
                inquiries.setdefault(slug, rcpt)  # one inquiry per company per message
            else:
                external.append(rcpt)
        try:
            for slug, rcpt in inquiries.items():
                self.on_inquiry(slug, envelope.mail_from or "", rcpt, raw, peer)
            if external:
                self.deliver(raw, external, helo=session.host_name, peer=peer)
        except Exception:
            log.exception("sandbox could not take a message")
            return "451 4.3.0 Temporary sandbox failure, try again"
        return "250 2.0.0 OK"

    def deliver(self, raw: bytes, recipients: list[str], helo: str | None = None, peer: str | None = None) -> Path:
        """Write one copy into the Maildir, stamped with sandbox time; return its path."""
        at = _scheduled_at(raw) or self.clock.now().replace(microsecond=0)
        queue_id = uuid.uuid4().hex[:12].upper()
        trace = (
            f"Received: from {helo or 'unknown'} ([{peer or '127.0.0.1'}])\n"
            f"\tby {MX_NAME} (Knock sandbox) with ESMTP id {queue_id}\n"
            f"\tfor <{recipients[0]}>; {format_datetime(at)}\n"
            f"X-Sandbox-Delivered-At: {iso(at)}\n"
            f"Delivered-To: {recipients[0]}\n"
        ).encode()
        # Maildir files use the local line ending; SMTP brought CRLF.
        key = self.box.add(trace + raw.replace(b"\r\n", b"\n"))
        path = self.maildir / "new" / key
        os.utime(path, (at.timestamp(), at.timestamp()))
        return path


def _scheduled_at(raw: bytes) -> datetime | None:
    value = BytesHeaderParser(policy=compat32).parsebytes(raw).get("X-Sandbox-Scheduled-At")
    try:
        return datetime.fromisoformat(str(value).strip()) if value else None
    except ValueError:
        return None


def start_smtp(hub: MailHub, port: int = 0) -> LoopbackController:
    """Start the SMTP server on 127.0.0.1 (port 0 picks a free one) in its own thread."""
    controller = LoopbackController(
        hub,
        hostname="127.0.0.1",
        port=port,
        server_hostname=MX_NAME,
        authenticator=_accept_any_login,
        auth_require_tls=False,
        ready_timeout=10,
    )
    try:
        controller.start()
    except BaseException:
        # aiosmtpd leaves its event loop open when it cannot bind: close it.
        if not controller.loop.is_running():
            controller.loop.close()
        raise
    return controller
