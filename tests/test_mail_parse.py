"""Parsing real-world mail defensively: tests/mail_corpus/*.eml plus generated edge cases."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from runners import mail_parse
from runners.mail_parse import DeliveryStatus, Unparseable, html_to_text, parse_message

CORPUS = Path(__file__).parent / "mail_corpus"
INQUIRY_ID = "<inq.k7f3q9.20260302T091500@replies.knock.example>"
PERSONA = "alex.morgan+k7f3q9@replies.knock.example"


def load(name: str):
    return parse_message((CORPUS / f"{name}.eml").read_bytes())


def simple(headers: str, body: bytes = b"Hello\r\n") -> bytes:
    return headers.replace("\n", "\r\n").encode() + b"\r\n" + body


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.eml")), ids=lambda p: p.stem)
def test_every_corpus_message_parses(path):
    raw = path.read_bytes()

    msg = parse_message(raw)

    assert msg.size == len(raw)
    assert msg.from_addr and "@" in msg.from_addr and msg.from_addr == msg.from_addr.lower()
    assert msg.text.strip()
    assert msg.date is None or msg.date.utcoffset().total_seconds() == 0


def test_plain_reply_fields():
    msg = load("human_plain_quoted_reply")

    assert msg.message_id == "<7c1e4b52-9a3f-4d2e-b1c8-2f6a0d9e8b71@fabrikam.example>"
    assert (msg.from_addr, msg.from_name) == ("s.okafor@fabrikam.example", "Sade Okafor")
    assert msg.subject == "Re: Question about delivery times"
    assert msg.date_header == "Mon, 2 Mar 2026 14:42:10 +0100"
    assert msg.date == datetime(2026, 3, 2, 13, 42, 10, tzinfo=timezone.utc)
    assert (msg.in_reply_to, msg.references) == ((INQUIRY_ID,), (INQUIRY_ID,))
    assert msg.content_type == "text/plain"
    assert msg.headers["user-agent"] == ["Mozilla Thunderbird"]
    assert msg.header("Delivered-To") == PERSONA
    assert msg.text.startswith("Hi Alex,\n\nthanks for your question.")
    assert "> could you tell me how long delivery to Berlin takes?" in msg.text  # quoted text is kept
    assert (msg.attachments, msg.problems) == ((), ())


def test_all_recipient_headers_lower_case_deduplicated_in_order():
    msg = load("human_other_address")

    assert msg.recipients == (PERSONA, "info@northwind.example", "sales@northwind.example")
    assert (msg.from_addr, msg.from_name) == ("rkowalski@northwind-traders.example", "Kowalski, Rafal")


def test_resent_to_and_envelope_to_count_as_recipients():
    msg = parse_message(simple("From: a@acme.example\nTo: first@knock.example\nResent-To: Second@Knock.example\n"
                               "Envelope-To: third@knock.example\nX-Original-To: first@knock.example\n"))

    assert msg.recipients == ("first@knock.example", "third@knock.example", "second@knock.example")


def test_malformed_exchange_message_id_and_broken_date_do_not_crash():
    raw = (CORPUS / "human_malformed_headers.eml").read_bytes()
    with pytest.raises(IndexError):  # the trap DESIGN.md warns about: policy.default on this Message-ID
        BytesParser(policy=policy.default).parsebytes(raw)["Message-ID"]

    msg = parse_message(raw)

    assert msg.message_id == "<[e5c3b1a2-77aa-4c1e-9d2f-0b1c2d3e4f50]@EXCH01.adventure-works.example>"
    assert msg.in_reply_to == (INQUIRY_ID,)  # no angle brackets in the header
    assert (msg.date_header, msg.date) == ("Mon, 32 Foo 2026 25:61:00 +0100", None)
    assert msg.problems == ("unparseable Date header 'Mon, 32 Foo 2026 25:61:00 +0100'",)
    assert msg.headers["x-department"] == ["Vertrieb München"]  # raw 8-bit latin-1 in a header


def test_windows_1252_body_and_raw_8bit_display_name():
    msg = load("human_windows1252")

    assert msg.from_name == "Zoë Maes"
    assert msg.subject == "RE: Question about delivery times – levertijd"
    assert "De “levertijd” naar Berlijn is 3 werkdagen; verzending kost €4,95." in msg.text
    assert "Crème-kleurige rugzakken zijn helaas uitverkocht – volgende week" in msg.text
    assert msg.problems == ()


def test_utf8_declared_as_latin1_is_read_as_utf8_and_noted():
    msg = load("human_wrong_charset")

    assert "el envío a Berlín tarda 3–5 días hábiles y cuesta 4,95 €." in msg.text
    assert msg.from_name == "José García"
    assert msg.problems == ("declared charset iso-8859-1 in text/plain part but the bytes are UTF-8; "
                            "decoded as utf-8",)


def test_latin1_declared_as_utf8_falls_back_to_windows_1252():
    raw = simple("From: a@acme.example\nContent-Type: text/plain; charset=utf-8\n", "Grüße, 5 €".encode("cp1252"))

    msg = parse_message(raw)

    assert msg.text == "Grüße, 5 €"
    assert msg.problems == ("text/plain part is not valid utf-8; decoded as utf-8 or windows-1252",)


def test_unknown_charset_is_decoded_and_noted():
    raw = simple("From: a@acme.example\nSubject: =?x-foo?Q?Gr=FC=DFe?=\nContent-Type: text/plain; charset=x-foo\n",
                 "Grüße".encode("latin-1"))

    msg = parse_message(raw)

    assert (msg.subject, msg.text) == ("Grüße", "Grüße")
    assert "unknown charset x-foo in text/plain part, decoded as utf-8 or windows-1252" in msg.problems
    assert "unknown charset x-foo in header, decoded as utf-8 or windows-1252" in msg.problems


def test_no_charset_and_8bit_bytes():
    msg = parse_message(simple("From: a@acme.example\n", "naïve café".encode("utf-8")))
    assert (msg.text, msg.problems) == ("naïve café", ())


def test_encoded_words_folded_and_adjacent_are_joined():
    raw = simple("From: =?UTF-8?B?QW5uYSDDlnN0?=\n =?UTF-8?B?ZXJsdW5k?= <Anna@Acme.example>\n"
                 "Subject: =?UTF-8?Q?R=C3=A9ponse?=\n =?UTF-8?Q?_automatique?= : =?iso-8859-1?q?d=E9lai?=\n")

    msg = parse_message(raw)

    assert (msg.from_addr, msg.from_name) == ("anna@acme.example", "Anna Österlund")
    assert msg.subject == "Réponse automatique : délai"


def test_raw_utf8_subject_without_encoded_words():
    raw = b"From: a@acme.example\r\nSubject: " + "Grüße aus Köln".encode("utf-8") + b"\r\n\r\nHi\r\n"
    assert parse_message(raw).subject == "Grüße aus Köln"


@pytest.mark.parametrize("value, expected", [
    ("<abc@acme.example>", "<abc@acme.example>"),
    ("  <abc@acme.example> (added by Exchange)", "<abc@acme.example>"),
    ("abc@acme.example", "<abc@acme.example>"),
    ("<abc@\n acme.example>", "<abc@acme.example>"),  # folded
    ("<>", None),
    ("", None),
])
def test_message_id_is_normalised(value, expected):
    raw = simple(f"From: a@acme.example\nMessage-ID: {value}\n") if value else simple("From: a@acme.example\n")
    assert parse_message(raw).message_id == expected


def test_references_keep_every_id_in_order():
    raw = simple("From: a@acme.example\nReferences: <one@x.example>\n <two@x.example>\t<three@x.example>\n"
                 "In-Reply-To: <three@x.example> (Alex's message of Mon, 2 Mar)\n")

    msg = parse_message(raw)

    assert msg.references == ("<one@x.example>", "<two@x.example>", "<three@x.example>")
    assert msg.in_reply_to == ("<three@x.example>",)


@pytest.mark.parametrize("header, expected, problem", [
    ("Mon, 02 Mar 2026 10:15:00 +0100", datetime(2026, 3, 2, 9, 15, tzinfo=timezone.utc), None),
    ("Mon, 2 Mar 2026 01:15:21 -0800 (PST)", datetime(2026, 3, 2, 9, 15, 21, tzinfo=timezone.utc), None),
    ("Mon, 02 Mar 2026 09:15:00 -0000", datetime(2026, 3, 2, 9, 15, tzinfo=timezone.utc), None),
    ("Mon, 02 Mar 2026 09:15:00", datetime(2026, 3, 2, 9, 15, tzinfo=timezone.utc),
     "Date header has no time zone; assumed UTC"),
    ("2026-03-02T10:15:00+01:00", datetime(2026, 3, 2, 9, 15, tzinfo=timezone.utc), None),
    ("03.03.2026 10:15", None, "unparseable Date header '03.03.2026 10:15'"),
])
def test_dates_become_aware_utc(header, expected, problem):
    msg = parse_message(simple(f"From: a@acme.example\nDate: {header}\n"))

    assert msg.date == expected
    assert msg.problems == ((problem,) if problem else ())


def test_html_only_reply_becomes_readable_text():
    msg = load("human_html_only")

    assert msg.content_type == "text/html"
    assert msg.text.splitlines()[:8] == [
        "Hello Alex,",
        "",
        "yes – the jacket is in stock in size M. Delivery to Berlin takes 2–3 days & is free above €50.",
        "",
        "- Standard: 2–3 days",
        "- Express: next day",
        "Jacket €129",
        "",
    ]
    assert "Contoso Outfitters <Kundenservice>" in msg.text
    assert "tracking" not in msg.text and "margin" not in msg.text and "Reply" not in msg.text
    assert "> This is an automated message. We have received your request" in msg.text  # blockquote → "> "


def test_html_to_text_keeps_line_breaks_and_drops_scripts():
    html = ("<p>One<br>Two</p><div>Three &amp; <b>four</b></div><script>alert(1)</script>"
            "<style>.x{}</style><pre>  a\n  b</pre>"
            "<blockquote><p>quoted</p><blockquote>deeper</blockquote></blockquote>")

    assert html_to_text(html) == "One\nTwo\n\nThree & four\n\n  a\n  b\n> quoted\n>\n> > deeper"


def test_multipart_alternative_prefers_plain_text():
    msg = load("auto_gmail_vacation")
    assert msg.text == "Hi,\n\nI'm on holiday with my family and will reply when I'm back on 16 March.\n\nTom"


@pytest.mark.parametrize("name, embedded_to, status", [
    ("bounce_postfix_dsn", ("sales@northwind.example",),
     DeliveryStatus("sales@northwind.example", "failed", "5.1.1",
                    "smtp; 550 5.1.1 <sales@northwind.example>: Recipient address rejected: User unknown in "
                    "local recipient table")),
    ("bounce_exchange_ndr", ("contact@contoso-retail.example",),
     DeliveryStatus("contact@contoso-retail.example", "failed", "5.1.10",
                    "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient contact@contoso-retail.example not "
                    "found by SMTP address lookup")),
    ("bounce_gmail_dsn", ("hello@tailspin-toys.example",),
     DeliveryStatus("hello@tailspin-toys.example", "failed", "5.1.1",
                    "smtp; 550 5.1.1 The email account that you tried to reach does not exist.")),
    ("bounce_exim_mail_delivery_failed", ("orders@fabrikam.example",), None),
])
def test_bounces_expose_the_returned_message(name, embedded_to, status):
    msg = load(name)

    assert msg.embedded_message_id == INQUIRY_ID
    assert msg.embedded_from == PERSONA
    assert msg.embedded_to == embedded_to
    assert msg.delivery_status == ((status,) if status else ())


def test_bounce_text_is_the_human_readable_part_not_the_original():
    msg = load("bounce_postfix_dsn")

    assert msg.text.startswith("This is the mail system at host mx.northwind.example.")
    assert "Reporting-MTA" not in msg.text and "could you tell me" not in msg.text
    assert msg.part_types == ("multipart/report", "text/plain", "message/delivery-status", "text/rfc822-headers")


def test_embedded_message_is_listed_as_an_attachment_without_its_bytes():
    msg = load("bounce_gmail_dsn")

    ((filename, ctype, size),) = msg.attachments
    assert (filename, ctype) == (None, "message/rfc822")
    assert 300 < size < 600


def test_a_human_reply_has_no_embedded_message():
    msg = load("human_outlook_quotes_autoreply")
    assert (msg.embedded_message_id, msg.embedded_from, msg.embedded_to) == (None, None, ())


def attachment_message(payload: bytes, filename: str = "quote.pdf") -> bytes:
    encoded = base64.encodebytes(payload)
    return (b"From: Sales <sales@acme.example>\r\nTo: alex@knock.example\r\nSubject: Your quote\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find our quote attached.\r\n"
            b"--b1\r\nContent-Type: application/pdf; name=\"" + filename.encode() + b"\"\r\n"
            b"Content-Disposition: attachment; filename*=utf-8''" + filename.encode() + b"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"--b1--\r\n")


def test_attachments_are_listed_with_their_decoded_size():
    msg = parse_message(attachment_message(b"%PDF-1.4 " + bytes(1000), "Angebot%20M%C3%BCller.pdf"))

    assert msg.attachments == (("Angebot Müller.pdf", "application/pdf", 1009),)
    assert msg.text == "Please find our quote attached."
    assert msg.problems == ()


def test_huge_attachment_is_sized_not_decoded():
    raw = attachment_message(bytes(6_000_000))

    msg = parse_message(raw)

    ((filename, ctype, size),) = msg.attachments
    assert (filename, ctype) == ("quote.pdf", "application/pdf")
    assert 5_999_000 < size <= 6_000_000
    assert msg.text == "Please find our quote attached."
    assert any("over 5000000" in p for p in msg.problems)
    assert msg.size == len(raw)


def test_huge_body_is_truncated_and_noted():
    msg = parse_message(simple("From: a@acme.example\n", b"x" * 300_000), max_text_chars=1000)

    assert len(msg.text) == 1000
    assert msg.problems == ("text truncated to 1000 of 300000 characters",)


def test_no_from_header_still_parses():
    msg = parse_message(simple("Subject: anonymous\n"))
    assert (msg.from_addr, msg.from_name, msg.subject) == (None, None, "anonymous")


def test_from_without_brackets_or_valid_syntax():
    msg = parse_message(simple("From: Sales Team sales@acme.example\n"))
    assert msg.from_addr == "sales@acme.example"


@pytest.mark.parametrize("raw, reason", [
    (b"", "empty message"),
    (b"  \r\n\r\n", "empty message"),
    (b"just some text without any header\r\nand more\r\n", "no header fields found"),
    ("From: a@b.example\r\n\r\nx", "expected bytes, got str"),
])
def test_unusable_bytes_are_unparseable(raw, reason):
    with pytest.raises(Unparseable) as err:
        parse_message(raw)
    assert err.value.reason == reason


def test_unexpected_errors_inside_become_unparseable(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(mail_parse, "_parse_date", broken)

    with pytest.raises(Unparseable, match="parser failed: RuntimeError: boom"):
        parse_message(simple("From: a@acme.example\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n"))


def test_parsed_message_is_frozen():
    msg = load("human_plain_quoted_reply")
    with pytest.raises(AttributeError):
        msg.subject = "changed"


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.eml")), ids=lambda p: p.stem)
def test_mangled_corpus_never_raises_anything_but_unparseable(path):
    import random

    from runners.classify import classify

    raw = path.read_bytes()
    rng = random.Random(path.stem)
    variants = [raw[:cut] for cut in (1, 10, 60, len(raw) // 3, len(raw) // 2, len(raw) - 5)]
    for _ in range(20):
        data = bytearray(raw)
        for _ in range(10):
            data[rng.randrange(len(data))] = rng.choice(b"\x00\xff\r\n:;<>=?\"\\ \t\x80\xc3")
        variants.append(bytes(data))
    for data in variants:
        try:
            msg = parse_message(data)
        except Unparseable:
            continue
        assert classify(msg).kind in ("human", "auto_reply", "bounce")
