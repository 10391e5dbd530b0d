"""The sandbox's mail world: inquiries by email, and what the staff send back.

Outcomes are forced with ``behaviour_overrides`` rather than found by
hunting for seeds; the clock is stopped (``speed=0``) and ``flush()``
delivers every planned reply at once, stamped with its scheduled time.
"""

from __future__ import annotations

import email
import json
import os
import smtplib
import socket
import threading
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from email import policy
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest

from sandbox import Sandbox
from sandbox.model import UnknownOverride
from tests.sandbox_fixtures import *  # noqa: F401,F403  (fixtures)
from tests.sandbox_fixtures import START, send_inquiry

ACME = "support@acme-outdoor.example"


def delivered(sandbox) -> list[tuple[str, email.message.EmailMessage]]:
    """(path, parsed message) for every mail in the researcher Maildir, oldest first."""
    out = []
    for sub in ("new", "cur"):
        folder = sandbox.maildir / sub
        for name in sorted(os.listdir(folder)):
            path = folder / name
            out.append((str(path), email.message_from_bytes(path.read_bytes(), policy=policy.default)))
    return sorted(out, key=lambda pm: os.path.getmtime(pm[0]))


def test_email_inquiry_is_recorded_once(sandbox):
    sent = send_inquiry(sandbox, ACME)

    [submission] = sandbox.submissions()
    assert ("acme-outdoor", "email") == (submission["company"], submission["channel"])
    assert ("research+tok123@lab.example", "<inquiry-1@lab.example>") == (
        submission["reply_to"], submission["message_id"])
    assert "Opening hours over Easter" == submission["subject"]
    assert "Hello,\nare you open on Easter Monday?\nThanks, Ada" == submission["body"]
    assert sent["From"] == submission["fields"]["From"]
    assert sandbox.ledger.raw(submission["id"]).startswith(b"From: Ada Lovelace")


def test_reply_to_header_is_where_staff_answer(make_sandbox):
    sandbox = make_sandbox(behaviour_overrides={"acme-outdoor": {"outcome": "human"}})
    send_inquiry(sandbox, ACME, extra_headers={"Reply-To": "research+tok999@lab.example"})
    sandbox.flush()
    [(_, reply)] = delivered(sandbox)
    assert "research+tok999@lab.example" == reply["To"]


def test_auto_acknowledgement_headers_and_ticket(make_sandbox):
    sandbox = make_sandbox(behaviour_overrides={"acme-outdoor": {"outcome": "auto_ack", "ack_then_human": 0.0}})
    send_inquiry(sandbox, ACME)
    assert 1 == sandbox.flush()

    [(_, ack)] = delivered(sandbox)
    [submission] = sandbox.submissions()
    assert "auto-replied" == ack["Auto-Submitted"]
    assert "auto_reply" == ack["Precedence"]
    assert f"[#{submission['ticket']}]" in ack["Subject"]
    assert "research+tok123@lab.example" == ack["To"]
    assert "support@acme-outdoor.example" in ack["From"]
    assert "do not reply" in " ".join(ack.get_content().lower().split())
    assert "auto_ack" == submission["decision"]


def test_helpdesk_style_auto_ack_adds_x_autoreply(make_sandbox):
    sandbox = make_sandbox(behaviour_overrides={"bluefin-software": {"outcome": "auto_ack", "ack_then_human": 0.0}})
    send_inquiry(sandbox, "support@bluefin-software.example")
    sandbox.flush()
    [(_, ack)] = delivered(sandbox)
    assert ("yes", "auto-replied") == (ack["X-Autoreply"], ack["Auto-Submitted"])


def test_human_reply_quotes_and_threads_on_the_inquiry(make_sandbox):
    sandbox = make_sandbox(behaviour_overrides={"acme-outdoor": {"outcome": "human"}})
    send_inquiry(sandbox, ACME, message_id="<easter-42@lab.example>")
    sandbox.flush()

    [(_, reply)] = delivered(sandbox)
    [submission] = sandbox.submissions()
    [ledger_reply] = sandbox.replies()
    assert "<easter-42@lab.example>" == reply["In-Reply-To"]
    assert "<easter-42@lab.example>" in reply["References"]
    assert f"Re: Opening hours over Easter [#{submission['ticket']}]" == reply["Subject"]
    assert reply["Auto-Submitted"] is None
    assert reply["From"].addresses[0].domain == "acme-outdoor.example"
    assert ledger_reply["staff_name"] == reply["From"].addresses[0].display_name
    body = reply.get_content()
    assert "> are you open on Easter Monday?" in body
    assert body.startswith("Hi Ada,")
    assert (ledger_reply["message_id"], ledger_reply["in_reply_to"]) == (reply["Message-ID"], "<easter-42@lab.example>")


def test_auto_ack_then_human_reply(make_sandbox):
    sandbox = make_sandbox(behaviour_overrides={"tandem-travel": {"outcome": "auto_ack", "ack_then_human": 1.0}})
    send_inquiry(sandbox, "support@tandem-travel.example")
    assert 2 == sandbox.flush()
    kinds = [r["kind"] for r in sorted(sandbox.replies(), key=lambda r: r["due_at"])]
    assert ["auto_ack", "human"] == kinds
    assert "auto_ack+human" == sandbox.submissions()[0]["decision"]


def test_bounce_is_a_delivery_status_notification(make_sandbox):
    sandbox = make_sandbox(behaviour_overrides={"acme-outdoor": {"outcome": "bounce"}})
    send_inquiry(sandbox, ACME)
    sandbox.flush()

    [(_, bounce)] = delivered(sandbox)
    assert "multipart/report" == bounce.get_content_type()
    assert "delivery-status" == bounce.get_param("report-type")
    assert "MAILER-DAEMON@acme-outdoor.example" == bounce["From"].addresses[0].addr_spec
    assert "message/delivery-status" in [part.get_content_type() for part in bounce.walk()]
    assert "research+tok123@lab.example" == bounce["To"]


def test_web_forms_never_bounce(make_sandbox):
    sandbox = make_sandbox(behaviour_overrides={"acme-outdoor": {"outcome": "bounce"}})
    data = urllib.parse.urlencode({"name": "Ada", "email": "research+tok1@lab.example", "message": "Hi",
                                   "consent": "yes"}).encode()
    urllib.request.urlopen(urllib.request.Request(sandbox.company_url("acme-outdoor"), data=data), timeout=10)
    assert "none" == sandbox.submissions()[0]["decision"]
    assert [] == sandbox.pending()


def test_web_form_reply_goes_to_the_email_given_in_the_form(make_sandbox):
    sandbox = make_sandbox(behaviour_overrides={"acme-outdoor": {"outcome": "human"}})
    data = urllib.parse.urlencode({"name": "Grace Hopper", "email": "research+tok7@lab.example",
                                   "subject": "Boots", "message": "Do you stock size 38?", "consent": "yes"}).encode()
    urllib.request.urlopen(urllib.request.Request(sandbox.company_url("acme-outdoor"), data=data), timeout=10)
    sandbox.flush()
    [(_, reply)] = delivered(sandbox)
    assert ("research+tok7@lab.example", None) == (reply["To"], reply["In-Reply-To"])
    assert "> Do you stock size 38?" in reply.get_content()


def test_delivery_is_stamped_with_the_scheduled_sandbox_time(make_sandbox):
    sandbox = make_sandbox(behaviour_overrides={"sakura-stay": {"outcome": "human"}})
    send_inquiry(sandbox, "support@sakura-stay.example")
    [planned] = sandbox.pending()
    due = datetime.fromisoformat(planned["due_at"])
    assert due > START  # hours later, in Kyoto business hours

    sandbox.flush()  # delivered now, in real time, yet stamped with `due`
    [(path, reply)] = delivered(sandbox)
    assert int(due.timestamp()) == int(os.path.getmtime(path))
    assert due == datetime.fromisoformat(reply["X-Sandbox-Delivered-At"])
    assert due == parsedate_to_datetime(reply["Received"].rsplit(";", 1)[1].strip())
    assert due == parsedate_to_datetime(str(reply["Date"]))
    assert planned["due_at"] == sandbox.replies()[0]["sent_at"]
    assert 8 <= due.astimezone(ZoneInfo("Asia/Tokyo")).hour  # staff answer by day (opening + jitter at most)


def test_replies_wait_for_the_clock(make_sandbox):
    sandbox = make_sandbox(behaviour_overrides={"acme-outdoor": {"outcome": "auto_ack", "ack_then_human": 0.0}})
    send_inquiry(sandbox, ACME)
    sandbox.wait_idle(timeout=5)
    assert [] == delivered(sandbox)  # the clock is stopped: not due yet

    sandbox.advance(timedelta(minutes=5))
    sandbox.wait_idle(timeout=5)
    assert 1 == len(delivered(sandbox))


def test_a_fast_clock_delivers_by_itself(make_sandbox):
    sandbox = make_sandbox(speed=36_000, behaviour_overrides={"quayside-inn": {
        "outcome": "human", "human_delay_mu": 0.0, "human_delay_sigma": 0.01,
        "business_days": (0, 1, 2, 3, 4, 5, 6), "open_hour": 0, "close_hour": 24}})
    send_inquiry(sandbox, "support@quayside-inn.example")  # due about 1 simulated hour = 0.1 s
    deadline = datetime.now() + timedelta(seconds=5)
    while not sandbox.replies() and datetime.now() < deadline:
        threading.Event().wait(0.02)
    assert 1 == len(sandbox.replies())


def test_same_seed_same_decisions(make_sandbox):
    companies = ["acme-outdoor.example", "bluefin-software.example", "copperpot-kitchen.example",
                 "harbour-savings.example", "quayside-inn.example", "ledgerline-accounting.example"]

    def run(seed):
        sandbox = make_sandbox(seed=seed)
        for i in range(12):
            send_inquiry(sandbox, f"support@{companies[i % len(companies)]}", subject=f"Question {i}",
                         message_id=f"<q{i}.{seed}@lab.example>")
        decisions = [(s["company"], s["decision"], s["ticket"]) for s in sandbox.submissions()]
        plans = [(r["company"], r["kind"], r["due_at"], r["staff_name"], r["subject"])
                 for r in sandbox.replies(include_pending=True)]
        return decisions, plans

    first = run(seed=7)
    assert first == run(seed=7)
    assert first != run(seed=8)
    assert len({d for _, d, _ in first[0]}) > 1  # not all the same outcome


def test_mail_to_other_domains_only_lands_in_the_maildir(sandbox):
    send_inquiry(sandbox, "someone@elsewhere.example")
    [(_, msg)] = delivered(sandbox)
    assert "someone@elsewhere.example" == msg["Delivered-To"]
    assert [] == sandbox.submissions()


def test_allowlist_refuses_other_domains(make_sandbox):
    sandbox = make_sandbox(mailbox_domain_allowlist=["lab.example"])
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_inquiry(sandbox, "someone@elsewhere.example")
    send_inquiry(sandbox, "research+tok1@lab.example")
    assert 1 == len(delivered(sandbox))


def test_reply_to_a_refused_address_is_undeliverable_not_retried(make_sandbox):
    sandbox = make_sandbox(mailbox_domain_allowlist=["lab.example"],
                           behaviour_overrides={"acme-outdoor": {"outcome": "human"}})
    send_inquiry(sandbox, ACME, sender="Eve <eve@elsewhere.example>")
    assert 0 == sandbox.flush()
    [reply] = sandbox.replies(include_pending=True)
    assert "undeliverable" == reply["status"] and reply["error"].startswith("550")
    assert ([], []) == (sandbox.pending(), delivered(sandbox))


def test_automated_mail_gets_no_answer(make_sandbox):
    sandbox = make_sandbox(behaviour_overrides={"acme-outdoor": {"outcome": "human"}})
    send_inquiry(sandbox, ACME, extra_headers={"Auto-Submitted": "auto-replied"})
    assert ("none", []) == (sandbox.submissions()[0]["decision"], sandbox.pending())


def test_replies_json_endpoint(make_sandbox):
    sandbox = make_sandbox(behaviour_overrides={"acme-outdoor": {"outcome": "human"}})
    send_inquiry(sandbox, ACME)
    with urllib.request.urlopen(sandbox.base_url + "/_sandbox/replies", timeout=10) as r:
        [reply] = json.load(r)
    assert ("human", "pending") == (reply["kind"], reply["status"])


def test_unknown_override_is_refused(tmp_path):
    with pytest.raises(UnknownOverride):
        Sandbox(tmp_path, behaviour_overrides={"acme-outdoor": {"p_humane": 1.0}})


def test_stop_closes_ports_and_threads(tmp_path):
    before = set(threading.enumerate())
    with Sandbox(tmp_path, speed=0) as sandbox:
        ports = (sandbox.http_port, sandbox.smtp_port)
    for port in ports:
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
    assert set() == {t for t in threading.enumerate() if t not in before and t.is_alive()}


def test_a_busy_port_fails_cleanly(tmp_path):
    before = set(threading.enumerate())
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        for ports in ({"http_port": busy.getsockname()[1]}, {"smtp_port": busy.getsockname()[1]}):
            with pytest.raises(OSError):
                Sandbox(tmp_path, speed=0, **ports).start()
    assert set() == {t for t in threading.enumerate() if t not in before and t.is_alive()}
