"""Human, auto-reply or bounce: the corpus, each rule, and quoted text that must not count."""

from __future__ import annotations

from pathlib import Path

import pytest

from runners.classify import AUTO_REPLY, BOUNCE, HUMAN, Classification, classify, strip_quoted
from runners.mail_parse import parse_message

CORPUS = Path(__file__).parent / "mail_corpus"

# file, kind, a reason that must be among the reasons (substring), uncertain
CORPUS_KINDS = [
    ("auto_exchange_automatic_reply", AUTO_REPLY, "header Auto-Submitted: auto-generated (RFC 3834)", False),
    ("auto_exchange_automatic_reply", AUTO_REPLY, "subject starts with 'automatic reply'", False),
    ("auto_gmail_vacation", AUTO_REPLY, "header X-Autoreply: yes", False),
    ("auto_gmail_vacation", AUTO_REPLY, "header Auto-Submitted: auto-replied (RFC 3834)", False),
    ("auto_zendesk_request_received", AUTO_REPLY, "subject starts with 'request received'", False),
    ("auto_freshdesk_ticket_received", AUTO_REPLY, "subject starts with 'ticket received'", False),
    ("auto_helpscout_autoreply", AUTO_REPLY, "acknowledgement in the reply's own text: \"we've received your message\"",
     True),
    ("auto_helpscout_autoreply", AUTO_REPLY, "promise to answer later", True),
    ("auto_generic_helpdesk_ack", AUTO_REPLY, "ticket-created notice in the reply's own text: "
                                              "'ticket #48213 has been created'", False),
    ("auto_german_abwesenheitsnotiz", AUTO_REPLY, "subject starts with 'abwesenheitsnotiz'", False),
    ("auto_german_abwesenheitsnotiz", AUTO_REPLY, "out-of-office text with a return date", False),
    ("auto_french_absence", AUTO_REPLY, "header Auto-Submitted: auto-replied (vacation)", False),
    ("auto_french_absence", AUTO_REPLY, "out-of-office text with a return date: 'je suis absent' ... 'jusqu'", False),
    ("bounce_postfix_dsn", BOUNCE, "Content-Type multipart/report; report-type=delivery-status", False),
    ("bounce_postfix_dsn", BOUNCE, "message/delivery-status part", False),
    ("bounce_exim_mail_delivery_failed", BOUNCE, "header X-Failed-Recipients: orders@fabrikam.example", False),
    ("bounce_exim_mail_delivery_failed", BOUNCE, "From mailer-daemon@srv12.fabrikam-hosting.example with bounce "
                                                 "subject", False),
    ("bounce_exim_mail_delivery_failed", BOUNCE, "null Return-Path <> with bounce subject", False),
    ("bounce_exchange_ndr", BOUNCE, "From postmaster@contosoretail.onmicrosoft.example with bounce subject "
                                    "'Undeliverable: Question about delivery times'", False),
    ("bounce_exchange_ndr", BOUNCE, "header X-MS-Exchange-Message-Is-Ndr", False),
    ("bounce_gmail_dsn", BOUNCE, "From mailer-daemon@googlemail.example with bounce subject 'Delivery Status "
                                 "Notification (Failure)'", False),
    ("human_plain_quoted_reply", HUMAN, "no auto-reply or bounce signal", False),
    ("human_outlook_quotes_autoreply", HUMAN, "weak signal alone, not enough for auto-reply: acknowledgement", True),
    ("human_html_only", HUMAN, "no auto-reply or bounce signal", False),
    ("human_windows1252", HUMAN, "no auto-reply or bounce signal", False),
    ("human_wrong_charset", HUMAN, "no auto-reply or bounce signal", False),
    ("human_other_address", HUMAN, "no auto-reply or bounce signal", False),
    ("human_malformed_headers", HUMAN, "no auto-reply or bounce signal", False),
    ("human_helpdesk_agent_reply", HUMAN, "weak signal alone, not enough for auto-reply: header Precedence: bulk",
     True),
    ("human_zendesk_agent_reply", HUMAN, "no auto-reply or bounce signal", False),
]


def corpus(name: str):
    return parse_message((CORPUS / f"{name}.eml").read_bytes())


def message(headers: str = "", body: str = "Hello", subject: str = "Re: Question about delivery times") -> bytes:
    head = f"From: Someone <someone@acme.example>\nTo: alex@replies.knock.example\nSubject: {subject}\n{headers}"
    return (head.strip("\n") + "\n\n" + body).replace("\n", "\r\n").encode("utf-8")


def kind_of(raw: bytes) -> Classification:
    return classify(parse_message(raw))


@pytest.mark.parametrize("name, kind, reason, uncertain", CORPUS_KINDS,
                         ids=[f"{row[0]}-{i}" for i, row in enumerate(CORPUS_KINDS)])
def test_corpus(name, kind, reason, uncertain):
    result = classify(corpus(name))

    assert result.kind == kind, result.reasons
    assert any(reason in r for r in result.reasons), result.reasons
    assert result.uncertain is uncertain


def test_every_corpus_file_has_an_expected_kind():
    named = {row[0] for row in CORPUS_KINDS}
    assert named == {p.stem for p in CORPUS.glob("*.eml")}
    assert all(name.split("_", 1)[0] in ("auto", "bounce", "human") for name in named)


# --- bounces -------------------------------------------------------------------


def test_bounce_wins_over_auto_reply_headers():
    result = kind_of(message("Auto-Submitted: auto-replied\nContent-Type: multipart/report; "
                             "report-type=delivery-status; boundary=b", body="--b--", subject="Failure"))
    assert (result.kind, result.reasons[0]) == (BOUNCE, "Content-Type multipart/report; report-type=delivery-status")


@pytest.mark.parametrize("subject", ["Undeliverable: Question", "Returned mail: see transcript for details",
                                     "failure notice", "Mail delivery failed: returning message to sender",
                                     "Delivery Status Notification (Failure)", "Unzustellbar: Frage",
                                     "Non remis : Question"])
def test_null_return_path_with_a_bounce_subject(subject):
    result = kind_of(message("Return-Path: <>", body="The message could not be delivered.", subject=subject))
    assert result.kind == BOUNCE
    assert result.reasons == (f"null Return-Path <> with bounce subject {subject!r}",)


def test_mailer_daemon_without_a_bounce_subject_is_not_a_bounce():
    result = classify(parse_message(message("", subject="Your mailbox quota").replace(
        b"someone@acme.example", b"MAILER-DAEMON@acme.example")))
    assert result.kind != BOUNCE


def test_bounce_subject_from_a_person_is_not_a_bounce():
    assert kind_of(message(subject="Undeliverable: Question", body="Your mail came back, see below.")).kind == HUMAN


def test_delay_notice_is_a_bounce_kind_flagged_uncertain():
    body = ("--b\r\nContent-Type: text/plain\r\n\r\nDelivery is delayed.\r\n--b\r\n"
            "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.acme.example\r\n\r\n"
            "Final-Recipient: rfc822; info@acme.example\r\nAction: delayed\r\nStatus: 4.4.7\r\n\r\n--b--\r\n")
    raw = message("MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b",
                  subject="Delivery Status Notification (Delay)").split(b"\r\n\r\n")[0] + b"\r\n\r\n" + body.encode()

    result = kind_of(raw)

    assert (result.kind, result.uncertain) == (BOUNCE, True)
    assert result.reasons[-1] == "delivery status delayed, not failed: a warning, not a final failure"


def test_read_receipt_is_automatic():
    result = kind_of(message("Content-Type: multipart/report; report-type=disposition-notification; boundary=b",
                             body="--b--", subject="Read: Question"))
    assert (result.kind, result.reasons) == (
        AUTO_REPLY, ("read receipt: multipart/report; report-type=disposition-notification",))


# --- auto-reply headers -----------------------------------------------------------


@pytest.mark.parametrize("header, reason", [
    ("Auto-Submitted: auto-replied", "header Auto-Submitted: auto-replied (RFC 3834)"),
    ("Auto-Submitted: auto-notified", "header Auto-Submitted: auto-notified (RFC 3834)"),
    ("X-Autoreply: yes", "header X-Autoreply: yes"),
    ("X-Autorespond: Thanks", "header X-Autorespond: Thanks"),
    ("X-Autoresponder: Will not send another autoreply for 86400 seconds",
     "header X-Autoresponder: Will not send another autoreply for 86400 seconds"),
    ("Precedence: auto_reply", "header Precedence: auto_reply"),
    ("X-Precedence: auto_reply", "header X-Precedence: auto_reply"),
])
def test_auto_reply_headers_decide_alone(header, reason):
    result = kind_of(message(header, body="Yes, we deliver to Berlin in two days."))
    assert (result.kind, result.reasons, result.uncertain) == (AUTO_REPLY, (reason,), False)


def test_auto_generated_alone_is_an_auto_reply_flagged_for_a_check():
    result = kind_of(message("Auto-Submitted: auto-generated", body="Yes, we deliver to Berlin in two days."))
    assert (result.kind, result.uncertain) == (AUTO_REPLY, True)
    assert result.reasons == ("header Auto-Submitted: auto-generated (RFC 3834)",
                              "no other auto-reply sign: check that no person wrote it")


def test_auto_submitted_no_declares_a_person_and_vetoes_text_rules():
    result = kind_of(message("Auto-Submitted: no", body="This is an automated message confirming your order."))
    assert result.kind == HUMAN
    assert result.reasons == ("Auto-Submitted: no (the sender declares a person wrote it)",
                              "no auto-reply or bounce signal")


@pytest.mark.parametrize("headers, reasons", [
    ("X-Auto-Response-Suppress: All", ("header X-Auto-Response-Suppress: All",)),
    ("Precedence: bulk", ("header Precedence: bulk",)),
    ("X-MS-Exchange-Inbox-Rules-Loop: info@acme.example",
     ("header X-MS-Exchange-Inbox-Rules-Loop (sent by an Exchange inbox rule)",)),
])
def test_one_weak_header_alone_is_human_but_uncertain(headers, reasons):
    result = kind_of(message(headers, body="Yes, we deliver to Berlin in two days."))
    assert (result.kind, result.uncertain) == (HUMAN, True)
    assert result.reasons == tuple(f"weak signal alone, not enough for auto-reply: {r}" for r in reasons)


def test_x_auto_response_suppress_none_is_no_signal():
    assert kind_of(message("X-Auto-Response-Suppress: None")).reasons == ("no auto-reply or bounce signal",)


def test_weak_header_plus_acknowledgement_is_an_auto_reply():
    result = kind_of(message("X-Auto-Response-Suppress: All",
                             body="Dear customer,\n\nwe have received your message."))
    assert (result.kind, result.uncertain) == (AUTO_REPLY, True)
    assert result.reasons == ("acknowledgement in the reply's own text: 'we have received your message'",
                              "header X-Auto-Response-Suppress: All")


def test_two_weak_headers_are_an_auto_reply():
    result = kind_of(message("Precedence: bulk\nList-Unsubscribe: <mailto:unsub@acme.example>",
                             subject="Our spring newsletter", body="New arrivals!"))
    assert (result.kind, result.uncertain) == (AUTO_REPLY, True)


# --- subjects ---------------------------------------------------------------------


@pytest.mark.parametrize("subject", [
    "Automatic reply: Question about delivery times",
    "Out of Office: Question about delivery times",
    "Out of Office AutoReply: Question",
    "Auto-Reply: Question",
    "Autosvar: Question",
    "Automatische Antwort: Frage zur Lieferzeit",
    "Abwesenheitsnotiz: Frage zur Lieferzeit",
    "Eingangsbestätigung: Ihre Anfrage",
    "Réponse automatique : Question sur les délais",
    "Absence du bureau",
    "Accusé de réception de votre demande",
    "Respuesta automática: Pregunta sobre plazos",
    "Fuera de la oficina",
    "Automatisch antwoord: Vraag over levertijd",
    "Afwezig: Vraag over levertijd",
    "Risposta automatica: Domanda sui tempi di consegna",
    "Fuori sede: Domanda",
    "[#ACM-1234] Request received: Question",
    "We received your message [#ACM-1234]",
])
def test_auto_reply_subjects_in_six_languages(subject):
    result = kind_of(message(subject=subject, body="Hello."))
    assert result.kind == AUTO_REPLY
    assert result.reasons[0].startswith("subject starts with")


@pytest.mark.parametrize("subject", ["RE: Automatic reply: Question", "AW: Automatische Antwort: Frage",
                                     "Re: Out of Office: Question", "Question about our out of office hours"])
def test_a_person_answering_in_an_auto_reply_thread_is_not_matched(subject):
    assert kind_of(message(subject=subject, body="Yes, we deliver.")).kind == HUMAN


# --- body text ---------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    "This is an automated message. Please keep your ticket number for reference.",
    "Dies ist eine automatisch generierte Nachricht.",
    "Ceci est un message automatique, merci de ne pas y répondre.",
    "Este es un mensaje automático.",
    "Dit is een automatisch gegenereerd bericht.",
    "Questo è un messaggio automatico.",
    "This mailbox is not monitored.",
    "Thank you. Ticket #48213 has been created.",
    "Ihr Ticket [#A-4821] wurde erstellt.",
    "I am out of the office until 16 March.",
    "Ich bin bis zum 13. März nicht im Büro.",
    "Estoy fuera de la oficina hasta el 16 de marzo.",
    "Ik ben tot en met 13 maart afwezig.",
    "Sono fuori ufficio fino al 16 marzo.",
])
def test_unambiguous_body_phrases(body):
    result = kind_of(message(body=body))
    assert (result.kind, result.uncertain) == (AUTO_REPLY, False), result.reasons


@pytest.mark.parametrize("body", [
    "Thanks, we received your message. Yes, the backpack is in stock.",
    "Vielen Dank, Ihre Anfrage ist bei uns eingegangen. Die Lieferung dauert zwei Tage.",
    "I'm out of the office tomorrow, so here is the answer today: yes.",
    "I will get back to you shortly with the price.",
    "Your ticket number is 4821. The jacket ships tomorrow.",
])
def test_one_weak_phrase_alone_is_human(body):
    result = kind_of(message(body=body))
    assert (result.kind, result.uncertain) == (HUMAN, True), result.reasons


@pytest.mark.parametrize("body", [
    "We have received your request and will get back to you as soon as possible.",
    "Ihre Anfrage ist bei uns eingegangen. Wir melden uns schnellstmöglich bei Ihnen.",
    "Nous avons bien reçu votre message. Nous vous répondrons dans les meilleurs délais.",
    "Hemos recibido su mensaje. Nos pondremos en contacto con usted lo antes posible.",
    "Wij hebben uw bericht in goede orde ontvangen. Wij nemen zo spoedig mogelijk contact met u op.",
    "Abbiamo ricevuto la sua richiesta. La contatteremo al più presto.",
])
def test_acknowledgement_with_a_promise_is_an_auto_reply(body):
    result = kind_of(message(body=body))
    assert (result.kind, result.uncertain) == (AUTO_REPLY, True), result.reasons


def test_no_reply_sender_plus_acknowledgement():
    raw = message(body="We have received your enquiry.").replace(b"someone@acme.example", b"no-reply@acme.example")
    result = kind_of(raw)
    assert result.kind == AUTO_REPLY
    assert "no-reply sender no-reply@acme.example" in result.reasons


@pytest.mark.parametrize("separator", [
    "On Mon, 2 Mar 2026 at 10:15, Support <support@acme.example> wrote:\n>",
    "Am Mo., 2. März 2026 um 10:15 Uhr schrieb Support <support@acme.example>:\n>",
    "-----Original Message-----\n",
    "-----Ursprüngliche Nachricht-----\n",
    "From: Support <support@acme.example>\nSent: Monday, 2 March 2026 10:15\nTo: Alex\nSubject: Re\n\n",
    "Von: Support <support@acme.example>\nGesendet: Montag, 2. März 2026 10:15\nAn: Alex\n\n",
    "De : Support <support@acme.example>\nEnvoyé : lundi 2 mars 2026 10:15\nÀ : Alex\n\n",
    "________________________________\nFrom: Support <support@acme.example>\nDate: 2 March 2026\n\n",
])
def test_auto_reply_phrases_in_quoted_text_do_not_count(separator):
    body = ("Hi Alex, yes, we deliver to Berlin in two days.\n\nMaria\n\n" + separator +
            " This is an automated message. Ticket #48213 has been created. I am out of the office until Monday.")
    assert kind_of(message(body=body)).reasons == ("no auto-reply or bounce signal",)


def test_signature_text_does_not_count():
    body = "Yes, in stock.\n\n-- \nMaria | Acme\nThis mailbox is not monitored on weekends."
    assert kind_of(message(body=body)).kind == HUMAN


# --- strip_quoted ------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("Yes.\n\nOn Mon, 2 Mar 2026, Ann <ann@x.example> wrote:\n> Question?\n> More", "Yes."),
    ("Yes.\n\nOn Mon, Mar 2, 2026 at 10:15 AM Ann Example <\nann@x.example> wrote:\n> Question?", "Yes."),
    ("Ja.\n\nAm Mo., 2. März 2026 um 10:15 Uhr schrieb Ann <ann@x.example>:\n> Frage?", "Ja."),
    ("Oui.\n\nLe lun. 2 mars 2026 à 10:15, Ann <ann@x.example> a écrit :\n> Question ?", "Oui."),
    ("Sí.\n\nEl lun, 2 mar 2026 a las 10:15, Ann (<ann@x.example>) escribió:\n> ¿Pregunta?", "Sí."),
    ("Ja.\n\nOp ma 2 mrt. 2026 om 10:15 schreef Ann <ann@x.example>:\n> Vraag?", "Ja."),
    ("Sì.\n\nIl giorno lun 2 mar 2026 alle ore 10:15 Ann <ann@x.example> ha scritto:\n> Domanda?", "Sì."),
    ("Yes.\n\n-----Original Message-----\nFrom: Ann\nSent: Monday\n\nQuestion?", "Yes."),
    ("Oui.\n\nDe : Ann <ann@x.example>\nEnvoyé : lundi 2 mars 2026 10:15\nÀ : Bob\nObjet : Q\n\nQuestion ?", "Oui."),
    ("Ja.\n\nVon: Ann <ann@x.example>\nGesendet: Montag, 2. März 2026 10:15\nAn: Bob\n\nFrage?", "Ja."),
    ("Sí.\n\nDe: Ann <ann@x.example>\nEnviado el: lunes, 2 de marzo de 2026 10:15\nPara: Bob\n\n¿Pregunta?", "Sí."),
    ("Yes.\n\n________________________________\nFrom: Ann <ann@x.example>\nSent: Monday\n\nQuestion?", "Yes."),
    # Inline answers between quoted lines are the person's own text and stay.
    ("On Mon, 2 Mar 2026, Ann wrote:\n> Is it in stock?\nYes.\n> And the price?\n49 EUR.", "Yes.\n49 EUR."),
    # An "On ... wrote:" followed by an unquoted original: everything after it goes.
    ("Yes.\n\nOn 2 Mar 2026, Ann wrote:\nQuestion?", "Yes."),
    # No date in it: not an attribution, the person's own sentence.
    ("Am Montag schrieb ich Ihnen folgendes:\nDer Preis ist 49 EUR.",
     "Am Montag schrieb ich Ihnen folgendes:\nDer Preis ist 49 EUR."),
    ("", ""),
])
def test_strip_quoted(text, expected):
    assert strip_quoted(text) == expected


# --- the sandbox's mail (what `make demo` produces) ------------------------------------


@pytest.mark.parametrize("kind, style, expected", [
    ("auto_ack", "rfc", AUTO_REPLY), ("auto_ack", "helpdesk", AUTO_REPLY), ("auto_ack", "exchange", AUTO_REPLY),
    ("human", "rfc", HUMAN), ("bounce", "rfc", BOUNCE),
])
def test_sandbox_letters_are_classified_as_what_they_are(kind, style, expected):
    from dataclasses import replace

    from sandbox.companies import COMPANIES
    from sandbox.letters import compose

    company = COMPANIES[0]
    company = replace(company, behaviour=replace(company.behaviour, autoack_style=style))
    submission = {"sender_name": "Alex Morgan", "ticket": "ACM-1042", "received_at": "2026-03-02T09:15:00+00:00",
                  "body": "Hello,\nhow long does delivery to Berlin take?\nAlex", "reply_to": "alex@knock.example",
                  "fields": {"From": "Alex <alex@knock.example>", "Subject": "Delivery"},
                  "message_id": "<inq.1@knock.example>"}
    subject = {"auto_ack": {"rfc": "We received your message [#ACM-1042]",
                            "helpdesk": "[#ACM-1042] Request received: Delivery",
                            "exchange": "Automatic reply: Delivery [#ACM-1042]"}[style],
               "human": "Re: Delivery [#ACM-1042]", "bounce": "Undelivered Mail Returned to Sender"}[kind]
    reply = {"kind": kind, "from_addr": "MAILER-DAEMON@acme-outdoor.example" if kind == "bounce"
             else "support@acme-outdoor.example", "to_addr": "alex@knock.example", "subject": subject,
             "message_id": f"<{kind}.ACM-1042.1@acme-outdoor.example>", "in_reply_to": "<inq.1@knock.example>",
             "staff_name": "Hannah Brooks", "due_at": "2026-03-02T11:00:00+00:00"}

    msg = parse_message(compose(company, submission, reply))

    assert classify(msg).kind == expected
    if kind == "bounce":
        assert msg.embedded_message_id == "<inq.1@knock.example>"
