"""Turning what arrived (a form post, an email) into one ledger inquiry.

Both channels end in the same shape, so the staff plan and the ledger do
not care how a knock came in: channel, reply-to, sender name, subject,
body, message-id, whether it was itself automated, and the identity hash
that seeds the staff's decision.

Emails are parsed with ``policy.compat32``: the modern policy raises on
some real-world headers (Exchange-style Message-IDs), and the sandbox must
take any mail a runner sends. The raw bytes are kept in the ledger.
"""

from __future__ import annotations

import re
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parseaddr

from sandbox import forms, staff
from sandbox.model import Company

AUTOMATED_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


def form_inquiry(company: Company, fields: dict[str, str], uploads: dict[str, forms.Upload]) -> dict:
    """The inquiry a valid form post makes."""
    values = forms.semantic_values(company, fields)
    subject = values.get("subject") or ""
    if company.channel == "job_application":
        subject = subject or f"Application: {values.get('position') or 'open application'}"
    inquiry = {
        "channel": company.channel,
        "reply_to": values.get("email") or None,
        "sender_name": values.get("name") or None,
        "envelope_from": None,
        "subject": subject,
        "body": values.get("message") or "",
        "message_id": None,
        "automated": False,
        "fields": dict(fields),
    }
    upload = next(iter(uploads.values()), None)
    if upload is not None:
        inquiry.update(upload_filename=upload.filename, upload_size=upload.size, upload_sha256=upload.sha256)
    inquiry["identity"] = staff.identity_of(inquiry["channel"], inquiry["reply_to"], subject, inquiry["body"])
    return inquiry


def email_inquiry(envelope_from: str, raw: bytes, sandbox_domains: set[str]) -> dict:
    """The inquiry an email to a company address makes."""
    msg = message_from_bytes(raw, policy=compat32)
    name, from_addr = parseaddr(_header(msg, "From"))
    reply_to = (getaddresses([_header(msg, "Reply-To")]) or [("", "")])[0][1] or from_addr or envelope_from
    subject = _header(msg, "Subject")
    body = _body_text(msg)
    auto = _header(msg, "Auto-Submitted").lower()
    precedence = _header(msg, "Precedence").lower()
    sender_domain = (reply_to or "").rpartition("@")[2].lower()
    automated = (
        (auto not in ("", "no"))
        or precedence in AUTOMATED_PRECEDENCE
        or not envelope_from
        or envelope_from.lower().startswith("mailer-daemon@")
        or sender_domain in sandbox_domains  # never answer another sandbox company: no mail loops
    )
    return {
        "channel": "email",
        "reply_to": reply_to or None,
        "sender_name": name or None,
        "envelope_from": envelope_from or None,
        "subject": subject,
        "body": body,
        "message_id": _header(msg, "Message-ID") or None,
        "automated": automated,
        "fields": {k: _header(msg, k) for k in ("From", "To", "Cc", "Reply-To", "Subject", "Date") if msg.get(k)},
        "raw": raw,
        "identity": staff.identity_of("email", reply_to, subject, body),
    }


def _header(msg: Message, name: str) -> str:
    value = msg.get(name)
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value)))).strip()
    except Exception:  # undecodable encoded-words: keep what was sent
        return str(value).strip()


def _body_text(msg: Message) -> str:
    html = None
    for part in msg.walk():
        if part.is_multipart() or part.get_filename():
            continue
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html"):
            continue
        payload = part.get_payload(decode=True) or b""
        try:
            text = payload.decode(part.get_content_charset() or "utf-8", "replace")
        except LookupError:  # a charset Python does not know
            text = payload.decode("utf-8", "replace")
        text = text.replace("\r\n", "\n")
        if ctype == "text/plain":
            return text.strip()
        html = html or text
    if html:
        return re.sub(r"\s+\n", "\n", re.sub(r"<[^>]+>", "", html)).strip()
    return ""
