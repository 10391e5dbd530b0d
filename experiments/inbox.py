"""Inbound messages: stored once, matched to contacts, triaged by hand.

Mixed into ``experiments.store.Store``. A message is stored once however
often it is delivered (same Message-ID, or same bytes when it has none).
Every assignment, unassignment and reclassification goes to the event log.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from experiments.clock import parse_iso
from experiments.errors import KnockError, NotFound

KINDS = ("human", "auto_reply", "bounce")


@dataclass(frozen=True)
class SentContact:
    contact_id: int
    experiment_id: str
    domain: str
    submitted_at: dt.datetime
    window_end: dt.datetime


@dataclass(frozen=True)
class MatchIndex:
    """What matching needs, loaded once per collection run."""

    tokens: dict[str, int]
    sent_message_ids: dict[str, int]
    by_domain: dict[str, list[SentContact]]


class InboxQueries:
    def match_index(self) -> MatchIndex:
        tokens = dict(self.db.execute(
            "SELECT reply_token, id FROM contacts WHERE state NOT IN ('planned')").fetchall())
        sent = dict(self.db.execute(
            "SELECT message_id, contact_id FROM attempts WHERE message_id IS NOT NULL").fetchall())
        windows = {row["id"]: float(json.loads(row["definition"]).get("response_window_days", 14))
                   for row in self.db.query("SELECT id, definition FROM experiments")}
        by_domain: dict[str, list[SentContact]] = {}
        for cid, eid, domain, submitted in self.db.execute(
                """SELECT c.id, c.experiment_id, t.domain, c.submitted_at FROM contacts c
                   JOIN targets t ON t.experiment_id = c.experiment_id AND t.id = c.target_id
                   WHERE c.submitted_at IS NOT NULL AND t.domain IS NOT NULL"""):
            start = parse_iso(submitted)
            by_domain.setdefault(domain, []).append(
                SentContact(cid, eid, domain, start, start + dt.timedelta(days=windows.get(eid, 14))))
        return MatchIndex(tokens, sent, by_domain)

    # --- collection bookkeeping --------------------------------------------------

    def seen_items(self, source_key: str) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT item FROM mail_seen WHERE source_key = ?", [source_key])}

    def mail_source(self, key: str) -> dict | None:
        rows = list(self.db["mail_sources"].rows_where("key = ?", [key]))
        return rows[0] if rows else None

    def save_messages(self, source_key: str, messages: list[dict], seen: list[str],
                      quarantined: list[tuple[str, str, bytes]], sync: tuple[int, int] | None = None,
                      items: list[str] | None = None) -> list[str]:
        """Store a batch in one transaction: new messages, items now read, quarantined ones, sync state.

        Returns one status per message: ``new``; ``duplicate`` (already
        stored: the same bytes, or the same Message-ID with the same
        sender, date, subject and text, as a second delivery has);
        ``conflict`` (a Message-ID already used by a *different* message:
        it goes to the quarantine, under its ``items`` entry, for a person
        to look at; never dropped as a duplicate). A crash before the
        commit loses nothing: the mailbox still has the messages and they
        are read again.
        """
        statuses: list[str] = []
        now = self.now()
        with self.write():
            for n, message in enumerate(messages):
                cursor = self.db.execute(
                    f"INSERT OR IGNORE INTO messages ({', '.join(message)}, created_at) "
                    f"VALUES ({', '.join('?' * len(message))}, ?)", [*message.values(), now])
                if cursor.rowcount:
                    statuses.append("new")
                    if message.get("contact_id"):
                        self.log("message.matched", None, message["contact_id"], message_id=message.get("message_id"),
                                 rule=message.get("match_rule"), classification=message.get("classification"))
                    continue
                clash = self._message_id_clash(message)
                if clash is None:
                    statuses.append("duplicate")
                    continue
                statuses.append("conflict")
                item = items[n] if items else f"message-id:{message['message_id']}"
                reason = (f"Message-ID {message['message_id']} is already used by stored message {clash}, "
                          "whose sender, date, subject or text differ; kept here instead of being dropped")
                if message.get("raw") is None:
                    reason += f" (too large to keep its bytes here: it is {item} in the mailbox)"
                self.db.execute(
                    "INSERT OR IGNORE INTO quarantine (source_key, item, reason, raw, created_at) VALUES (?, ?, ?, ?, ?)",
                    [source_key, item, reason, message.get("raw"), now])
            self.db.conn.executemany("INSERT OR IGNORE INTO mail_seen (source_key, item) VALUES (?, ?)",
                                [(source_key, item) for item in seen])
            for item, reason, raw in quarantined:
                self.db.execute(
                    "INSERT OR IGNORE INTO quarantine (source_key, item, reason, raw, created_at) VALUES (?, ?, ?, ?, ?)",
                    [source_key, item, reason, raw, now])
            if sync is not None:
                self.db["mail_sources"].upsert(
                    {"key": source_key, "uidvalidity": sync[0], "last_uid": sync[1], "updated_at": now}, pk="key")
        return statuses

    def _message_id_clash(self, message: dict) -> int | None:
        """The stored message whose Message-ID this one reuses with different content, if any.

        Raw bytes cannot decide: a genuine second delivery differs in its
        ``Received`` and ``Delivered-To`` headers. What the sender wrote can.
        """
        if self.db.execute("SELECT 1 FROM messages WHERE raw_sha256 = ?", [message.get("raw_sha256")]).fetchone():
            return None
        if not message.get("message_id"):
            return None
        row = self.db.execute("SELECT id, from_addr, date_header, subject, body_text FROM messages "
                              "WHERE message_id = ?", [message["message_id"]]).fetchone()
        if row is None:
            return None
        same = tuple(row[1:]) == tuple(message.get(k) for k in ("from_addr", "date_header", "subject", "body_text"))
        return None if same else row[0]

    # --- triage ----------------------------------------------------------------------

    def message(self, message_pk: int) -> dict:
        rows = list(self.db.query(
            "SELECT id, message_id, source, contact_id, received_at, date_header, from_addr, to_addrs, subject, "
            "body_text, classification, reasons, match_rule, match_confidence, match_reasons, classified_by, note "
            "FROM messages WHERE id = ?", [message_pk]))
        if not rows:
            raise NotFound(f"no message {message_pk}")
        return rows[0]

    def inbox(self, experiment_id: str | None = None, unmatched: bool = False, probable: bool = False,
              limit: int = 500) -> list[dict]:
        where, args = ["1 = 1"], []
        if unmatched:
            where.append("m.contact_id IS NULL")
        if probable:
            where.append("m.match_rule = 'probable'")
        if experiment_id:
            where.append("c.experiment_id = ?")
            args.append(experiment_id)
        return list(self.db.query(
            f"""SELECT m.id, m.received_at, m.from_addr, m.subject, m.classification, m.match_rule,
                       m.match_confidence, m.contact_id, c.experiment_id, c.target_id
                FROM messages m LEFT JOIN contacts c ON c.id = m.contact_id
                WHERE {' AND '.join(where)} AND m.source NOT IN ('import')
                ORDER BY m.received_at DESC, m.id DESC LIMIT ?""", [*args, limit]))

    def assign_message(self, message_pk: int, contact_id: int, note: str = "") -> None:
        """A person matches a message to a contact (or confirms a probable match)."""
        with self.write():
            message = self.message(message_pk)
            contact = self.contact(contact_id)
            self.db.execute(
                """UPDATE messages SET contact_id = ?, match_rule = 'manual', match_confidence = 1.0,
                       match_reasons = ? WHERE id = ?""",
                [contact_id, json.dumps([f"assigned by hand{': ' + note if note else ''}"]), message_pk])
            self.log("message.assigned", contact["experiment_id"], contact_id, message=message_pk,
                     previous_contact=message["contact_id"], previous_rule=message["match_rule"], note=note)

    def unassign_message(self, message_pk: int, note: str = "") -> None:
        """Undo a wrong match: the message goes back to the unmatched list."""
        with self.write():
            message = self.message(message_pk)
            if message["contact_id"] is None:
                raise KnockError(f"message {message_pk} is not matched to any contact")
            contact = self.contact(message["contact_id"])
            self.db.execute(
                "UPDATE messages SET contact_id = NULL, match_rule = NULL, match_confidence = NULL, "
                "match_reasons = ? WHERE id = ?", [json.dumps([f"unassigned by hand{': ' + note if note else ''}"]),
                                                   message_pk])
            self.log("message.unassigned", contact["experiment_id"], contact["id"], message=message_pk,
                     previous_rule=message["match_rule"], note=note)

    def reclassify_message(self, message_pk: int, kind: str, note: str = "") -> None:
        """A researcher overrides the classifier (human / auto_reply / bounce)."""
        if kind not in KINDS:
            raise KnockError(f"classification is one of {', '.join(KINDS)}, not {kind!r}")
        with self.write():
            message = self.message(message_pk)
            self.db.execute("UPDATE messages SET classification = ?, classified_by = 'researcher' WHERE id = ?",
                            [kind, message_pk])
            experiment = None
            if message["contact_id"]:
                experiment = self.contact(message["contact_id"])["experiment_id"]
            self.log("message.reclassified", experiment, message["contact_id"], message=message_pk,
                     old=message["classification"], new=kind, note=note)

    def quarantined(self) -> list[dict]:
        return list(self.db.query("SELECT id, source_key, item, reason, created_at, length(raw) AS size "
                                  "FROM quarantine ORDER BY id"))

    def quarantined_raw(self, quarantine_id: int) -> bytes:
        row = self.db.execute("SELECT raw FROM quarantine WHERE id = ?", [quarantine_id]).fetchone()
        if row is None:
            raise KnockError(f"no quarantined message {quarantine_id} (see knock inbox --quarantined)")
        if row[0] is None:
            raise KnockError(f"quarantined message {quarantine_id} was too large to keep here; "
                             "its reason names where it is in the mailbox")
        return row[0]

