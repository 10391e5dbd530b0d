"""The whole schema, as named forward migrations (sqlite-utils ``Migrations``).

Each migration runs in its own transaction with its own record in
``_sqlite_migrations``; a database made by an older Knock is brought
forward at start-up. Never edit a released migration: add a new one.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("knock")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE experiments (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL DEFAULT 'designed' CHECK (kind IN ('designed', 'imported')),
            title TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'armed', 'live', 'closed')),
            definition TEXT NOT NULL,
            source_yaml TEXT,
            source_path TEXT,
            seed INTEGER,
            prereg_hash TEXT,
            armed_at TEXT,
            live_at TEXT,
            closed_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE targets (
            experiment_id TEXT NOT NULL REFERENCES experiments(id),
            id TEXT NOT NULL,
            name TEXT NOT NULL,
            domain TEXT,
            timezone TEXT,
            strata TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (experiment_id, id)
        );
        CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            experiment_id TEXT NOT NULL REFERENCES experiments(id),
            key TEXT NOT NULL,
            target_id TEXT NOT NULL,
            channel_key TEXT NOT NULL,
            channel_type TEXT NOT NULL,
            variant_id TEXT NOT NULL,
            persona_id TEXT NOT NULL DEFAULT '',
            block TEXT NOT NULL DEFAULT '',
            sequence INTEGER NOT NULL DEFAULT 0,
            planned_at TEXT NOT NULL,
            reply_token TEXT NOT NULL UNIQUE,
            state TEXT NOT NULL DEFAULT 'planned' CHECK (state IN (
                'planned', 'queued', 'claimed', 'submitting', 'submitted',
                'uncertain', 'failed', 'blocked', 'skipped')),
            state_changed_at TEXT NOT NULL,
            submitted_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_owner TEXT,
            lease_expires_at TEXT,
            UNIQUE (experiment_id, key),
            FOREIGN KEY (experiment_id, target_id) REFERENCES targets(experiment_id, id)
        );
        CREATE INDEX contacts_due ON contacts (experiment_id, state, planned_at);
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts(id),
            started_at TEXT NOT NULL,
            ended_at TEXT,
            outcome TEXT,
            error TEXT,
            evidence TEXT NOT NULL DEFAULT '{}',
            worker TEXT,
            dry_run INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX attempts_contact ON attempts (contact_id);
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            message_id TEXT UNIQUE,
            source TEXT NOT NULL,
            contact_id INTEGER REFERENCES contacts(id),
            received_at TEXT,
            date_header TEXT,
            from_addr TEXT,
            to_addrs TEXT,
            subject TEXT,
            body_text TEXT,
            classification TEXT CHECK (classification IN ('human', 'auto_reply', 'bounce')),
            reasons TEXT NOT NULL DEFAULT '[]',
            match_rule TEXT,
            match_confidence REAL,
            note TEXT,
            created_at TEXT NOT NULL
        );
        CREATE INDEX messages_contact ON messages (contact_id, classification, received_at);
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            experiment_id TEXT,
            contact_id INTEGER,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX events_experiment ON events (experiment_id, id);
        -- The event log is append-only: the audit trail of every state change.
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        """
    )


@migrations()
def m002_strata_and_coding(db: Database) -> None:
    """Contacts carry their own strata (imported studies); coders code responses."""
    db.executescript(
        """
        ALTER TABLE contacts ADD COLUMN strata TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE experiments ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE codings (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts(id),
            coder TEXT NOT NULL,
            dimension TEXT NOT NULL,
            level TEXT NOT NULL,
            coded_at TEXT NOT NULL,
            UNIQUE (contact_id, coder, dimension)
        );
        """
    )
    db.execute("UPDATE contacts SET strata = '{}' WHERE strata IS NULL")


@migrations()
def m003_attempt_safety(db: Database) -> None:
    """Attempts record whether the irreversible step was reached, the Message-ID sent and the
    page's messages; failed contacts carry a retry time."""
    db.executescript(
        """
        ALTER TABLE attempts ADD COLUMN submit_reached INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE attempts ADD COLUMN message_id TEXT;
        ALTER TABLE attempts ADD COLUMN page_messages TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE contacts ADD COLUMN retry_at TEXT;
        ALTER TABLE contacts ADD COLUMN submitting_at TEXT;
        ALTER TABLE contacts ADD COLUMN last_error TEXT;
        CREATE INDEX attempts_message_id ON attempts (message_id);
        """
    )


@migrations()
def m004_collection(db: Database) -> None:
    """Inbound mail keeps its raw bytes and where it came from; mailboxes remember what was read."""
    db.executescript(
        """
        ALTER TABLE messages ADD COLUMN raw BLOB;
        ALTER TABLE messages ADD COLUMN raw_sha256 TEXT;
        ALTER TABLE messages ADD COLUMN size INTEGER;
        ALTER TABLE messages ADD COLUMN source_key TEXT;
        ALTER TABLE messages ADD COLUMN from_name TEXT;
        ALTER TABLE messages ADD COLUMN in_reply_to TEXT;
        ALTER TABLE messages ADD COLUMN classified_by TEXT NOT NULL DEFAULT 'rules';
        ALTER TABLE messages ADD COLUMN match_reasons TEXT NOT NULL DEFAULT '[]';
        CREATE UNIQUE INDEX messages_raw_sha256 ON messages (raw_sha256);
        CREATE TABLE mail_sources (
            key TEXT PRIMARY KEY,
            uidvalidity INTEGER,
            last_uid INTEGER,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE mail_seen (
            source_key TEXT NOT NULL,
            item TEXT NOT NULL,
            PRIMARY KEY (source_key, item)
        ) WITHOUT ROWID;
        CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY,
            source_key TEXT NOT NULL,
            item TEXT NOT NULL,
            reason TEXT NOT NULL,
            raw BLOB,
            created_at TEXT NOT NULL,
            UNIQUE (source_key, item)
        );
        """
    )
