"""Queries the dashboard needs beyond the store's own: response coding and overviews.

``DashboardQueries`` is a mixin for ``experiments.store.Store`` (it needs
``self.db``, ``self.write``, ``self.log``, ``self.now``, ``self.contact``),
like ``ContactLedger`` and ``InboxQueries``. Until it is mixed in, the
module-level functions call the same methods on any ``Store``:

    >>> from experiments.store import Store
    >>> store = Store(":memory:")
    >>> codings(store, "nothing-yet")
    []

Codings follow the experiment's coding scheme: one level per contact,
coder and dimension (``UNIQUE(contact_id, coder, dimension)``); coding
again replaces the coder's earlier level, and every change is logged.
"""

from __future__ import annotations

import json

from experiments.errors import KnockError


class CodingRefused(KnockError):
    """A coding does not fit the experiment's coding scheme: pick a listed dimension and level."""


class DashboardQueries:
    """Coding of replies and small overview queries (mixed into Store)."""

    def save_coding(self, contact_id: int, coder: str, dimension: str, level: str) -> None:
        """Record one coder's level for one dimension of a contact's reply (replacing an earlier one)."""
        coder = (coder or "").strip()
        if not coder:
            raise CodingRefused("say who is coding: a coder name is required (two coders give kappa)")
        with self.write():
            contact = self.contact(contact_id)
            scheme = _scheme(self, contact["experiment_id"])
            if dimension not in scheme:
                known = ", ".join(scheme) or "none (the experiment has no coding scheme)"
                raise CodingRefused(f"no coding dimension '{dimension}' in {contact['experiment_id']} (known: {known})")
            if level not in scheme[dimension]:
                raise CodingRefused(f"'{level}' is not a level of {dimension} (levels: {', '.join(scheme[dimension])})")
            previous = self.db.execute(
                "SELECT level FROM codings WHERE contact_id = ? AND coder = ? AND dimension = ?",
                [contact_id, coder, dimension]).fetchone()
            self.db.execute(
                """INSERT INTO codings (contact_id, coder, dimension, level, coded_at) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (contact_id, coder, dimension) DO UPDATE SET
                       level = excluded.level, coded_at = excluded.coded_at""",
                [contact_id, coder, dimension, level, self.now()])
            self.log("coding.saved", contact["experiment_id"], contact_id, coder=coder, dimension=dimension,
                     level=level, previous=previous[0] if previous else None)

    def delete_coding(self, contact_id: int, coder: str, dimension: str) -> bool:
        """Withdraw one coder's level (e.g. coded the wrong contact). False when there was none."""
        with self.write():
            contact = self.contact(contact_id)
            removed = self.db.execute(
                "DELETE FROM codings WHERE contact_id = ? AND coder = ? AND dimension = ?",
                [contact_id, coder, dimension]).rowcount
            if removed:
                self.log("coding.deleted", contact["experiment_id"], contact_id, coder=coder, dimension=dimension)
        return bool(removed)

    def codings(self, experiment_id: str) -> list[dict]:
        """Every coding of an experiment: contact_id, coder, dimension, level, coded_at."""
        return list(self.db.query(
            """SELECT k.contact_id, k.coder, k.dimension, k.level, k.coded_at
               FROM codings k JOIN contacts c ON c.id = k.contact_id
               WHERE c.experiment_id = ? ORDER BY k.contact_id, k.dimension, k.coder""", [experiment_id]))

    def replied_contacts(self, experiment_id: str) -> list[dict]:
        """Contacts with at least one human reply (what gets coded), with their first reply's time.

        A probable match waits for a person to confirm it, so it is not coded yet.
        """
        return list(self.db.query(
            """SELECT c.id AS contact_id, c.target_id, t.name AS company, c.channel_type AS channel,
                      c.variant_id AS variant, MIN(m.received_at) AS first_human_at, COUNT(m.id) AS replies
               FROM contacts c
               JOIN targets t ON t.experiment_id = c.experiment_id AND t.id = c.target_id
               JOIN messages m ON m.contact_id = c.id AND m.classification = 'human'
                    AND COALESCE(m.match_rule, '') != 'probable'
               WHERE c.experiment_id = ?
               GROUP BY c.id ORDER BY first_human_at, c.id""", [experiment_id]))

    def contact_messages(self, contact_id: int) -> list[dict]:
        """The messages matched to one contact, oldest first."""
        return list(self.db.query(
            """SELECT id, source, received_at, from_addr, subject, body_text, classification, match_rule, note
               FROM messages WHERE contact_id = ? ORDER BY received_at, id""", [contact_id]))

    def contacts_overview(self, experiment_id: str) -> list[dict]:
        """Contacts with their company's name and the number of messages matched to each."""
        return list(self.db.query(
            """SELECT c.id, c.key, c.target_id, t.name AS company, t.domain, c.channel_key, c.channel_type,
                      c.variant_id, c.persona_id, c.planned_at, c.state, c.state_changed_at, c.submitted_at,
                      c.attempts, c.last_error, c.retry_at,
                      (SELECT COUNT(*) FROM messages m WHERE m.contact_id = c.id) AS messages
               FROM contacts c
               JOIN targets t ON t.experiment_id = c.experiment_id AND t.id = c.target_id
               WHERE c.experiment_id = ? ORDER BY c.planned_at, c.id""", [experiment_id]))


def _scheme(store, experiment_id: str) -> dict[str, list[str]]:
    row = store.experiment_row(experiment_id)
    definition = json.loads(row["definition"])
    return {d["id"]: list(d["levels"]) for d in definition.get("coding") or []}


# Until the lead mixes DashboardQueries into Store, call through these.
def save_coding(store, contact_id: int, coder: str, dimension: str, level: str) -> None:
    DashboardQueries.save_coding(store, contact_id, coder, dimension, level)


def delete_coding(store, contact_id: int, coder: str, dimension: str) -> bool:
    return DashboardQueries.delete_coding(store, contact_id, coder, dimension)


def codings(store, experiment_id: str) -> list[dict]:
    return DashboardQueries.codings(store, experiment_id)


def replied_contacts(store, experiment_id: str) -> list[dict]:
    return DashboardQueries.replied_contacts(store, experiment_id)


def contact_messages(store, contact_id: int) -> list[dict]:
    return DashboardQueries.contact_messages(store, contact_id)


def contacts_overview(store, experiment_id: str) -> list[dict]:
    return DashboardQueries.contacts_overview(store, experiment_id)
