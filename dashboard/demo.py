"""A database with an experiment in the field, for trying the dashboard, its tests and screenshots.

    python -m dashboard.demo --db data/demo.db      # then KNOCK_DB=data/demo.db streamlit run app.py

It loads the example inquiry study shifted into the past (so replies have
had time to come), arms it, and writes what a few weeks of fieldwork would
have left in the ledger, only through the store's public methods: contacts
made, blocked by a CAPTCHA, failed, one uncertain; attempts with small
before/after screenshots; replies (human, auto-reply, a bounce, one
unmatched, one probable match to confirm); and two coders' codes. Nothing is
contacted: it is all made up, seeded, and repeatable.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
from pathlib import Path

from experiments.clock import FixedClock, iso
from experiments.dashboard_queries import save_coding
from experiments.store import Store
from experiments.validation import validate_text

EXAMPLES = Path(__file__).resolve().parent.parent / "experiments" / "examples"
UTC = dt.timezone.utc


class _Result:
    """The shape of runners.jobs.AttemptResult that the ledger reads."""

    def __init__(self, outcome, message="", submit_reached=False, evidence=None, page_messages=None):
        self.outcome, self.message, self.submit_reached = outcome, message, submit_reached
        self.evidence, self.page_messages, self.message_id = evidence or {}, page_messages or [], None


def _screenshot(path: Path, company: str, lines: list[str], done: bool) -> str:
    """A small stand-in screenshot of a contact form (PNG)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 300), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 480, 44], fill="#0b3d5c")
    draw.text((16, 14), f"{company} - Contact us", fill="white")
    if done:
        draw.rectangle([16, 70, 464, 130], outline="#009E73", width=2)
        draw.text((30, 92), "Thank you! Your message has been sent.", fill="#00664a")
    else:
        y = 64
        for line in lines:
            draw.text((20, y), line.split(":")[0], fill="#333333")
            draw.rectangle([130, y - 4, 460, y + 18], outline="#999999")
            draw.text((136, y), line.split(":", 1)[-1].strip()[:48], fill="#111111")
            y += 40
        draw.rectangle([20, y + 4, 110, y + 30], fill="#0072B2")
        draw.text((40, y + 10), "Send", fill="white")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)
    return str(path)


def _definition(sandbox_port: int | None, start: dt.date, name: str = "inquiry.yaml",
                new_id: str | None = None) -> tuple:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    text = text.replace("start: 2026-12-01", f"start: {start.isoformat()}", 1)
    if sandbox_port:
        text = text.replace("127.0.0.1:8765", f"127.0.0.1:{sandbox_port}")
    if new_id:
        import re

        text = re.sub(r"^id:.*$", f"id: {new_id}", text, count=1, flags=re.MULTILINE)
    validated = validate_text(text, name)
    if not validated.ok:
        raise ValueError("\n".join(map(str, validated.problems)))
    return validated.experiment, text


def seed_demo(db_path: Path | str, evidence_root: Path | str | None = None, today: dt.datetime | None = None,
              seed: int = 7, sandbox_port: int | None = None, with_job_audit: bool = True) -> dict:
    """Fill ``db_path`` with a running study; returns a few ids the tests use."""
    rng = random.Random(seed)
    today = (today or dt.datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    evidence_root = Path(evidence_root) if evidence_root else Path(db_path).parent / "evidence"
    start = (today - dt.timedelta(days=32)).date()
    clock = FixedClock(dt.datetime.combine(start, dt.time(8), tzinfo=UTC))
    experiment, text = _definition(sandbox_port, start)
    out: dict = {"experiment": experiment.id}
    with Store(db_path, clock=clock) as store:
        store.load(experiment, text, "experiments/examples/inquiry.yaml")
        store.set_status(experiment.id, "armed")
        targets = {t.id: t for t in experiment.targets}
        made: list[dict] = []
        for contact in store.contacts(experiment.id):
            planned = dt.datetime.fromisoformat(contact["planned_at"]).astimezone(UTC)
            if planned > today - dt.timedelta(days=3):
                continue  # still to come
            clock.current = planned
            target = targets[contact["target_id"]]
            if contact["channel_type"] == "phone":
                store.record_manual_knock(contact["id"], planned, "called the front desk")
                made.append(store.contact(contact["id"]))
                continue
            outcome = _outcome(rng, target.id, contact["channel_type"])
            worker = "demo-worker"
            store.claim(contact["id"], worker)
            evidence = {}
            if contact["channel_type"] != "email":
                folder = evidence_root / experiment.id / str(contact["id"])
                stamp = planned.strftime("%Y%m%dT%H%M%S")
                persona = experiment.persona(contact["persona_id"])
                lines = [f"Name: {persona.name}", f"Email: research+{contact['reply_token']}@lab.example",
                         "Subject: Question about your services", "Message: Hello, I am considering..."]
                evidence["before"] = _screenshot(folder / f"{stamp}-before.png", target.name, lines, False)
                if outcome == "submitted_confirmed":
                    evidence["after"] = _screenshot(folder / f"{stamp}-after.png", target.name, [], True)
            if outcome == "blocked_captcha":
                result = _Result(outcome, "a CAPTCHA guards the form: recorded as blocked, never solved",
                                 evidence=evidence, page_messages=["Please prove you are not a robot"])
            elif outcome == "timeout":
                result = _Result(outcome, "the page did not load within 20 s", evidence=evidence)
            elif outcome == "uncertain":
                store.mark_submitting(contact["id"], worker)
                result = _Result("error", "the browser crashed right after the click", submit_reached=True,
                                 evidence=evidence)
            else:
                store.mark_submitting(contact["id"], worker)
                result = _Result("submitted_confirmed", "", submit_reached=True, evidence=evidence,
                                 page_messages=["Thank you! Your message has been sent."])
            state = store.record_attempt(contact["id"], worker, result, planned)
            out.setdefault(state, contact["id"])
            if state == "submitted":
                made.append(store.contact(contact["id"]))
        clock.current = today
        _replies(store, experiment, made, rng, today)
        out["made"] = [c["id"] for c in made]
        out["coded"] = _codes(store, experiment.id, rng)
        if with_job_audit:
            job, job_text = _definition(sandbox_port, (today + dt.timedelta(days=7)).date(), "job-audit.yaml")
            store.load(job, job_text, "experiments/examples/job-audit.yaml")
    return out


def _outcome(rng: random.Random, target_id: str, channel_type: str) -> str:
    if target_id == "northgate-insurance" and channel_type == "web_form":
        return "blocked_captcha"
    if target_id == "copperpot-kitchen" and channel_type == "web_form":
        return "timeout"
    if target_id == "tandem-travel" and channel_type == "web_form":
        return "uncertain"
    return "submitted_confirmed"


# How likely a human answer is, per channel and variant (the demo's "truth").
_HUMAN = {("email", "customer"): 0.8, ("email", "prospect"): 0.55, ("web_form", "customer"): 0.55,
          ("web_form", "prospect"): 0.3, ("phone", "customer"): 0.7, ("phone", "prospect"): 0.6}


def _replies(store, experiment, made: list[dict], rng: random.Random, today: dt.datetime) -> None:
    targets = {t.id: t for t in experiment.targets}
    rows = []
    for contact in made:
        target = targets[contact["target_id"]]
        sent = dt.datetime.fromisoformat(contact["submitted_at"]).astimezone(UTC)
        token = contact["reply_token"]
        to = json.dumps([f"research+{token}@lab.example"])
        base = {"source": "maildir", "source_key": "demo", "contact_id": contact["id"], "to_addrs": to,
                "from_name": f"{target.name} support", "from_addr": f"support@{target.domain}"}
        if contact["channel_type"] in ("email", "web_form") and rng.random() < 0.5:
            at = sent + dt.timedelta(minutes=rng.randint(1, 5))
            rows.append({**base, "message_id": f"<auto-{contact['id']}@{target.domain}>", "received_at": iso(at),
                         "subject": f"Re: Question about your services [ticket {contact['id'] + 4000}]",
                         "body_text": "Thank you for contacting us. This is an automatic confirmation: we "
                                      "aim to answer within five working days.",
                         "classification": "auto_reply",
                         "reasons": json.dumps(["Auto-Submitted: auto-replied", "automatic confirmation wording"]),
                         "match_rule": "token_address", "match_confidence": 1.0,
                         "match_reasons": json.dumps([f"reply token {token} in address research+{token}@lab.example"])})
        p = _HUMAN.get((contact["channel_type"], contact["variant_id"]), 0.4)
        if rng.random() < p:
            hours = min(rng.lognormvariate(3.0, 1.2), 24 * 13)
            at = sent + dt.timedelta(hours=hours)
            if at > today:
                continue
            if contact["channel_type"] == "phone":
                store.log_response(contact["id"], at, "human", "phone", "called back, answered the question")
                continue
            rows.append({**base, "message_id": f"<human-{contact['id']}@{target.domain}>", "received_at": iso(at),
                         "from_addr": f"sam.taylor@{target.domain}", "from_name": "Sam Taylor",
                         "subject": "Re: Question about your services",
                         "body_text": (f"Hello,\n\nthanks for getting in touch with {target.name}. Getting started "
                                       "takes about a week: we set up your account, then a colleague calls you "
                                       "to agree the next steps.\n\nBest wishes,\nSam Taylor"),
                         "classification": "human", "reasons": json.dumps(["a person's signature", "no auto-reply headers"]),
                         "match_rule": "token_address", "match_confidence": 1.0,
                         "match_reasons": json.dumps([f"reply token {token} in address research+{token}@lab.example"])})
    bounced = next((c for c in made if c["channel_type"] == "email" and c["target_id"] == "quayside-inn"), None)
    if bounced:
        sent = dt.datetime.fromisoformat(bounced["submitted_at"]).astimezone(UTC)
        rows.append({"source": "maildir", "source_key": "demo", "contact_id": bounced["id"],
                     "message_id": f"<bounce-{bounced['id']}@mx.quayside-inn.example>",
                     "received_at": iso(sent + dt.timedelta(minutes=2)), "from_addr": "mailer-daemon@quayside-inn.example",
                     "from_name": "Mail Delivery System", "subject": "Undelivered Mail Returned to Sender",
                     "body_text": "550 5.1.1 <support@quayside-inn.example>: mailbox unavailable",
                     "classification": "bounce", "reasons": json.dumps(["delivery status notification (550 5.1.1)"]),
                     "match_rule": "in_reply_to", "match_confidence": 0.99,
                     "match_reasons": json.dumps(["the bounce quotes the inquiry Knock sent"])})
    at = today - dt.timedelta(days=2, hours=3)
    rows.append({"source": "maildir", "source_key": "demo", "contact_id": None, "message_id": "<newsletter-1@shop.example>",
                 "received_at": iso(at), "from_addr": "news@shop.example", "from_name": "Shop news",
                 "subject": "Our autumn sale starts today", "body_text": "Up to 40% off everything.",
                 "classification": "auto_reply", "reasons": json.dumps(["List-Unsubscribe header"]),
                 "match_rule": None, "match_confidence": None,
                 "match_reasons": json.dumps(["no token, no known Message-ID, no sender domain of a target"])})
    probable = next((c for c in made if c["target_id"] == "sakura-stay"), None)
    if probable:
        sent = dt.datetime.fromisoformat(probable["submitted_at"]).astimezone(UTC)
        rows.append({"source": "maildir", "source_key": "demo", "contact_id": probable["id"],
                     "message_id": "<reservations-77@sakura-stay.example>",
                     "received_at": iso(min(today, sent + dt.timedelta(hours=30))),
                     "from_addr": "reservations@sakura-stay.example", "from_name": "Sakura Stay reservations",
                     "subject": "Your question", "body_text": "Dear guest,\n\nwe would be happy to help. "
                     "Could you tell us your booking number?\n\nSakura Stay Hotels",
                     "classification": "human", "reasons": json.dumps(["a person's signature"]),
                     "match_rule": "probable", "match_confidence": 0.25,
                     "match_reasons": json.dumps(["sender domain sakura-stay.example belongs to target domain "
                                                  "sakura-stay.example", "2 contact(s) to that domain were inside "
                                                  "their response window; proposing the most recent"])})
    for row in rows:
        row["raw_sha256"] = hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()
    store.save_messages("demo", rows, [], [])


def _codes(store, experiment_id: str, rng: random.Random) -> int:
    from experiments.dashboard_queries import replied_contacts

    coded = 0
    levels = ["no", "partly", "fully"]
    for row in replied_contacts(store, experiment_id):
        truth = rng.choice(levels)
        save_coding(store, row["contact_id"], "ana", "helpfulness", truth)
        if rng.random() < 0.85:
            other = truth if rng.random() < 0.75 else rng.choice(levels)
            save_coding(store, row["contact_id"], "ben", "helpfulness", other)
        coded += 1
    return coded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="data/demo.db", help="the database to create (must not exist)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if Path(args.db).exists():
        parser.error(f"{args.db} exists: the demo writes a fresh database")
    out = seed_demo(args.db, seed=args.seed)
    print(f"Wrote {args.db}: {out['experiment']} with {len(out['made'])} contacts made, {out['coded']} replies coded. "
          f"Next: KNOCK_DB={args.db} streamlit run app.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
