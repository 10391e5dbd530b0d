"""Email inquiries over SMTP.

The relay comes from ``KNOCK_SMTP_URL`` (default ``smtp://127.0.0.1:8025``,
the sandbox) and credentials from ``KNOCK_SMTP_USER`` /
``KNOCK_SMTP_PASSWORD``, never from the command line or the database. TLS
is required for any relay but loopback: ``smtps://`` for implicit TLS,
otherwise STARTTLS, refused if the server does not offer it.

The connection is opened and authenticated *before* the durable
``submitting`` step, so a relay that is down is a retryable failure; only
the DATA transfer is the irreversible part.
"""

from __future__ import annotations

import base64
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from experiments.errors import KnockError
from experiments.safety import is_loopback
from runners.jobs import (ABORTED, DRY_RUN, SEND_FAILED, SUBMITTED_CONFIRMED, VALIDATION_ERROR, AttemptResult,
                          SubmissionJob)


class SmtpConfigError(KnockError, ValueError):
    """KNOCK_SMTP_URL is malformed: expected smtp://host:port or smtps://host:port."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "127.0.0.1"
    port: int = 8025
    implicit_tls: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_env(cls, environ=os.environ) -> SmtpConfig:
        url = environ.get("KNOCK_SMTP_URL", "smtp://127.0.0.1:8025")
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise SmtpConfigError(f"KNOCK_SMTP_URL={url!r}: expected smtp://host:port or smtps://host:port")
        if parts.username or parts.password:
            raise SmtpConfigError("KNOCK_SMTP_URL must not contain credentials: set KNOCK_SMTP_USER and KNOCK_SMTP_PASSWORD")
        return cls(parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 587),
                   parts.scheme == "smtps", environ.get("KNOCK_SMTP_USER"), environ.get("KNOCK_SMTP_PASSWORD"))

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def compose(job: SubmissionJob) -> EmailMessage:
    """The inquiry: From and Reply-To carry the contact's token, so replies find their way back."""
    message = EmailMessage()
    message["From"] = formataddr((job.sender_name, job.reply_to))
    message["To"] = job.address
    message["Reply-To"] = job.reply_to
    message["Subject"] = job.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=job.reply_to.rsplit("@", 1)[1])
    message.set_content(job.body)
    if job.resume_pdf_b64:
        message.add_attachment(base64.b64decode(job.resume_pdf_b64), maintype="application", subtype="pdf",
                               filename=job.resume_filename)
    return message


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if config.implicit_tls:
        client = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        client.ehlo()
        if client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        elif not config.loopback:
            client.close()
            raise smtplib.SMTPException(f"{config.host} offers no STARTTLS; Knock sends in plain text only to 127.0.0.1")
    if config.user:
        client.login(config.user, config.password or "")
    return client


def send_email(job: SubmissionJob, config: SmtpConfig, evidence_dir: Path | None,
               before_send: Callable[[], bool]) -> AttemptResult:
    message = compose(job)
    evidence = {}
    if evidence_dir is not None and job.evidence != "off":
        from runners.evidence import AttemptFiles, attempt_stamp

        path = AttemptFiles(evidence_dir, attempt_stamp()).path("dry-run" if job.dry_run else "message", "eml")
        path.write_bytes(bytes(message))
        evidence["message"] = str(path)
    message_id = message["Message-ID"]
    if job.dry_run:
        return AttemptResult(DRY_RUN, "composed, not sent (dry run)", evidence=evidence, message_id=message_id)
    try:
        client = _connect(config)
    except (OSError, smtplib.SMTPException) as exc:
        return AttemptResult(SEND_FAILED, f"cannot reach the relay {config.host}:{config.port}: {exc}",
                             evidence=evidence)
    try:
        if not before_send():
            return AttemptResult(ABORTED, "stopped before sending (paused or lease lost)", evidence=evidence)
        try:
            refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            detail = "; ".join(f"{a}: {c} {m.decode(errors='replace')}" for a, (c, m) in exc.recipients.items())
            return AttemptResult(VALIDATION_ERROR, f"the relay refused the recipient: {detail}", submit_reached=True,
                                 evidence=evidence, message_id=message_id)
        except (OSError, smtplib.SMTPException) as exc:
            return AttemptResult(SEND_FAILED, f"sending failed part-way, it may have gone out: {exc}",
                                 submit_reached=True, evidence=evidence, message_id=message_id)
        if refused:
            return AttemptResult(VALIDATION_ERROR, f"the relay refused: {refused}", submit_reached=True,
                                 evidence=evidence, message_id=message_id)
        # The relay's 250 is the success signal email has; a later bounce is collected as a reply.
        return AttemptResult(SUBMITTED_CONFIRMED, f"accepted by {config.host} for {job.address}",
                             submit_reached=True, evidence=evidence, message_id=message_id)
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
