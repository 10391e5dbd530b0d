"""The store: every query Knock makes, over one SQLite database.

One ``Store`` wraps a sqlite-utils ``Database``; rows come back as plain
dicts. Every multi-row change runs inside ``write()``, a ``BEGIN
IMMEDIATE`` transaction: deferred transactions that read then write hit
"database is locked" under several processes, immediate ones wait their
turn (busy timeout). Every state change appends to the event log in the
same transaction as the change itself.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sqlite_utils import Database

from experiments import lifecycle
from experiments.assignment import PlannedContact, plan as make_plan
from experiments.clock import Clock, iso
from experiments.dashboard_queries import DashboardQueries
from experiments.inbox import InboxQueries
from experiments.ledger import ContactLedger
from experiments.errors import ImportRefused, NotFound, PreregisteredChange, TransitionRefused
from experiments.model import Experiment
from experiments.outcomes_import import OutcomeRow
from experiments.schema import migrations

DEFAULT_DB = Path("data/knock.db")


@dataclass(frozen=True)
class LoadResult:
    experiment_id: str
    action: str  # created | unchanged | replanned | updated
    contacts: int


class AnalysisQueries:
    """Read-only queries the analysis table is built from (mixed into Store)."""

    def analysis_rows(self, experiment_id: str) -> tuple[list[str], list[tuple]]:
        """One row per contact with its first replies by kind.

        Messages matched only as 'probable' wait for a person to confirm them
        and do not count yet.
        """
        cursor = self.db.execute(
            """SELECT c.id AS contact_id, c.experiment_id, t.id AS target_id, t.name AS company,
                      c.channel_type AS channel, c.variant_id AS variant, c.persona_id AS persona,
                      c.state, c.submitted_at AS sent_at, c.last_error, t.strata AS target_strata,
                      c.strata AS contact_strata,
                      m.n_messages, m.first_any_at, m.first_human_at, m.n_human, m.first_auto_at,
                      m.bounced_at, m.n_bounce
               FROM contacts c
               JOIN targets t ON t.experiment_id = c.experiment_id AND t.id = c.target_id
               LEFT JOIN (
                   SELECT contact_id, COUNT(*) AS n_messages, MIN(received_at) AS first_any_at,
                          MIN(CASE WHEN classification = 'human' THEN received_at END) AS first_human_at,
                          SUM(classification = 'human') AS n_human,
                          MIN(CASE WHEN classification = 'auto_reply' THEN received_at END) AS first_auto_at,
                          MIN(CASE WHEN classification = 'bounce' THEN received_at END) AS bounced_at,
                          SUM(classification = 'bounce') AS n_bounce
                   FROM messages
                   WHERE contact_id IS NOT NULL AND COALESCE(match_rule, '') != 'probable'
                   GROUP BY contact_id
               ) m ON m.contact_id = c.id
               WHERE c.experiment_id = ?
               ORDER BY c.id""", [experiment_id])
        return [d[0] for d in cursor.description], cursor.fetchall()

    def simulated_clock(self, experiment_id: str) -> bool:
        """Whether the experiment ran under a simulated clock (the sandbox's fast demo time)."""
        return bool(self.db.execute(
            "SELECT 1 FROM events WHERE experiment_id = ? AND kind = 'experiment.simulated_clock' LIMIT 1",
            [experiment_id]).fetchone())

    def response_window_days(self, experiment_id: str) -> float:
        row = self.experiment_row(experiment_id)
        return float(json.loads(row["definition"]).get("response_window_days", 14))


class Store(ContactLedger, InboxQueries, AnalysisQueries, DashboardQueries):
    """The database. ``Store(path)`` creates it and applies pending migrations."""

    def __init__(self, path: str | Path = DEFAULT_DB, clock: Clock | None = None):
        self.path = Path(path)
        self.clock = clock or Clock()
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        self.db = Database(conn)
        self.db.execute("PRAGMA foreign_keys = ON")
        if str(path) != ":memory:":
            self.db.enable_wal()
        with self.write():
            migrations.apply(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[Database]:
        """One immediate transaction; nested calls join the outer one."""
        if self.db.conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.rollback()
            raise
        self.db.commit()

    def now(self) -> str:
        return iso(self.clock.now())

    def log(self, kind: str, experiment_id: str | None = None, contact_id: int | None = None, **detail) -> None:
        """Append to the event log (call inside ``write()``)."""
        self.db["events"].insert({
            "at": self.now(), "experiment_id": experiment_id, "contact_id": contact_id,
            "kind": kind, "detail": json.dumps(detail, sort_keys=True, default=str),
        })

    def token_key(self) -> bytes:
        """The database's secret for reply tokens, made on first use."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'token_key'").fetchone()
        if row:
            return bytes.fromhex(row[0])
        with self.write():
            self.db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('token_key', ?)", [secrets.token_hex(32)])
        return bytes.fromhex(self.db.execute("SELECT value FROM meta WHERE key = 'token_key'").fetchone()[0])

    # --- experiments ------------------------------------------------------

    def experiment_row(self, experiment_id: str) -> dict:
        rows = list(self.db["experiments"].rows_where("id = ?", [experiment_id]))
        if not rows:
            known = ", ".join(r["id"] for r in self.db["experiments"].rows) or "none yet"
            raise NotFound(f"no experiment '{experiment_id}' (known: {known})")
        return rows[0]

    def definition(self, experiment_id: str) -> Experiment:
        row = self.experiment_row(experiment_id)
        if row["kind"] != "designed":
            raise NotFound(f"experiment '{experiment_id}' was imported: it has outcomes but no design")
        return Experiment.model_validate_json(row["definition"])

    def experiments(self) -> list[dict]:
        """Every experiment with its contact counts by state."""
        rows = self.db.query(
            """SELECT e.id, e.title, e.kind, e.status, e.paused, e.created_at, e.armed_at,
                      COUNT(c.id) AS contacts,
                      SUM(c.state IN ('submitted', 'uncertain')) AS sent,
                      SUM(c.state = 'planned') AS planned
               FROM experiments e LEFT JOIN contacts c ON c.experiment_id = e.id
               GROUP BY e.id ORDER BY e.created_at, e.id""")
        return [dict(r, sent=r["sent"] or 0, planned=r["planned"] or 0) for r in rows]

    def state_counts(self, experiment_id: str) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT state, COUNT(*) FROM contacts WHERE experiment_id = ? GROUP BY state ORDER BY state",
            [experiment_id]).fetchall()
        return dict(rows)

    def contacts(self, experiment_id: str, state: str | None = None) -> list[dict]:
        where, args = "experiment_id = ?", [experiment_id]
        if state:
            where, args = where + " AND state = ?", args + [state]
        return list(self.db["contacts"].rows_where(where, args, order_by="planned_at, key"))

    def targets(self, experiment_id: str) -> list[dict]:
        return list(self.db["targets"].rows_where("experiment_id = ?", [experiment_id], order_by="id"))

    def events(self, experiment_id: str | None = None) -> list[dict]:
        if experiment_id is None:
            return list(self.db["events"].rows_where(order_by="id"))
        return list(self.db["events"].rows_where("experiment_id = ?", [experiment_id], order_by="id"))

    def load(self, experiment: Experiment, source_yaml: str = "", source_path: str | None = None) -> LoadResult:
        """Store a definition and its plan; idempotent for an unchanged file."""
        planned = make_plan(experiment, self.token_key())
        definition = experiment.model_dump_json()
        with self.write():
            existing = list(self.db["experiments"].rows_where("id = ?", [experiment.id]))
            if not existing:
                self._insert_experiment(experiment, definition, source_yaml, source_path)
                self._replace_plan(experiment, planned)
                self.log("experiment.created", experiment.id, contacts=len(planned))
                return LoadResult(experiment.id, "created", len(planned))
            row = existing[0]
            if row["kind"] != "designed":
                raise PreregisteredChange(
                    f"experiment '{experiment.id}' holds imported outcomes; give the design another id")
            if row["definition"] == definition:
                return LoadResult(experiment.id, "unchanged", len(planned))
            if row["status"] == "draft":
                self._update_definition(experiment, definition, source_yaml, source_path)
                self._replace_plan(experiment, planned)
                self.log("experiment.replanned", experiment.id, contacts=len(planned))
                return LoadResult(experiment.id, "replanned", len(planned))
            if lifecycle.prereg_hash(experiment, planned) != row["prereg_hash"]:
                raise PreregisteredChange(
                    f"experiment '{experiment.id}' is {row['status']} (armed {row['armed_at']}): its design, "
                    "hypothesis, seed and plan are pre-registered and cannot change. Load the new version "
                    "under a new id; only titles, recipes, the opt-out list, coding and publication "
                    "settings may be edited after arming")
            self._update_definition(experiment, definition, source_yaml, source_path)
            self.log("experiment.updated", experiment.id, note="operational details changed; design unchanged")
            return LoadResult(experiment.id, "updated", len(planned))

    def _insert_experiment(self, experiment: Experiment, definition: str, source_yaml: str, source_path) -> None:
        now = self.now()
        self.db["experiments"].insert({
            "id": experiment.id, "kind": "designed", "title": experiment.title, "status": "draft",
            "definition": definition, "source_yaml": source_yaml, "source_path": source_path,
            "seed": experiment.design.seed, "created_at": now, "updated_at": now,
        })

    def _update_definition(self, experiment: Experiment, definition: str, source_yaml: str, source_path) -> None:
        self.db["experiments"].update(experiment.id, {
            "title": experiment.title, "definition": definition, "source_yaml": source_yaml,
            "source_path": source_path, "seed": experiment.design.seed, "updated_at": self.now(),
        })

    def _replace_plan(self, experiment: Experiment, planned: list[PlannedContact]) -> None:
        """Re-plan a draft: keep contacts whose key survives (and their token), drop the rest."""
        eid = experiment.id
        self.db["targets"].upsert_all(
            [{"experiment_id": eid, "id": t.id, "name": t.name, "domain": t.domain,
              "timezone": t.timezone, "strata": json.dumps(t.strata, sort_keys=True)}
             for t in experiment.targets], pk=("experiment_id", "id"))
        keys = [c.key for c in planned]
        stale = self.db.execute(
            f"SELECT id FROM contacts WHERE experiment_id = ? AND key NOT IN ({','.join('?' * len(keys))})",
            [eid, *keys]).fetchall()
        for (contact_id,) in stale:
            self.db.execute("DELETE FROM attempts WHERE contact_id = ?", [contact_id])
            self.db.execute("DELETE FROM codings WHERE contact_id = ?", [contact_id])
            self.db.execute("DELETE FROM contacts WHERE id = ?", [contact_id])
        now = self.now()
        for c in planned:
            self.db.execute(
                """INSERT INTO contacts (experiment_id, key, target_id, channel_key, channel_type, variant_id,
                       persona_id, block, sequence, planned_at, reply_token, state, state_changed_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'planned', ?)
                   ON CONFLICT (experiment_id, key) DO UPDATE SET
                       target_id = excluded.target_id, channel_key = excluded.channel_key,
                       channel_type = excluded.channel_type, variant_id = excluded.variant_id,
                       persona_id = excluded.persona_id, block = excluded.block,
                       sequence = excluded.sequence, planned_at = excluded.planned_at""",
                [eid, c.key, c.target_id, c.channel_key, c.channel_type, c.variant_id, c.persona_id,
                 c.block, c.sequence, iso(c.planned_at), c.reply_token, now])
        target_ids = [t.id for t in experiment.targets]
        self.db.execute(
            f"DELETE FROM targets WHERE experiment_id = ? AND id NOT IN ({','.join('?' * len(target_ids))})",
            [eid, *target_ids])

    def set_status(self, experiment_id: str, status: str) -> dict:
        """Move an experiment along its lifecycle; arming locks the pre-registration."""
        with self.write():
            row = self.experiment_row(experiment_id)
            if row["kind"] != "designed":
                raise TransitionRefused(f"experiment '{experiment_id}' was imported; it has no lifecycle")
            if not lifecycle.allowed(row["status"], status):
                allowed = sorted(lifecycle.TRANSITIONS[row["status"]]) or ["nothing (it is closed)"]
                raise TransitionRefused(
                    f"experiment '{experiment_id}' is {row['status']}; it can move to {', '.join(allowed)}, not {status}")
            now = self.now()
            changes: dict = {"status": status, "updated_at": now, f"{status}_at": now}
            if status == "armed":
                experiment = Experiment.model_validate_json(row["definition"])
                changes["prereg_hash"] = lifecycle.prereg_hash(experiment, make_plan(experiment, self.token_key()))
            self.db["experiments"].update(experiment_id, changes)
            self.log("experiment.status", experiment_id, old=row["status"], new=status,
                     prereg_hash=changes.get("prereg_hash"))
        return self.experiment_row(experiment_id)

    # --- imported studies ---------------------------------------------------

    def import_outcomes(self, experiment_id: str, rows: list[OutcomeRow], source_path: str,
                        window_days: float = 14.0) -> LoadResult:
        """Store a study run elsewhere as a closed, imported experiment (all rows or none).

        Re-importing into the same id replaces the earlier import; an
        experiment designed in Knock is never overwritten.
        """
        with self.write():
            existing = list(self.db["experiments"].rows_where("id = ?", [experiment_id]))
            if existing and existing[0]["kind"] != "imported":
                raise ImportRefused([f"experiment '{experiment_id}' was designed in Knock; import into a new id"])
            action = "replaced" if existing else "created"
            if existing:
                self._delete_imported(experiment_id)
            now = self.now()
            strata = sorted({k for r in rows for k in r.strata})
            definition = {"imported_from": source_path, "response_window_days": window_days, "strata": strata}
            self.db["experiments"].insert({
                "id": experiment_id, "kind": "imported", "title": f"Imported from {Path(source_path).name}",
                "status": "closed", "definition": json.dumps(definition), "source_path": source_path,
                "created_at": now, "updated_at": now, "closed_at": now})
            target_ids = _target_ids(r.company for r in rows)
            self.db["targets"].insert_all(
                [{"experiment_id": experiment_id, "id": tid, "name": name, "strata": "{}"}
                 for name, tid in target_ids.items()])
            for row in rows:
                sent = iso(row.sent_at)
                contact_id = self.db.execute(
                    """INSERT INTO contacts (experiment_id, key, target_id, channel_key, channel_type, variant_id,
                           planned_at, reply_token, state, state_changed_at, submitted_at, strata)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'submitted', ?, ?, ?)""",
                    [experiment_id, f"line{row.line}", target_ids[row.company], row.channel, row.channel,
                     row.variant, sent, secrets.token_hex(10), sent, sent, json.dumps(row.strata, sort_keys=True)],
                ).lastrowid
                if row.responded:
                    self.db.execute(
                        """INSERT INTO messages (source, contact_id, received_at, classification, reasons,
                               match_rule, match_confidence, created_at)
                           VALUES ('import', ?, ?, 'human', '["imported"]', 'import', 1.0, ?)""",
                        [contact_id, iso(row.responded_at) if row.responded_at else None, now])
            self.log("experiment.imported", experiment_id, rows=len(rows), source=source_path, action=action)
        return LoadResult(experiment_id, action, len(rows))

    def _delete_imported(self, experiment_id: str) -> None:
        contact_ids = "SELECT id FROM contacts WHERE experiment_id = ?"
        for table in ("messages", "codings", "attempts"):
            self.db.execute(f"DELETE FROM {table} WHERE contact_id IN ({contact_ids})", [experiment_id])
        for table, column in (("contacts", "experiment_id"), ("targets", "experiment_id"), ("experiments", "id")):
            self.db.execute(f"DELETE FROM {table} WHERE {column} = ?", [experiment_id])


def _target_ids(companies) -> dict[str, str]:
    """Stable, unique ids for company names (``"Acme & Co"`` -> ``acme-co``)."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for name in companies:
        if name in ids:
            continue
        base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "company"
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}-{n}", n + 1
        ids[name] = candidate
        used.add(candidate)
    return ids

