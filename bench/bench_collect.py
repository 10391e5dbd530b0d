"""Collect and match N messages from a Maildir, against a bare parse loop.

Baseline: read each file and parse it with Python's email package
(``BytesParser(policy=policy.default)``), nothing else. Knock: the whole
``collect_maildir`` (parse, classify, match, store in SQLite). Target:
Knock's throughput at least 0.5x the bare parse.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from email import policy
from email.parser import BytesParser
from pathlib import Path

from common import machine, table, timer

from experiments.store import Store
from runners.collect import collect_maildir
from runners.jobs import AttemptResult
from tests.factories import make_experiment

KINDS = ("human", "auto", "bounce", "stranger")


def prepare(root: Path, n: int, seed: int = 1) -> tuple[Path, Path]:
    db_path, maildir = root / "knock.db", root / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True)
    with Store(db_path) as store:
        experiment = make_experiment(n_targets=100, variants=("a", "b", "c", "d", "e"), cap=20, days=60)
        store.load(experiment)
        store.set_status(experiment.id, "armed")
        contacts = store.contacts(experiment.id)
        for c in contacts:
            store.claim(c["id"], "bench")
            store.mark_submitting(c["id"], "bench")
            store.record_attempt(c["id"], "bench", AttemptResult("submitted_confirmed", submit_reached=True),
                                 store.clock.now())
    rng = random.Random(seed)
    for i in range(n):
        c = rng.choice(contacts)
        kind = rng.choices(KINDS, weights=(5, 3, 1, 1))[0]
        (maildir / "new" / f"{1700000000 + i}.M{i}P1.bench").write_bytes(_message(i, c, kind))
    return db_path, maildir


def _message(i: int, contact: dict, kind: str) -> bytes:
    domain = f"company{contact['target_id'][1:]}.example"
    to = f"research+{contact['reply_token']}@lab.example"
    head = [f"Message-ID: <bench-{i}@{domain}>", "Date: Mon, 04 Mar 2030 10:00:00 +0000", f"To: {to}",
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    if kind == "human":
        head += [f"From: Staff <help@{domain}>", "Subject: Re: Question about your services"]
        body = "Hello,\n\nthanks for asking: we can start next week.\n\n> Hello team,\n> I am considering your services.\n"
    elif kind == "auto":
        head += [f"From: Support <noreply@{domain}>", "Subject: We received your request [#1234]",
                 "Auto-Submitted: auto-replied"]
        body = "This is an automated message. Please do not reply.\n"
    elif kind == "bounce":
        head = [h for h in head if not h.startswith("To:")] + [
            f"To: {to}", f"From: MAILER-DAEMON@{domain}", "Subject: Undelivered Mail Returned to Sender"]
        body = "This is the mail system. The message could not be delivered.\n"
    else:
        head += ["From: someone@elsewhere.example", "Subject: Newsletter", "To: research@lab.example"]
        body = "Unrelated mail.\n"
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode()


def bare_parse(maildir: Path) -> int:
    parser = BytesParser(policy=policy.default)
    count = 0
    for path in sorted((maildir / "new").iterdir()):
        parser.parsebytes(path.read_bytes())
        count += 1
    return count


def run(n: int) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        db_path, maildir = prepare(Path(tmp), n)
        with timer() as bare:
            parsed = bare_parse(maildir)
        with Store(db_path) as store, timer() as knock:
            counts = collect_maildir(store, maildir)
    assert parsed == n == counts.read
    ratio = (n / knock.seconds) / (n / bare.seconds)
    rows = [
        {"what": "bare parse (email package)", "messages": n, "seconds": f"{bare.seconds:.1f}",
         "per second": f"{n / bare.seconds:,.0f}", "ratio": "1.00 (baseline)"},
        {"what": "knock collect (parse, classify, match, store)", "messages": n, "seconds": f"{knock.seconds:.1f}",
         "per second": f"{n / knock.seconds:,.0f}", "ratio": f"{ratio:.2f} (target >= 0.50)"},
    ]
    return f"### Collect {n:,} messages from a Maildir\n\n{machine()}\n\n{table(rows)}\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    print(run(parser.parse_args().n))
