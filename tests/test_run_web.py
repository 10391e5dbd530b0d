"""`knock run` on web forms: real Chromium against the sandbox, the sandbox's ledger as witness."""

from collections import Counter
from pathlib import Path

from runners.email_send import SmtpConfig
from runners.run import RunOptions, run_experiment
from tests.sandbox_fixtures import *  # noqa: F401,F403
from tests.sandbox_study import load_armed, sandbox_experiment

WANTED = ("acme-outdoor", "harbour-savings", "northgate-insurance")


def web_contacts(store, sandbox):
    contacts = load_armed(store, sandbox_experiment(sandbox, channels=["web_form"]))
    return {c["id"]: c for c in contacts if c["target_id"] in WANTED}


def run(store, sandbox, tmp_path, ids, **kwargs):
    options = RunOptions("inquiry-demo", ignore_schedule=True, evidence_root=tmp_path / "evidence",
                         smtp=SmtpConfig("127.0.0.1", sandbox.smtp_port), contact_ids=tuple(ids), **kwargs)
    return run_experiment(store, options)


def test_forms_are_submitted_once_and_captchas_are_blocked(store, sandbox, tmp_path):
    contacts = web_contacts(store, sandbox)
    summary = run(store, sandbox, tmp_path, contacts, concurrency=2)
    assert {"submitted_confirmed": 4, "blocked_captcha": 2} == dict(summary.outcomes)
    received = Counter(s["reply_to"].split("+")[1].split("@")[0] for s in sandbox.submissions())
    confirmed = {c["reply_token"] for cid, c in contacts.items() if store.contact(cid)["state"] == "submitted"}
    assert confirmed == set(received) and {1} == set(received.values())
    assert not sandbox.submissions(company="northgate-insurance")
    again = run(store, sandbox, tmp_path, contacts)
    assert Counter() == again.outcomes and 4 == len(sandbox.submissions())


def test_a_dry_run_fills_forms_keeps_evidence_and_submits_nothing(store, sandbox, tmp_path):
    contacts = web_contacts(store, sandbox)
    acme = [cid for cid, c in contacts.items() if c["target_id"] == "acme-outdoor"][:1]
    summary = run(store, sandbox, tmp_path, acme, dry_run=True)
    assert {"dry_run": 1} == dict(summary.outcomes)
    assert [] == sandbox.submissions()
    attempt = store.attempts_of(acme[0])[0]
    assert attempt["dry_run"] == 1 and "planned" == store.contact(acme[0])["state"]
    shots = list(Path(tmp_path / "evidence").rglob("*.jpg"))
    assert shots, "a dry run keeps a screenshot of the filled form"
