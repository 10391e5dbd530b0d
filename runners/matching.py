"""Match an inbound message to the contact it answers, most certain rule first.

1. ``token_address``: a contact's reply token in a recipient address
   (To, Cc, Delivered-To, X-Original-To; plus-addressing), or in the
   original sender of a bounced message;
2. ``in_reply_to``: In-Reply-To / References (or a bounce's original
   Message-ID) naming a Message-ID Knock sent;
3. ``token_in_text``: a token in the subject or body, quoted text included;
4. ``probable``: the sender's domain is a target's domain and exactly the
   contacts sent to it whose response window covers the arrival are
   candidates: the most recent is proposed, for a person to confirm.

Each match records its rule, a confidence and its reasons.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from experiments.inbox import MatchIndex

TOKEN_IN_ADDRESS = re.compile(r"\+([a-z2-7]{12})@", re.IGNORECASE)
TOKEN_WORD = re.compile(r"(?<![a-z0-9])([a-z2-7]{12})(?![a-z0-9])", re.IGNORECASE)


@dataclass(frozen=True)
class Match:
    contact_id: int | None
    rule: str | None
    confidence: float | None
    reasons: tuple[str, ...]


UNMATCHED = Match(None, None, None, ("no token, no known Message-ID, no sender domain of a target",))


def _domain_of(address: str | None) -> str:
    return address.rsplit("@", 1)[1].lower() if address and "@" in address else ""


def match(message, index: MatchIndex, received_at: dt.datetime | None) -> Match:
    """``message`` is a runners.mail_parse.ParsedMessage."""
    addresses = list(message.recipients) + [a for a in (message.embedded_from,) if a]
    for address in addresses:
        for token in TOKEN_IN_ADDRESS.findall(address):
            contact = index.tokens.get(token.lower())
            if contact:
                return Match(contact, "token_address", 1.0, (f"reply token {token.lower()} in address {address}",))
    referenced = [*message.in_reply_to, *message.references]
    if message.embedded_message_id:
        referenced.append(message.embedded_message_id)
    for message_id in referenced:
        contact = index.sent_message_ids.get(message_id)
        if contact:
            return Match(contact, "in_reply_to", 0.99, (f"refers to the inquiry Knock sent as {message_id}",))
    for text in (message.subject or "", message.text or ""):
        for token in TOKEN_WORD.findall(text):
            contact = index.tokens.get(token.lower())
            if contact:
                return Match(contact, "token_in_text", 0.9, (f"reply token {token.lower()} quoted in the message",))
    return _probable(message, index, received_at)


def _probable(message, index: MatchIndex, received_at: dt.datetime | None) -> Match:
    domain = _domain_of(message.from_addr)
    if not domain or received_at is None:
        return UNMATCHED
    candidates = [
        sent for target_domain, contacts in index.by_domain.items()
        if domain == target_domain or domain.endswith("." + target_domain)
        for sent in contacts if sent.submitted_at <= received_at <= sent.window_end
    ]
    if not candidates:
        return UNMATCHED
    best = max(candidates, key=lambda s: s.submitted_at)
    reasons = (f"sender domain {domain} belongs to target domain {best.domain}",
               f"{len(candidates)} contact(s) to that domain were inside their response window; "
               f"proposing the most recent, sent {best.submitted_at.isoformat()}")
    return Match(best.contact_id, "probable", round(1 / len(candidates) * 0.5, 3), reasons)
