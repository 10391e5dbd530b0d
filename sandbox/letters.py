"""The mail staff send: auto-acknowledgements, human replies and bounces.

Each looks like its real-world kind, because Knock's collector must tell
them apart from headers and text alone:

- auto-ack: RFC 3834 ``Auto-Submitted: auto-replied``; helpdesk-style
  companies add ``X-Autoreply: yes``, Exchange-style ones
  ``X-Auto-Response-Suppress: All``; a ``[#TICKET]`` in the subject and a
  "do not reply" text.
- human reply: from a named person, ``Re: <subject> [#TICKET]``, a short
  answer, the inquiry quoted with ``> `` lines, and ``In-Reply-To`` /
  ``References`` when the inquiry had a Message-ID.
- bounce: an RFC 3464 DSN, ``multipart/report; report-type=delivery-status``
  from ``MAILER-DAEMON@<domain>``.

Dates are sandbox-clock times in the company's timezone. The
``X-Sandbox-Scheduled-At`` header tells the sandbox's SMTP server which
simulated time to stamp on delivery (also when flushed early).
"""

from __future__ import annotations

import hashlib
import textwrap
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from zoneinfo import ZoneInfo

from sandbox.model import Company

ANSWERS = {
    "retail": [
        "Thanks for your question. Yes, that item is in stock and we can ship it within two working days.",
        "Good question! Our returns window is 30 days from delivery, and we cover the postage for faulty items.",
        "Thanks for getting in touch. I've checked with our warehouse and we expect new stock next week.",
    ],
    "software": [
        "Thanks for reaching out. Yes, that is supported on every plan, and our help centre has a step-by-step setup guide.",
        "Happy to help. I've passed your question to our product team and will follow up with a demo slot.",
        "Thanks for your interest. We do offer a 14-day trial, no card required.",
    ],
    "finance": [
        "Thank you for your enquiry. One of our advisers can go through the options with you by phone this week.",
        "Thanks for contacting us. The documents you need are proof of identity and a recent statement.",
        "Thank you for your message. I can confirm that there is no fee for that service.",
    ],
    "hospitality": [
        "Thank you for your message. We do have availability on those dates and would be delighted to host you.",
        "Thanks for getting in touch! Breakfast is included and we can arrange an early check-in on request.",
        "Many thanks for your enquiry. Our kitchen can cater for dietary requirements with a day's notice.",
    ],
}


def compose(company: Company, submission: dict, reply: dict) -> bytes:
    """The wire bytes of one staff mail, ready for SMTP."""
    due = datetime.fromisoformat(reply["due_at"])
    if reply["kind"] == "bounce":
        msg = _bounce(company, submission, reply, due)
    else:
        msg = EmailMessage()
        if reply["kind"] == "auto_ack":
            msg["From"] = formataddr((f"{company.name} Support", reply["from_addr"]))
            _autoack_headers(msg, company, submission["ticket"])
            msg.set_content(_wrap(_autoack_text(company, submission)))
        else:
            msg["From"] = formataddr((reply["staff_name"], reply["from_addr"]))
            msg["Reply-To"] = company.support_email
            msg.set_content(_wrap(_human_text(company, submission, reply)))
        msg["To"] = reply["to_addr"]
        msg["Subject"] = reply["subject"]
    msg["Date"] = format_datetime(due.astimezone(ZoneInfo(company.timezone)))
    msg["Message-ID"] = reply["message_id"]
    if reply["in_reply_to"] and reply["kind"] != "bounce":
        msg["In-Reply-To"] = reply["in_reply_to"]
        msg["References"] = reply["in_reply_to"]
    msg["X-Sandbox-Scheduled-At"] = reply["due_at"]
    return msg.as_bytes(policy=policy.SMTP)


def _wrap(text: str) -> str:
    """Wrap long lines at 72 columns (quoted lines stay as they are), as mail clients do."""
    return "\n".join(
        line if line.startswith(">") or len(line) <= 76 else textwrap.fill(line, 72)
        for line in text.split("\n")
    )


def _first_name(submission: dict) -> str:
    name = (submission.get("sender_name") or "").strip()
    return name.split()[0] if name else "there"


def _autoack_headers(msg: EmailMessage, company: Company, ticket: str) -> None:
    msg["Auto-Submitted"] = "auto-replied"
    style = company.behaviour.autoack_style
    if style in ("rfc", "helpdesk"):
        msg["Precedence"] = "auto_reply"
    if style == "helpdesk":
        msg["X-Autoreply"] = "yes"
        msg["X-Helpdesk-Ticket"] = ticket
        msg["X-Mailer"] = "TicketDesk Cloud 7.3"
    if style == "exchange":
        msg["X-Auto-Response-Suppress"] = "All"
        msg["X-MS-Exchange-Inbox-Rules-Loop"] = company.support_email


def _autoack_text(company: Company, submission: dict) -> str:
    return (
        f"Hello {_first_name(submission)},\n\n"
        f"Thank you for contacting {company.name}. This is an automated message to confirm "
        f"that we have received your request; it has been logged as ticket #{submission['ticket']}.\n\n"
        "A member of our team will get back to you as soon as possible. "
        "Please do not reply to this email: this mailbox is not monitored.\n\n"
        f"{company.name} Customer Support\n{company.phone}\n"
    )


def _human_text(company: Company, submission: dict, reply: dict) -> str:
    answers = ANSWERS.get(company.industry, ANSWERS["retail"])
    answer = answers[int(hashlib.sha256(submission["ticket"].encode()).hexdigest(), 16) % len(answers)]
    received = datetime.fromisoformat(submission["received_at"]).astimezone(ZoneInfo(company.timezone))
    quoted = "\n".join(f"> {line}".rstrip() for line in (submission.get("body") or "").splitlines()) or ">"
    return (
        f"Hi {_first_name(submission)},\n\n{answer}\n\n"
        f"Best regards,\n{reply['staff_name']}\n{company.name}\n{company.phone}\n\n"
        f"On {received:%a, %d %b %Y at %H:%M}, {submission['reply_to']} wrote:\n{quoted}\n"
    )


def _bounce(company: Company, submission: dict, reply: dict, due: datetime) -> Message:
    """An RFC 3464 delivery status notification: the support mailbox is full."""
    recipient = company.support_email
    outer = MIMEMultipart("report", report_type="delivery-status")
    outer["From"] = formataddr(("Mail Delivery System", reply["from_addr"]))
    outer["To"] = reply["to_addr"]
    outer["Subject"] = reply["subject"]
    outer["Auto-Submitted"] = "auto-replied"
    outer["X-Failed-Recipients"] = recipient
    outer.attach(MIMEText(
        f"This is the mail system at host mx.{company.domain}.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n\n"
        f"<{recipient}>: host mx.{company.domain} said: 552 5.2.2 Mailbox full\n",
        "plain", "us-ascii",
    ))
    status = Message()
    status["Content-Type"] = "message/delivery-status"
    per_message, per_recipient = Message(), Message()
    per_message["Reporting-MTA"] = f"dns; mx.{company.domain}"
    per_message["Arrival-Date"] = format_datetime(datetime.fromisoformat(submission["received_at"]))
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Action"] = "failed"
    per_recipient["Status"] = "5.2.2"
    per_recipient["Diagnostic-Code"] = "smtp; 552 5.2.2 Mailbox full"
    status.attach(per_message)
    status.attach(per_recipient)
    outer.attach(status)
    headers = _original_headers(submission)
    outer.attach(MIMEText(headers, "rfc822-headers", _charset(headers)))
    return outer


def _charset(text: str) -> str:
    return "us-ascii" if text.isascii() else "utf-8"


def _original_headers(submission: dict) -> str:
    fields = submission.get("fields") or {}
    lines = [f"{k}: {fields[k]}" for k in ("From", "To", "Subject", "Date") if fields.get(k)]
    if submission.get("message_id"):
        lines.append(f"Message-ID: {submission['message_id']}")
    return "\n".join(lines) + "\n"
