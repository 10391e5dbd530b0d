"""What a company's support staff do with an inquiry, decided once, reproducibly.

Each accepted inquiry gets a plan the moment it arrives: an outcome (none,
auto-acknowledgement, human reply, both, or a bounce), a ticket number, the
staff member who answers and when. The plan is drawn from a RNG seeded by
``seed | company | identity``, where identity is a hash of what was asked
(channel, reply-to, subject, text) and not of arrival order or time, so the
same sandbox seed gives the same decisions however submissions interleave.

Choices that are documented decisions, not accidents:

- A web form never "bounces": a bounce of the form's internal notification
  is invisible to the person who submitted it, so that outcome becomes
  ``none`` for forms. Emailed inquiries can bounce (a DSN to the sender).
- Staff never answer mail that is itself automated (RFC 3834:
  ``Auto-Submitted`` other than ``no``, ``Precedence: bulk/junk/list``, a
  null sender) or that comes from another sandbox company, so two
  companies' auto-responders cannot ping-pong.
- Humans answer within the company's business hours, in its own timezone.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sandbox.clock import iso
from sandbox.model import Company

MAX_HUMAN_DELAY = timedelta(days=30)


def identity_of(channel: str, reply_to: str | None, subject: str | None, body: str | None) -> str:
    """The content hash that seeds a submission's staff decision."""
    text = "\x1f".join([channel, (reply_to or "").lower(), subject or "", (body or "").strip()])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def staff_address(name: str, domain: str) -> str:
    """``"Siobhán Murphy"`` -> ``siobhan.murphy@domain``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    local = ".".join("".join(ch for ch in part if ch.isalnum()) for part in ascii_name.lower().split())
    return f"{local}@{domain}"


def plan(company: Company, seed: int, inquiry: dict, received_at: datetime) -> tuple[str, str, list[dict]]:
    """Decide (decision, ticket, replies) for one inquiry.

    ``inquiry`` needs: channel, identity, reply_to, envelope_from, subject,
    message_id, automated (bool). Replies are dicts ready for the ledger.
    """
    rng = random.Random(f"{seed}|{company.slug}|{inquiry['identity']}")
    b = company.behaviour
    # Draw every number, in a fixed order, whatever the outcome: changing one
    # probability then never reshuffles the other draws.
    ticket = f"{company.ticket_prefix}{rng.randint(10000, 99999)}"
    u = rng.random()
    ack_delay = timedelta(seconds=b.auto_ack_delay_s * rng.uniform(0.5, 1.5))
    human_delay = min(timedelta(hours=rng.lognormvariate(b.human_delay_mu, b.human_delay_sigma)), MAX_HUMAN_DELAY)
    follow_up = rng.random() < b.ack_then_human
    staff_name = rng.choice(company.staff)
    bounce_delay = timedelta(seconds=rng.uniform(2, 30))
    opening_jitter = timedelta(minutes=rng.uniform(0, 90))

    outcome = _pick(u, [("none", b.p_none), ("auto_ack", b.p_auto_ack), ("human", b.p_human), ("bounce", b.p_bounce)])
    if inquiry.get("automated") or not inquiry.get("reply_to"):
        outcome = "none"
    if outcome == "bounce" and inquiry["channel"] != "email":
        outcome = "none"

    kinds: list[tuple[str, datetime]] = []
    if outcome == "auto_ack":
        kinds.append(("auto_ack", received_at + ack_delay))
        if follow_up:
            kinds.append(("human", _business_hours(company, received_at + human_delay, opening_jitter)))
    elif outcome == "human":
        kinds.append(("human", _business_hours(company, received_at + human_delay, opening_jitter)))
    elif outcome == "bounce":
        kinds.append(("bounce", received_at + bounce_delay))
    decision = "+".join(k for k, _ in kinds) or "none"
    replies = [_reply(company, inquiry, kind, due, ticket, staff_name) for kind, due in kinds]
    return decision, ticket, replies


def _pick(u: float, weighted: list[tuple[str, float]]) -> str:
    total = 0.0
    for name, p in weighted:
        total += p
        if u < total:
            return name
    return next(name for name, p in reversed(weighted) if p > 0)


def _reply(company: Company, inquiry: dict, kind: str, due: datetime, ticket: str, staff_name: str) -> dict:
    subject = _strip_re(inquiry.get("subject") or "Your enquiry")
    if kind == "auto_ack":
        from_addr, name = company.support_email, None
        subject = {
            "rfc": f"We received your message [#{ticket}]",
            "helpdesk": f"[#{ticket}] Request received: {subject}",
            "exchange": f"Automatic reply: {subject} [#{ticket}]",
        }[company.behaviour.autoack_style]
    elif kind == "human":
        from_addr, name = staff_address(staff_name, company.domain), staff_name
        subject = f"Re: {subject} [#{ticket}]"
    else:
        from_addr, name = f"MAILER-DAEMON@{company.domain}", None
        subject = "Undelivered Mail Returned to Sender"
    # A bounce goes to the envelope sender (RFC 5321), replies to the reply-to.
    to_addr = (inquiry.get("envelope_from") or inquiry["reply_to"]) if kind == "bounce" else inquiry["reply_to"]
    return {
        "company": company.slug,
        "kind": kind,
        "from_addr": from_addr,
        "to_addr": to_addr,
        "subject": subject,
        # Short enough never to be folded (some collectors read headers naively).
        "message_id": f"<{kind}.{ticket}.{uuid.uuid4().hex[:12]}@{company.domain}>",
        "in_reply_to": inquiry.get("message_id"),
        "staff_name": name,
        "due_at": iso(due.replace(microsecond=0)),
    }


def _strip_re(subject: str) -> str:
    while subject[:3].lower() in ("re:", "aw:") or subject[:4].lower() == "fwd:":
        subject = subject.split(":", 1)[1].strip()
    return subject or "Your enquiry"


def _business_hours(company: Company, when: datetime, jitter: timedelta) -> datetime:
    """``when`` if staff are at work then, else the next opening plus a little jitter."""
    b = company.behaviour
    tz = ZoneInfo(company.timezone)
    local = when.astimezone(tz)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in b.business_days:
            continue
        midnight = datetime.combine(day, time(0), tz)
        opening, closing = midnight + timedelta(hours=b.open_hour), midnight + timedelta(hours=b.close_hour)
        if local < opening:
            return (opening + jitter).astimezone(when.tzinfo)
        if local < closing:
            return when
    return when
