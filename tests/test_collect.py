"""`knock collect` end to end: the sandbox answers, Knock reads the Maildir and matches every reply.

The sandbox records when its staff sent each reply; the first human
response time Knock derives must equal it to the second.
"""

import datetime as dt
import email
import email.policy
import mailbox

import pytest
from click.testing import CliRunner

from analysis.table import analysis_table
from cli import main
from experiments.clock import FixedClock, parse_iso
from experiments.errors import KnockError
from experiments.store import Store
from runners.collect import collect_maildir
from runners.email_send import SmtpConfig
from runners.run import RunOptions, run_experiment
from tests.imap_server import imap_server  # noqa: F401
from tests.sandbox_fixtures import START, make_sandbox  # noqa: F401
from tests.sandbox_study import load_armed, sandbox_experiment


@pytest.fixture
def answered(tmp_path, make_sandbox):
    """An email study run against the sandbox, every staff reply delivered."""
    sandbox = make_sandbox(seed=3)
    store = Store(tmp_path / "knock.db", clock=FixedClock(START))
    load_armed(store, sandbox_experiment(sandbox, channels=["email"]))
    run_experiment(store, RunOptions("inquiry-demo", ignore_schedule=True, evidence_root=tmp_path / "ev",
                                     smtp=SmtpConfig("127.0.0.1", sandbox.smtp_port)))
    sandbox.flush()
    yield store, sandbox
    store.close()


def test_first_human_response_times_equal_what_the_sandbox_sent(answered):
    store, sandbox = answered
    counts = collect_maildir(store, sandbox.maildir)
    assert 0 == counts.quarantined and 0 == counts.unmatched
    by_token = {s["id"]: s["reply_to"].split("+")[1].split("@")[0] for s in sandbox.submissions()}
    expected = {}
    for reply in sandbox.replies():
        if reply["kind"] == "human":
            token = by_token[reply["submission_id"]]
            sent = parse_iso(reply["sent_at"]).replace(microsecond=0)
            expected[token] = min(expected.get(token, sent), sent)
    assert expected, "the sandbox's staff answered nobody: pick another seed"
    tokens = {c["id"]: c["reply_token"] for c in store.contacts("inquiry-demo")}
    table = analysis_table(store, "inquiry-demo", now=START + dt.timedelta(days=60))
    actual = {tokens[row.contact_id]: row.first_human_at.to_pydatetime()
              for row in table.itertuples() if row.first_human_at is not None and str(row.first_human_at) != "NaT"}
    assert expected == actual


def test_bounces_and_auto_replies_are_told_apart(answered):
    store, sandbox = answered
    collect_maildir(store, sandbox.maildir)
    kinds = {r["kind"] for r in sandbox.replies()}
    stored = {row["classification"] for row in store.db.query("SELECT classification FROM messages")}
    expected = {"auto_ack": "auto_reply", "human": "human", "bounce": "bounce"}
    assert {expected[k] for k in kinds} == stored


def test_collecting_twice_stores_nothing_twice(answered):
    store, sandbox = answered
    first = collect_maildir(store, sandbox.maildir)
    again = collect_maildir(store, sandbox.maildir)
    assert first.stored == len(sandbox.replies()) and 0 == again.read
    assert first.stored == store.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]


def test_the_same_message_delivered_twice_is_stored_once(answered):
    store, sandbox = answered
    box = mailbox.Maildir(sandbox.maildir)
    key, first = next(iter(box.items()))
    box.add(first.as_bytes())  # a duplicate delivery: same Message-ID, new file
    counts = collect_maildir(store, sandbox.maildir)
    assert 1 == counts.duplicates
    assert len(sandbox.replies()) == counts.stored


def reuse_a_message_id(store, sandbox, text: str):
    """Collect what is there, then deliver a new message under a stored one's Message-ID (and sender,
    date, subject) with ``text`` as its body; returns the original and the new one's Maildir key."""
    collect_maildir(store, sandbox.maildir)
    box = mailbox.Maildir(sandbox.maildir)
    first = next(m for m in box.values() if not m.is_multipart())
    reused = email.message_from_bytes(first.as_bytes(), policy=email.policy.default)
    reused.set_content(text)
    return first, box.add(reused.as_bytes())


def test_a_different_message_reusing_a_message_id_is_quarantined_never_dropped(answered, tmp_path):
    # A broken mailer or a forwarding loop can give a new reply an old Message-ID: dropping it as a
    # "duplicate" would lose a response. Same Message-ID, same sender and date, a different text.
    store, sandbox = answered
    first, _ = reuse_a_message_id(store, sandbox, "A second, different answer that reused the first one's Message-ID.")

    counts = collect_maildir(store, sandbox.maildir)

    assert (1, 1, 0, 0) == (counts.read, counts.quarantined, counts.duplicates, counts.stored)
    [kept] = store.quarantined()
    assert first["Message-ID"].strip() in kept["reason"] and "differ" in kept["reason"]
    assert b"A second, different answer" in store.quarantined_raw(kept["id"])

    listed = CliRunner().invoke(main, ["--db", str(store.path), "inbox", "--quarantined"])
    assert 0 == listed.exit_code and "already used by stored message" in listed.output
    raw = CliRunner().invoke(main, ["--db", str(store.path), "inbox", "--raw", str(kept["id"])])
    assert raw.stdout_bytes == store.quarantined_raw(kept["id"])


def test_a_reused_message_id_too_large_to_keep_says_where_it_is(answered, monkeypatch):
    store, sandbox = answered
    _, key = reuse_a_message_id(store, sandbox, "A different answer, and a long one. " * 200)
    monkeypatch.setattr("runners.collect.RAW_CAP", 4_000)  # this one is larger

    counts = collect_maildir(store, sandbox.maildir)

    assert 1 == counts.quarantined
    [kept] = store.quarantined()
    assert key in kept["reason"] and "too large" in kept["reason"]
    with pytest.raises(KnockError, match="too large to keep here"):
        store.quarantined_raw(kept["id"])


def test_a_message_that_cannot_be_parsed_is_quarantined_and_the_run_goes_on(answered):
    store, sandbox = answered
    (sandbox.maildir / "new" / "0000000.garbage").write_bytes(b"")
    counts = collect_maildir(store, sandbox.maildir)
    assert 1 == counts.quarantined
    assert len(sandbox.replies()) == counts.stored
    assert ["0000000.garbage"] == [q["item"] for q in store.quarantined()]


def test_unassign_and_assign_by_hand_are_logged(answered):
    store, sandbox = answered
    collect_maildir(store, sandbox.maildir)
    message = store.inbox()[0]
    store.unassign_message(message["id"], "wrong company")
    assert message["id"] in [m["id"] for m in store.inbox(unmatched=True)]
    store.assign_message(message["id"], message["contact_id"], "checked by hand")
    assert "manual" == store.message(message["id"])["match_rule"]
    kinds = [e["kind"] for e in store.events() if e["kind"].startswith("message.")]
    assert ["message.unassigned", "message.assigned"] == kinds[-2:]
    store.reclassify_message(message["id"], "auto_reply", "template text")
    assert ("auto_reply", "researcher") == (store.message(message["id"])["classification"],
                                            store.message(message["id"])["classified_by"])


def test_imap_collection_is_incremental_and_uses_internaldate(answered, imap_server):
    from runners.collect import collect_imap

    store, sandbox = answered
    box = mailbox.Maildir(sandbox.maildir)
    # A past instant: Dovecot replaces an INTERNALDATE in the future by the real arrival time.
    arrived = dt.datetime(2026, 3, 6, 12, 4, 5, tzinfo=dt.timezone.utc)
    messages = [m.as_bytes() for m in box]
    for raw in messages[:3]:
        imap_server.append(raw, arrived)
    first = collect_imap(store, imap_server.url, imap_server.password)
    assert (3, 3) == (first.read, first.stored)
    received = {row["received_at"] for row in store.db.query("SELECT received_at FROM messages")}
    assert {"2026-03-06T12:04:05+00:00"} == received, "arrival is the server's INTERNALDATE"
    assert 0 == collect_imap(store, imap_server.url, imap_server.password).read
    imap_server.append(messages[3], arrived)
    assert (1, 1) == (lambda c: (c.read, c.stored))(collect_imap(store, imap_server.url, imap_server.password))
