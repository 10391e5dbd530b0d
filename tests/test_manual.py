"""Manual channels: a to-do list, the knock recorded by hand, replies logged by hand."""

import datetime as dt

import pytest
from click.testing import CliRunner

from cli import main
from experiments.errors import KnockError
from experiments.validation import validate_file
from tests.sandbox_study import EXAMPLES

UTC = dt.timezone.utc


@pytest.fixture
def phone_contact(store, clock):
    experiment = validate_file(EXAMPLES / "inquiry.yaml").experiment
    store.load(experiment)
    store.set_status(experiment.id, "armed")
    clock.current = dt.datetime(2027, 1, 1, tzinfo=UTC)
    return next(c for c in store.contacts(experiment.id) if c["channel_type"] == "phone")


def test_due_phone_contacts_are_on_the_todo_list_with_their_message(store, phone_contact):
    from runners.manual import todo_items

    items = todo_items(store, "inquiry-demo")
    assert phone_contact["id"] in [i["contact_id"] for i in items]
    assert {"The Quayside Inn"} == {i["target"] for i in items}
    assert all("Hello The Quayside Inn team" in i["message"] for i in items)


def test_a_knock_made_by_hand_and_its_reply(store, phone_contact):
    made_at = dt.datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    assert store.record_manual_knock(phone_contact["id"], made_at, "spoke to reception")
    assert not store.record_manual_knock(phone_contact["id"], made_at, "twice"), "a knock is made once"
    contact = store.contact(phone_contact["id"])
    assert ("submitted", "2026-12-03T10:00:00+00:00") == (contact["state"], contact["submitted_at"])
    replied = dt.datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    store.log_response(phone_contact["id"], replied, "human", "phone", "called back")
    row = store.db.execute("SELECT source, classification, received_at FROM messages").fetchone()
    assert ("manual:phone", "human", "2026-12-04T09:30:00+00:00") == row


def test_a_reply_cannot_be_logged_for_a_knock_never_made(store, phone_contact):
    with pytest.raises(KnockError, match="only a knock that was made can be answered"):
        store.log_response(phone_contact["id"], dt.datetime(2026, 12, 4, tzinfo=UTC), "human", "phone", "")


def test_cli_made_and_log_response(tmp_path):
    db = tmp_path / "k.db"
    runner = CliRunner()
    runner.invoke(main, ["--db", str(db), "experiment", "load", str(EXAMPLES / "inquiry.yaml")])
    runner.invoke(main, ["--db", str(db), "experiment", "arm", "inquiry-demo"])
    from experiments.store import Store

    with Store(db) as s:
        phone = next(c["id"] for c in s.contacts("inquiry-demo") if c["channel_type"] == "phone")
        web = next(c["id"] for c in s.contacts("inquiry-demo") if c["channel_type"] == "web_form")
    result = runner.invoke(main, ["--db", str(db), "made", str(phone), "--at", "2026-12-03T10:00:00Z"])
    assert f"contact {phone}: knock recorded\n" == result.output
    result = runner.invoke(main, ["--db", str(db), "log-response", str(phone), "--at", "2026-12-03T15:00:00+01:00",
                                  "--kind", "auto", "--channel", "phone", "--note", "voicemail greeting"])
    assert result.output.startswith(f"contact {phone}: auto_reply reply by phone logged")
    bad = runner.invoke(main, ["--db", str(db), "log-response", str(phone), "--at", "yesterday"])
    assert 2 == bad.exit_code and "'yesterday' is not a date-time" in bad.output
    refused = runner.invoke(main, ["--db", str(db), "made", str(web)])
    assert 1 == refused.exit_code and "Knock submits it itself" in refused.output
