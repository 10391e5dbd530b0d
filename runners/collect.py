"""`knock collect`: read new mail, classify it, match it, store it.

Incremental and idempotent: a Maildir's items and an IMAP folder's UIDs
(with UIDVALIDITY) are remembered, and a message is stored once however
often it is delivered. The mailbox is never modified. Arrival time is the
Maildir delivery time (the file's mtime) or the IMAP INTERNALDATE, never
the sender's Date header alone (that is kept beside it).

A message that cannot be parsed is quarantined with the reason and the run
goes on. Work is saved in batches, each one transaction: a crash loses at
most the batch in flight, which is simply read again next time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from experiments.clock import iso
from experiments.errors import KnockError
from runners.classify import classify
from runners.mail_parse import Unparseable, parse_message
from runners.matching import match

RAW_CAP = int(os.environ.get("KNOCK_RAW_CAP", str(2_000_000)))
BATCH = 500
UTC = dt.timezone.utc


@dataclass
class CollectCounts:
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    by_rule: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)

    @property
    def unmatched(self) -> int:
        return self.by_rule.get("unmatched", 0)

    def rows(self) -> list[dict]:
        rows = [{"what": "read", "messages": self.read}, {"what": "new", "messages": self.stored},
                {"what": "already stored", "messages": self.duplicates},
                {"what": "quarantined", "messages": self.quarantined}]
        rows += [{"what": f"matched by {rule}" if rule != "unmatched" else "unmatched", "messages": n}
                 for rule, n in sorted(self.by_rule.items())]
        rows += [{"what": f"classified {kind}", "messages": n} for kind, n in sorted(self.by_kind.items())]
        return rows


def message_row(raw: bytes, received_at: dt.datetime, source: str, source_key: str, index) -> tuple[dict, str, str]:
    """Parse, classify and match one message into a messages row (raises Unparseable)."""
    parsed = parse_message(raw)
    kind = classify(parsed)
    classification, reasons = kind.kind, list(kind.reasons)
    if kind.kind == "bounce" and getattr(kind, "uncertain", False):
        # A delay notice says the mail is still on its way: automatic, but no failure.
        classification = "auto_reply"
        reasons.append("a delivery delay notice, not a failure: kept as an automatic message")
    found = match(parsed, index, received_at)
    rule = found.rule or "unmatched"
    return {
        "message_id": parsed.message_id, "source": source, "source_key": source_key,
        "contact_id": found.contact_id, "received_at": iso(received_at), "date_header": parsed.date_header,
        "from_addr": parsed.from_addr, "from_name": parsed.from_name, "to_addrs": json.dumps(list(parsed.recipients)),
        "subject": parsed.subject, "body_text": parsed.text, "classification": classification,
        "reasons": json.dumps(reasons), "match_rule": found.rule, "match_confidence": found.confidence,
        "match_reasons": json.dumps(list(found.reasons)),
        "in_reply_to": json.dumps(list(parsed.in_reply_to)), "size": len(raw),
        "raw": raw if len(raw) <= RAW_CAP else None, "raw_sha256": hashlib.sha256(raw).hexdigest(),
    }, rule, classification


class _Batcher:
    """Collects rows and saves them a batch at a time, one transaction each."""

    def __init__(self, store, source_key: str, counts: CollectCounts, progress):
        self.store, self.source_key, self.counts, self.progress = store, source_key, counts, progress
        self.index = store.match_index()
        self.rows: list[dict] = []
        self.row_items: list[str] = []
        self.tallies: list[tuple[str, str]] = []
        self.seen: list[str] = []
        self.quarantine: list[tuple[str, str, bytes]] = []
        self.sync: tuple[int, int] | None = None

    def add(self, item: str, raw: bytes, received_at: dt.datetime, source: str) -> None:
        self.counts.read += 1
        try:
            row, rule, kind = message_row(raw, received_at, source, self.source_key, self.index)
        except Unparseable as exc:
            self.quarantine.append((item, str(exc), raw[:RAW_CAP]))
            self.counts.quarantined += 1
        else:
            self.rows.append(row)
            self.row_items.append(item)
            self.tallies.append((rule, kind))
        self.seen.append(item)
        if len(self.seen) >= BATCH:
            self.flush()
        if self.progress:
            self.progress(1)

    def flush(self) -> None:
        if not (self.seen or self.sync):
            return
        statuses = self.store.save_messages(self.source_key, self.rows, self.seen, self.quarantine, self.sync,
                                            self.row_items)
        for status, (rule, kind) in zip(statuses, self.tallies):
            if status == "new":
                self.counts.stored += 1
                self.counts.by_rule[rule] += 1
                self.counts.by_kind[kind] += 1
            elif status == "duplicate":
                self.counts.duplicates += 1
            else:  # a Message-ID reused by a different message: quarantined
                self.counts.quarantined += 1
        self.rows, self.row_items, self.tallies, self.seen, self.quarantine = [], [], [], [], []


def collect_maildir(store, path: Path, progress: Callable[[int], None] | None = None) -> CollectCounts:
    """Read every not-yet-read message of a Maildir (new/ and cur/); the Maildir is left as it is."""
    path = Path(path).resolve()
    if not (path / "new").is_dir() and not (path / "cur").is_dir():
        raise KnockError(f"{path} is not a Maildir (it has no new/ or cur/ folder)")
    source_key = f"maildir:{path}"
    counts = CollectCounts()
    batcher = _Batcher(store, source_key, counts, progress)
    seen = store.seen_items(source_key)
    for item, file_path in _maildir_items(path):
        if item in seen:
            continue
        try:
            raw = file_path.read_bytes()
            delivered = dt.datetime.fromtimestamp(file_path.stat().st_mtime, UTC).replace(microsecond=0)
        except FileNotFoundError:  # moved by a mail client between listing and reading
            continue
        batcher.add(item, raw, delivered, "maildir")
    batcher.flush()
    return counts


def _maildir_items(path: Path) -> Iterable[tuple[str, Path]]:
    """(unique key, file) for every message; the key drops the ':2,FLAGS' suffix a client may add."""
    for folder in ("new", "cur"):
        directory = path / folder
        if not directory.is_dir():
            continue
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            if entry.is_file() and not entry.name.startswith("."):
                yield entry.name.split(":", 1)[0], Path(entry.path)


def collect_imap(store, url: str, password: str, progress: Callable[[int], None] | None = None) -> CollectCounts:
    """Fetch messages with UIDs above the last one read (all of them when UIDVALIDITY changed)."""
    from runners.imap_fetch import fetch_new, parse_imap_url

    source = parse_imap_url(url)
    source_key = f"imap:{source.user}@{source.host}:{source.port}/{source.mailbox}"
    state = store.mail_source(source_key) or {}
    counts = CollectCounts()
    batcher = _Batcher(store, source_key, counts, progress)
    known_validity, last_uid = state.get("uidvalidity"), state.get("last_uid")
    for fetched in fetch_new(source, password, known_validity, last_uid):
        batcher.sync = (fetched.uidvalidity, fetched.uid)
        batcher.add(f"{fetched.uidvalidity}:{fetched.uid}", fetched.raw, fetched.internaldate, "imap")
    batcher.flush()
    return counts
