"""The contact ledger: where every knock stands, written before it happens.

A contact moves ``planned -> queued -> claimed -> submitting -> submitted``.
The step into ``submitting`` is committed before the irreversible click or
send, so after a crash the ledger tells what may have gone out:

- a contact left ``claimed`` (lease expired) never reached the submit: it is
  queued again;
- a contact left ``submitting`` may have gone out: it becomes ``uncertain``
  and waits for a human, never retried.

Every change is one ``BEGIN IMMEDIATE`` transaction with its event, and each
is conditional on the state it expects, so two workers cannot both win.
This class is mixed into ``experiments.store.Store``.
"""

from __future__ import annotations

import datetime as dt
import json

from experiments.clock import iso
from experiments.errors import KnockError, NotFound

LEASE_SECONDS = 300
MAX_ATTEMPTS = 4
BACKOFF_MINUTES = (5, 30, 120)  # after the 1st, 2nd and 3rd failure

# Outcome (runners.jobs) -> state after the attempt, for outcomes that settle it.
SETTLED = {
    "submitted_confirmed": "submitted",
    "submitted_unconfirmed": "submitted",
    "blocked_captcha": "blocked",
    "form_not_found": "blocked",
    "offsite_redirect": "blocked",
}


class ContactLedger:
    """State changes of contacts (requires ``self.db``, ``self.write``, ``self.log``, ``self.clock``)."""

    def _move(self, contact_id: int, expected: tuple[str, ...], new: str, event: str,
              condition: str = "", condition_args: tuple = (), **changes) -> bool:
        """Change state only from an expected one; False when someone else got there first."""
        now = self.now()
        sets = ", ".join(f"{k} = ?" for k in changes)
        sql = (f"UPDATE contacts SET state = ?, state_changed_at = ?{', ' + sets if sets else ''} "
               f"WHERE id = ? AND state IN ({','.join('?' * len(expected))}) {condition}")
        with self.write():
            changed = self.db.execute(
                sql, [new, now, *changes.values(), contact_id, *expected, *condition_args]).rowcount
            if changed:
                row = self.db.execute("SELECT experiment_id FROM contacts WHERE id = ?", [contact_id]).fetchone()
                self.log(event, row[0], contact_id, new_state=new,
                         **{k: v for k, v in changes.items() if k not in ("lease_owner", "lease_expires_at")})
        return bool(changed)

    def contact(self, contact_id: int) -> dict:
        rows = list(self.db["contacts"].rows_where("id = ?", [contact_id]))
        if not rows:
            raise NotFound(f"no contact {contact_id}")
        return rows[0]

    def due_contacts(self, experiment_id: str, now: dt.datetime, ignore_schedule: bool = False) -> list[dict]:
        """Planned contacts whose time has come, and failed ones whose retry time has."""
        stamp = iso(now)
        clause = "" if ignore_schedule else "AND planned_at <= ?"
        args = [experiment_id] + ([] if ignore_schedule else [stamp])
        planned = list(self.db.query(
            f"SELECT * FROM contacts WHERE experiment_id = ? AND state IN ('planned', 'queued') {clause} "
            "ORDER BY planned_at, id", args))
        retries = list(self.db.query(
            "SELECT * FROM contacts WHERE experiment_id = ? AND state = 'failed' AND retry_at IS NOT NULL "
            "AND retry_at <= ? ORDER BY retry_at, id", [experiment_id, stamp]))
        return planned + retries

    # A failed contact may be taken again only when it carries a retry time that has come.
    _CLAIMABLE = "AND (state IN ('planned', 'queued') OR (retry_at IS NOT NULL AND retry_at <= ?))"

    def queue(self, contact_id: int) -> bool:
        return self._move(contact_id, ("planned", "queued", "failed"), "queued", "contact.queued",
                          self._CLAIMABLE, (self.now(),), retry_at=None)

    def claim(self, contact_id: int, worker: str, lease_seconds: int = LEASE_SECONDS) -> bool:
        """Take a contact for one attempt; a lease stops a dead worker from holding it forever."""
        until = iso(self.clock.now() + dt.timedelta(seconds=lease_seconds))
        return self._move(contact_id, ("planned", "queued", "failed"), "claimed", "contact.claimed",
                          self._CLAIMABLE, (self.now(),), lease_owner=worker, lease_expires_at=until,
                          retry_at=None)

    def mark_submitting(self, contact_id: int, worker: str, lease_seconds: int = LEASE_SECONDS) -> bool:
        """The durable step before the irreversible one; renews the lease for the submit. False: do not submit."""
        now = self.now()
        with self.write():
            # The experiment may have been closed or paused since the claim: re-check here,
            # in the same transaction as the step that allows the click.
            renewed = iso(self.clock.now() + dt.timedelta(seconds=lease_seconds))
            changed = self.db.execute(
                """UPDATE contacts SET state = 'submitting', state_changed_at = ?, submitting_at = ?,
                       lease_expires_at = ?
                   WHERE id = ? AND state = 'claimed' AND lease_owner = ? AND lease_expires_at > ?
                   AND EXISTS (SELECT 1 FROM experiments e WHERE e.id = contacts.experiment_id
                               AND e.status IN ('armed', 'live') AND e.paused = 0)
                   AND COALESCE((SELECT value FROM meta WHERE key = 'paused_all'), '0') != '1'""",
                [now, now, renewed, contact_id, worker, now]).rowcount
            if changed:
                row = self.db.execute("SELECT experiment_id FROM contacts WHERE id = ?", [contact_id]).fetchone()
                self.log("contact.submitting", row[0], contact_id, worker=worker)
        return bool(changed)

    def release(self, contact_id: int, worker: str, reason: str) -> bool:
        """Give back a claimed contact that never reached the submit (pause, shutdown)."""
        return self._move_owned(contact_id, worker, ("claimed",), "queued", "contact.released", reason)

    def _move_owned(self, contact_id: int, worker: str, expected, new: str, event: str, reason: str) -> bool:
        with self.write():
            row = self.db.execute("SELECT lease_owner, state FROM contacts WHERE id = ?", [contact_id]).fetchone()
            if not row or row[0] != worker or row[1] not in expected:
                return False
            return self._move(contact_id, tuple(expected), new, event, lease_owner=None,
                              lease_expires_at=None, last_error=reason)

    def record_attempt(self, contact_id: int, worker: str, result, started_at: dt.datetime,
                       dry_run: bool = False) -> str:
        """Store one attempt and settle the contact's state from its outcome. Returns the new state."""
        with self.write():
            contact = self.contact(contact_id)
            self.db["attempts"].insert({
                "contact_id": contact_id, "started_at": iso(started_at), "ended_at": self.now(),
                "outcome": result.outcome, "error": result.message or None,
                "evidence": json.dumps(result.evidence, sort_keys=True), "worker": worker,
                "dry_run": int(dry_run), "submit_reached": int(result.submit_reached),
                "message_id": result.message_id, "page_messages": json.dumps(result.page_messages)})
            if contact["lease_owner"] != worker:
                # A stale task (its lease expired and the contact moved on): keep the
                # attempt as evidence, but it no longer decides the contact's state.
                self.log("contact.stale_outcome", contact["experiment_id"], contact_id,
                         worker=worker, outcome=result.outcome)
                return contact["state"]
            counts = not dry_run and result.outcome not in ("dry_run", "aborted")
            attempts = contact["attempts"] + (1 if counts else 0)
            self.db.execute("UPDATE contacts SET attempts = ? WHERE id = ?", [attempts, contact_id])
            new_state, changes = self._settle(contact, result, attempts, dry_run)
            if new_state != contact["state"] or changes:
                self._move(contact_id, (contact["state"],), new_state, f"contact.{result.outcome}",
                           lease_owner=None, lease_expires_at=None, last_error=result.message or None, **changes)
            return new_state

    def _settle(self, contact: dict, result, attempts: int, dry_run: bool) -> tuple[str, dict]:
        if dry_run or result.outcome == "dry_run":
            return "planned", {}
        if SETTLED.get(result.outcome) == "submitted":
            return "submitted", {"submitted_at": contact["submitting_at"] or self.now()}
        if result.submit_reached or contact["state"] in ("submitting", "uncertain"):
            # The click or send was allowed. A form that refused the input kept it;
            # anything else may have gone out. Neither is ever retried.
            if result.outcome == "validation_error" and contact["state"] != "uncertain":
                return "failed", {"retry_at": None}
            return "uncertain", {}
        if result.outcome == "aborted":
            return "queued", {}
        if result.outcome in SETTLED:
            return SETTLED[result.outcome], {}
        if getattr(result, "retry", False) and attempts < MAX_ATTEMPTS:
            wait = BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1]
            return "failed", {"retry_at": iso(self.clock.now() + dt.timedelta(minutes=wait))}
        return "failed", {"retry_at": None}

    def expire_leases(self) -> dict[str, int]:
        """Recover from dead workers: claimed -> queued (safe), submitting -> uncertain (may have gone out)."""
        now = self.now()
        counts = {"requeued": 0, "uncertain": 0}
        stale = self.db.execute(
            "SELECT id, state FROM contacts WHERE state IN ('claimed', 'submitting') AND lease_expires_at <= ?",
            [now]).fetchall()
        expired = "AND lease_expires_at <= ?"  # re-checked in the update: a fresh claim is left alone
        for contact_id, state in stale:
            if state == "claimed":
                counts["requeued"] += self._move(contact_id, ("claimed",), "queued", "contact.lease_expired",
                                                 expired, (now,), lease_owner=None, lease_expires_at=None)
            else:
                # The owner stays recorded: if its outcome arrives after all, it may still settle the contact.
                counts["uncertain"] += self._move(
                    contact_id, ("submitting",), "uncertain", "contact.lease_expired", expired, (now,),
                    lease_expires_at=None,
                    last_error="the worker stopped after the submit began; it may have gone out")
        return counts

    def resolve_uncertain(self, contact_id: int, went_out: bool, note: str) -> bool:
        """A human's decision about a contact that may have gone out."""
        if went_out:
            return self._move(contact_id, ("uncertain",), "submitted", "contact.resolved",
                              submitted_at=self.contact(contact_id)["submitting_at"], last_error=note)
        return self._move(contact_id, ("uncertain",), "failed", "contact.resolved", retry_at=None, last_error=note)

    def skip(self, contact_id: int, reason: str) -> bool:
        return self._move(contact_id, ("planned", "queued", "failed", "claimed"), "skipped", "contact.skipped",
                          last_error=reason, lease_owner=None, lease_expires_at=None)

    def attempts_of(self, contact_id: int) -> list[dict]:
        return list(self.db["attempts"].rows_where("contact_id = ?", [contact_id], order_by="id"))

    # --- what run-time safety checks need ------------------------------------

    def last_contact_at_domain(self, domain: str) -> str | None:
        """The latest knock on a domain, across all experiments (politeness is per company, not per study)."""
        # A claimed contact is a knock under way: it counts from its claim.
        row = self.db.execute(
            """SELECT MAX(COALESCE(c.submitting_at, CASE WHEN c.state = 'claimed' THEN c.state_changed_at END))
               FROM contacts c
               JOIN targets t ON t.experiment_id = c.experiment_id AND t.id = c.target_id
               WHERE t.domain = ? AND (c.submitting_at IS NOT NULL OR c.state = 'claimed')""", [domain]).fetchone()
        return row[0]

    def contacts_made(self, experiment_id: str, target_id: str) -> int:
        """Knocks that count against the contact cap: made, or under way."""
        return self.db.execute(
            """SELECT COUNT(*) FROM contacts WHERE experiment_id = ? AND target_id = ?
               AND state IN ('claimed', 'submitting', 'submitted', 'uncertain')""",
            [experiment_id, target_id]).fetchone()[0]

    def in_flight(self) -> int:
        """Contacts claimed or being submitted right now, across experiments."""
        return self.db.execute("SELECT COUNT(*) FROM contacts WHERE state IN ('claimed', 'submitting')").fetchone()[0]

    def set_paused(self, experiment_id: str, paused: bool) -> None:
        """The pause switch: workers check it before every claim and before every submit."""
        with self.write():
            self.experiment_row(experiment_id)
            self.db.execute("UPDATE experiments SET paused = ? WHERE id = ?", [int(paused), experiment_id])
            self.log("experiment.paused" if paused else "experiment.resumed", experiment_id)

    def is_paused(self, experiment_id: str) -> bool:
        """Paused by its own switch or by the global one."""
        row = self.db.execute(
            "SELECT e.paused OR COALESCE((SELECT value = '1' FROM meta WHERE key = 'paused_all'), 0) "
            "FROM experiments e WHERE e.id = ?", [experiment_id]).fetchone()
        return bool(row and row[0])

    def set_paused_all(self, paused: bool) -> None:
        """The global switch: every experiment's runners and workers stop within seconds."""
        with self.write():
            self.db.execute("INSERT INTO meta (key, value) VALUES ('paused_all', ?) "
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", ["1" if paused else "0"])
            self.log("knock.paused_all" if paused else "knock.resumed_all")

    def is_paused_all(self) -> bool:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'paused_all'").fetchone()
        return bool(row and row[0] == "1")

    # --- manual channels (phone, social, chat) -------------------------------

    def manual_todo(self, experiment_id: str | None, now: dt.datetime) -> list[dict]:
        """Due contacts on channels a person works by hand."""
        where, args = "state IN ('planned', 'queued') AND channel_type IN ('phone', 'social', 'chat') AND planned_at <= ?", [iso(now)]
        if experiment_id:
            where, args = where + " AND experiment_id = ?", args + [experiment_id]
        return list(self.db["contacts"].rows_where(where, args, order_by="planned_at, id"))

    def record_manual_knock(self, contact_id: int, at: dt.datetime, note: str) -> bool:
        """A person made this knock (a call, a direct message) at ``at``."""
        return self._move(contact_id, ("planned", "queued"), "submitted", "contact.made_by_hand",
                          submitted_at=iso(at), submitting_at=iso(at), last_error=note or None)

    def log_response(self, contact_id: int, at: dt.datetime, kind: str, channel: str, note: str) -> int:
        """A reply that arrived outside the mailbox (phone, social, in person)."""
        if kind not in ("human", "auto_reply"):
            raise ValueError("kind is human or auto_reply")
        with self.write():
            contact = self.contact(contact_id)
            if contact["state"] not in ("submitted", "uncertain"):
                raise KnockError(f"contact {contact_id} is {contact['state']}: only a knock that was made can be answered")
            if contact["submitting_at"] and iso(at) < contact["submitting_at"]:
                raise KnockError(f"a reply at {iso(at)} would come before the knock ({contact['submitting_at']})")
            message_id = self.db["messages"].insert({
                "source": f"manual:{channel}", "contact_id": contact_id, "received_at": iso(at),
                "classification": kind, "reasons": json.dumps(["logged by hand"]), "match_rule": "manual",
                "match_confidence": 1.0, "note": note or None, "created_at": self.now()}).last_pk
            self.log("message.logged", contact["experiment_id"], contact_id, classification=kind, channel=channel,
                     at=iso(at))
        return message_id
