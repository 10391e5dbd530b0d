"""Incremental, read-only IMAP collection against a private Dovecot (tests/imap_server.py)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from runners.imap_fetch import (FetchBatch, ImapConfigError, ImapError, ImapSource, fetch_batch, fetch_new,
                                parse_imap_url, parse_internaldate, password_from_env)
from tests.imap_server import imap_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.imap

_names = itertools.count(1)
T0 = datetime(2026, 3, 2, 9, 15, 41, tzinfo=timezone.utc)


def mail(n: int) -> bytes:
    return (f"From: Support <support@northwind.example>\r\nTo: alex@replies.knock.example\r\n"
            f"Subject: Reply {n}\r\nMessage-ID: <reply-{n}@northwind.example>\r\n\r\nAnswer number {n}.\r\n").encode()


@pytest.fixture
def mailbox(imap_server):
    """A fresh mailbox per test, so tests sharing the session's server never see each other's mail."""
    return imap_server.create_mailbox(f"Knock-{next(_names)}")


def source_for(server, mailbox: str) -> ImapSource:
    return parse_imap_url(server.url_for(mailbox))


def test_first_fetch_returns_everything_in_uid_order(imap_server, mailbox):
    uids = [imap_server.append(mail(n), T0 + timedelta(minutes=n), mailbox) for n in range(3)]

    batch = fetch_batch(source_for(imap_server, mailbox), imap_server.password, None, None)

    assert [m.uid for m in batch.messages] == uids
    assert [m.raw.split(b"\r\n")[2] for m in batch.messages] == [b"Subject: Reply 0", b"Subject: Reply 1",
                                                                  b"Subject: Reply 2"]
    assert batch.uidvalidity == imap_server.uidvalidity(mailbox)
    assert (batch.uidvalidity_changed, batch.last_uid, batch.more) == (False, uids[-1], False)


def test_second_fetch_returns_nothing_and_a_new_append_alone(imap_server, mailbox):
    source = source_for(imap_server, mailbox)
    imap_server.append(mail(1), T0, mailbox)
    first = fetch_batch(source, imap_server.password, None, None)

    again = fetch_batch(source, imap_server.password, first.uidvalidity, first.last_uid)
    assert (again.messages, again.last_uid, again.uidvalidity_changed) == ((), first.last_uid, False)

    new_uid = imap_server.append(mail(2), T0 + timedelta(hours=1), mailbox)
    third = fetch_batch(source, imap_server.password, first.uidvalidity, first.last_uid)
    assert [m.uid for m in third.messages] == [new_uid]
    assert b"Answer number 2." in third.messages[0].raw


def test_internaldate_is_the_appended_one_in_utc(imap_server, mailbox):
    appended = datetime(2026, 3, 2, 10, 15, 41, tzinfo=timezone(timedelta(hours=1)))
    imap_server.append(mail(1), appended, mailbox)

    (message,) = fetch_batch(source_for(imap_server, mailbox), imap_server.password, None, None).messages

    assert message.internaldate == appended
    assert message.internaldate.utcoffset() == timedelta(0)
    assert message.internaldate.isoformat() == "2026-03-02T09:15:41+00:00"


def test_fetching_does_not_mark_messages_seen(imap_server, mailbox):
    uid = imap_server.append(mail(1), T0, mailbox)
    assert "\\Seen" not in imap_server.flags(uid, mailbox)

    fetch_batch(source_for(imap_server, mailbox), imap_server.password, None, None)

    assert "\\Seen" not in imap_server.flags(uid, mailbox)


def test_batches_are_bounded_and_continue_where_they_stopped(imap_server, mailbox):
    source = source_for(imap_server, mailbox)
    uids = [imap_server.append(mail(n), T0, mailbox) for n in range(5)]

    first = fetch_batch(source, imap_server.password, None, None, batch=2)
    second = fetch_batch(source, imap_server.password, first.uidvalidity, first.last_uid, batch=2)
    third = fetch_batch(source, imap_server.password, second.uidvalidity, second.last_uid, batch=2)

    assert [[m.uid for m in b.messages] for b in (first, second, third)] == [uids[:2], uids[2:4], uids[4:]]
    assert [b.more for b in (first, second, third)] == [True, True, False]


def test_fetch_new_yields_every_new_message_in_uid_order_over_chunks(imap_server, mailbox):
    source = source_for(imap_server, mailbox)
    uids = [imap_server.append(mail(n), T0 + timedelta(seconds=n), mailbox) for n in range(5)]

    fetched = list(fetch_new(source, imap_server.password, None, None, batch=2))

    assert [m.uid for m in fetched] == uids
    assert [m.internaldate for m in fetched] == [T0 + timedelta(seconds=n) for n in range(5)]
    assert not any(m.uidvalidity_changed for m in fetched)
    again = list(fetch_new(source, imap_server.password, fetched[-1].uidvalidity, fetched[-1].uid))
    assert again == []


def test_fetch_new_can_stop_early_and_resume(imap_server, mailbox):
    source = source_for(imap_server, mailbox)
    uids = [imap_server.append(mail(n), T0, mailbox) for n in range(3)]

    stream = fetch_new(source, imap_server.password, None, None, batch=1)
    first = next(stream)
    stream.close()  # logs out
    rest = list(fetch_new(source, imap_server.password, first.uidvalidity, first.uid))

    assert [first.uid] + [m.uid for m in rest] == uids


def test_changed_uidvalidity_fetches_everything_and_says_so(imap_server, mailbox):
    source = source_for(imap_server, mailbox)
    imap_server.append(mail(1), T0, mailbox)
    imap_server.append(mail(2), T0, mailbox)
    before = fetch_batch(source, imap_server.password, None, None)

    imap_server.recreate_mailbox(mailbox)  # e.g. the provider migrated or rebuilt the mailbox
    imap_server.append(mail(1), T0, mailbox)
    imap_server.append(mail(2), T0, mailbox)
    imap_server.append(mail(3), T0, mailbox)
    after = fetch_batch(source, imap_server.password, before.uidvalidity, before.last_uid)

    assert after.uidvalidity != before.uidvalidity
    assert after.uidvalidity_changed is True
    assert [m.raw.split(b"\r\n")[3] for m in after.messages] == [
        b"Message-ID: <reply-1@northwind.example>", b"Message-ID: <reply-2@northwind.example>",
        b"Message-ID: <reply-3@northwind.example>"]
    assert {m.uidvalidity for m in after.messages} == {after.uidvalidity}
    assert all(m.uidvalidity_changed for m in after.messages)

    streamed = list(fetch_new(source, imap_server.password, before.uidvalidity, before.last_uid))
    assert [m.uid for m in streamed] == [m.uid for m in after.messages]
    assert all(m.uidvalidity_changed for m in streamed)


def test_inbox_works_with_the_fixture_url(imap_server):
    uid = imap_server.append(mail(99), T0)

    batch = fetch_batch(parse_imap_url(imap_server.url), imap_server.password, None, uid - 1)

    assert [m.uid for m in batch.messages] == [uid]


def test_wrong_password_is_an_imap_error_naming_server_and_mailbox(imap_server, mailbox):
    source = source_for(imap_server, mailbox)

    with pytest.raises(ImapError) as err:
        fetch_batch(source, "wrong", None, None)

    assert f"knock@127.0.0.1:{imap_server.port}/{mailbox}" in str(err.value)
    assert "log in" in str(err.value)


def test_missing_mailbox_is_an_imap_error(imap_server):
    source = source_for(imap_server, "No-Such-Box")

    with pytest.raises(ImapError, match="open mailbox failed.*No-Such-Box"):
        fetch_batch(source, imap_server.password, None, None)


def test_errors_from_the_generator_are_imap_errors(imap_server, mailbox):
    with pytest.raises(ImapError, match="log in failed"):
        list(fetch_new(source_for(imap_server, mailbox), "wrong", None, None))


def test_closed_port_is_an_imap_error_quickly():
    from tests.services import free_port

    source = ImapSource("127.0.0.1", free_port(), "knock", "INBOX", "plain")

    with pytest.raises(ImapError, match="connect failed"):
        fetch_batch(source, "x", None, None, timeout=2)


@pytest.mark.parametrize("url, expected", [
    ("imaps://replies@mail.example.org/INBOX", ImapSource("mail.example.org", 993, "replies", "INBOX", "ssl")),
    ("imaps://replies@mail.example.org", ImapSource("mail.example.org", 993, "replies", "INBOX", "ssl")),
    ("imaps://replies@mail.example.org:10993/Replies", ImapSource("mail.example.org", 10993, "replies", "Replies",
                                                                  "ssl")),
    ("imaps://alex%40knock.example@mail.example.org/INBOX/Knock",
     ImapSource("mail.example.org", 993, "alex@knock.example", "INBOX/Knock", "ssl")),
    ("imaps://replies@mail.example.org/Knock%20Replies", ImapSource("mail.example.org", 993, "replies",
                                                                    "Knock Replies", "ssl")),
    ("imap+starttls://replies@mail.example.org/INBOX", ImapSource("mail.example.org", 143, "replies", "INBOX",
                                                                  "starttls")),
    ("imap://knock@127.0.0.1:1143/INBOX", ImapSource("127.0.0.1", 1143, "knock", "INBOX", "plain")),
    ("imap://knock@localhost/INBOX", ImapSource("localhost", 143, "knock", "INBOX", "plain")),
    ("imap://knock@[::1]:1143/", ImapSource("::1", 1143, "knock", "INBOX", "plain")),
])
def test_parse_imap_url(url, expected):
    assert parse_imap_url(url) == expected


@pytest.mark.parametrize("url, message", [
    ("imap://replies@mail.example.org/INBOX", "allowed only for loopback hosts; use imaps://"),
    ("imap://replies@192.0.2.10/INBOX", "allowed only for loopback hosts"),
    ("imaps://replies:secret@mail.example.org/INBOX", "must not contain a password: set KNOCK_IMAP_PASSWORD"),
    ("imaps://replies:@mail.example.org/INBOX", "must not contain a password"),
    ("imap://knock:pw@127.0.0.1/INBOX", "must not contain a password"),
    ("imaps://mail.example.org/INBOX", "names no user"),
    ("pop3://replies@mail.example.org/", "use imaps://"),
    ("mail.example.org", "use imaps://"),
    ("imaps://replies@mail.example.org:notaport/", "malformed"),
    ("imaps://replies@mail.example.org/INBOX?x=1", "not supported"),
])
def test_parse_imap_url_refuses(url, message):
    with pytest.raises(ImapConfigError, match=message.replace("?", r"\?")):
        parse_imap_url(url)


def test_password_comes_from_the_environment():
    assert password_from_env({"KNOCK_IMAP_PASSWORD": "s3cret"}) == "s3cret"
    with pytest.raises(ImapConfigError, match="KNOCK_IMAP_PASSWORD is not set"):
        password_from_env({})


@pytest.mark.parametrize("value, expected", [
    ("02-Mar-2026 10:15:41 +0100", datetime(2026, 3, 2, 9, 15, 41, tzinfo=timezone.utc)),
    (" 2-Mar-2026 09:15:41 +0000", datetime(2026, 3, 2, 9, 15, 41, tzinfo=timezone.utc)),
    ("01-Jan-2026 00:30:00 -0130", datetime(2026, 1, 1, 2, 0, 0, tzinfo=timezone.utc)),
])
def test_parse_internaldate(value, expected):
    assert parse_internaldate(value) == expected


def test_fetch_batch_is_frozen():
    batch = FetchBatch(1, False, (), None, False)
    with pytest.raises(AttributeError):
        batch.last_uid = 5


def test_source_security_is_checked():
    with pytest.raises(ImapConfigError, match="security must be ssl, starttls or plain"):
        ImapSource("mail.example.org", 993, "replies", "INBOX", "tls")


def test_plain_imap_to_a_remote_host_is_refused_even_without_the_url_parser():
    with pytest.raises(ImapError, match="refusing plain IMAP to non-loopback"):
        fetch_batch(ImapSource("mail.example.org", 143, "replies", "INBOX", "plain"), "x", None, None)
