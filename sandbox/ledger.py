"""The sandbox's durable record of everything it received and sent.

Tests (and sceptical researchers) use it to prove each knock arrived
exactly once and to see what the staff did about it. It is a plain SQLite
file under the sandbox's data dir; the sandbox is the outside world, so it
does not share the app's storage module.

One connection, one lock: HTTP threads, the SMTP loop and the dispatcher
all write through it, and each submission is stored together with its
planned replies in one transaction, so a crash never leaves a submission
without its staff plan.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    company         TEXT NOT NULL,
    channel         TEXT NOT NULL CHECK (channel IN ('web_form', 'job_application', 'email')),
    received_at     TEXT NOT NULL,      -- sandbox clock, UTC ISO 8601 with offset
    reply_to        TEXT,               -- where staff answer: form email / Reply-To / From
    sender_name     TEXT,               -- the name the inquirer gave (form) or From display name
    envelope_from   TEXT,               -- SMTP MAIL FROM (emails only): where bounces go
    subject         TEXT,
    body            TEXT,               -- the inquiry text staff quote
    fields          TEXT NOT NULL,      -- JSON: every form field, or the email's main headers
    message_id      TEXT,               -- emails only
    upload_filename TEXT,
    upload_size     INTEGER,
    upload_sha256   TEXT,
    ticket          TEXT NOT NULL,
    decision        TEXT NOT NULL,      -- none | auto_ack | human | auto_ack+human | bounce
    identity        TEXT NOT NULL,      -- content hash that seeds the staff decision
    remote_addr     TEXT,
    raw             BLOB                -- the email exactly as received
);
CREATE TABLE IF NOT EXISTS replies (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id   INTEGER NOT NULL REFERENCES submissions(id),
    company         TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('auto_ack', 'human', 'bounce')),
    from_addr       TEXT NOT NULL,
    to_addr         TEXT NOT NULL,
    subject         TEXT NOT NULL,
    message_id      TEXT NOT NULL UNIQUE,
    in_reply_to     TEXT,
    staff_name      TEXT,
    due_at          TEXT NOT NULL,      -- scheduled, sandbox clock
    sent_at         TEXT,               -- = due_at once delivered (stamped, even when flushed early)
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'undeliverable')),
    error           TEXT                -- why an undeliverable reply was refused
);
CREATE INDEX IF NOT EXISTS replies_pending ON replies (status, due_at);
"""

SUBMISSION_COLUMNS = (
    "company", "channel", "received_at", "reply_to", "sender_name", "envelope_from", "subject", "body", "fields",
    "message_id", "upload_filename", "upload_size", "upload_sha256", "ticket", "decision", "identity",
    "remote_addr", "raw",
)
REPLY_COLUMNS = (
    "company", "kind", "from_addr", "to_addr", "subject", "message_id", "in_reply_to", "staff_name", "due_at",
)


class Ledger:
    """Submissions and replies in one SQLite file; rows come out as dicts.

    >>> ledger = Ledger(tmp_path / "ledger.db")
    >>> ledger.submissions()
    []
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            for statement in _statements(SCHEMA):
                self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def record(self, submission: dict, replies: list[dict]) -> dict:
        """Store a submission and its planned replies atomically; return the stored row."""
        row = {c: submission.get(c) for c in SUBMISSION_COLUMNS}
        row["fields"] = json.dumps(row["fields"] or {}, ensure_ascii=False, sort_keys=True)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute(
                    f"INSERT INTO submissions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                    list(row.values()),
                )
                sub_id = cur.lastrowid
                for reply in replies:
                    values = [reply.get(c) for c in REPLY_COLUMNS]
                    self._db.execute(
                        f"INSERT INTO replies (submission_id, {', '.join(REPLY_COLUMNS)}) "
                        f"VALUES (?, {', '.join('?' * len(REPLY_COLUMNS))})",
                        [sub_id, *values],
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return self.submission(sub_id)

    def submission(self, submission_id: int) -> dict:
        rows = self._query("SELECT * FROM submissions WHERE id = ?", [submission_id])
        if not rows:
            raise KeyError(f"no submission {submission_id}")
        return _submission_dict(rows[0])

    def raw(self, submission_id: int) -> bytes | None:
        """The exact bytes of an emailed inquiry (None for form posts)."""
        rows = self._query("SELECT raw FROM submissions WHERE id = ?", [submission_id])
        return rows[0]["raw"] if rows else None

    def submissions(self, company: str | None = None, channel: str | None = None) -> list[dict]:
        sql, args = "SELECT * FROM submissions WHERE 1=1", []
        if company:
            sql, args = sql + " AND company = ?", args + [company]
        if channel:
            sql, args = sql + " AND channel = ?", args + [channel]
        return [_submission_dict(r) for r in self._query(sql + " ORDER BY id", args)]

    def replies(self, include_pending: bool = False, submission_id: int | None = None) -> list[dict]:
        sql, args = "SELECT * FROM replies WHERE 1=1", []
        if not include_pending:
            sql += " AND status = 'sent'"  # what staff actually sent
        if submission_id is not None:
            sql, args = sql + " AND submission_id = ?", [submission_id]
        return [dict(r) for r in self._query(sql + " ORDER BY id", args)]

    def pending(self) -> list[dict]:
        """Replies not yet delivered, earliest due first."""
        return [dict(r) for r in self._query("SELECT * FROM replies WHERE status = 'pending' ORDER BY due_at, id")]

    def mark_sent(self, reply_id: int, sent_at: str) -> None:
        with self._lock:
            self._db.execute("UPDATE replies SET status = 'sent', sent_at = ? WHERE id = ?", [sent_at, reply_id])

    def mark_undeliverable(self, reply_id: int, error: str) -> None:
        """The reply-to address was refused (bad syntax, not on the allowlist): never retried."""
        with self._lock:
            self._db.execute("UPDATE replies SET status = 'undeliverable', error = ? WHERE id = ?", [error, reply_id])

    def _query(self, sql: str, args=()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()


def _statements(script: str) -> list[str]:
    """Split the schema into statements (executescript would commit our transaction)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def _submission_dict(row: sqlite3.Row) -> dict:
    d = dict(row)
    raw = d.pop("raw")
    d["raw_size"] = len(raw) if raw is not None else None
    d["fields"] = json.loads(d["fields"])
    return d
