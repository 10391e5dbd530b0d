"""How Knock reads a page after a submit: thank-you phrases and error messages (pure functions)."""

from __future__ import annotations

import pytest

from runners.form_fields import choose_option, has_phrase
from runners.form_signals import contains_text, describe_messages, success_phrase


@pytest.mark.parametrize("text, before, expected", [
    ("Thank you — we have received your message", "", "thank you"),
    ("Thanks! Your request has been submitted.", "", "thanks"),
    ("Vielen Dank für Ihre Nachricht.", "", "vielen dank"),
    ("Your message could not be sent. Please try again.", "", None),
    ("Sorry, there was an error. Thank you for your patience.", "", "thank you"),  # another sentence
    ("Thank you for visiting!\nContact us", "Thank you for visiting!\nContact us", None),  # was there before
    ("Please correct the highlighted fields", "", None),
])
def test_success_phrase(text, before, expected):
    assert expected == success_phrase(text, before)


def test_each_field_keeps_its_message_and_page_alerts_are_not_repeated():
    problems = [
        {"kind": "invalid", "field": "Name", "text": "Please fill out this field."},
        {"kind": "invalid", "field": "Email", "text": "Please fill out this field."},
        {"kind": "aria-invalid", "field": "Phone", "text": ""},
        {"kind": "alert", "field": "", "text": "Please fill out this field."},
        {"kind": "alert", "field": "", "text": "Please correct the highlighted fields."},
    ]

    assert ["Name: Please fill out this field.", "Email: Please fill out this field.", "Phone: invalid",
            "Please correct the highlighted fields."] == describe_messages(problems)


def test_a_recipes_success_text_ignores_case_and_spacing():
    assert contains_text("THANK YOU —\n  we have received   your message", "Thank you — we have received")


@pytest.mark.parametrize("text, expected", [
    ("E-Mail-Adresse *", "e mail"),
    ("Telefonnummer", "telefon"),
    ("Mailing address", None),     # short words match whole, not as a prefix
    ("Your e-mail", "e mail"),
])
def test_has_phrase(text, expected):
    assert expected == has_phrase(text, ("e mail", "mail", "telefon"))


@pytest.mark.parametrize("wanted, expected", [
    ("Software Engineer", "Software Engineer"),
    ("software engineer", "Software Engineer"),
    ("Engineer", "Software Engineer"),            # closest
    ("Astronaut", "Data Analyst"),                # no such option: the first real one
    (None, "Data Analyst"),
])
def test_choose_option(wanted, expected):
    options = (("", "Please choose…", False), ("Data Analyst", "Data Analyst", False),
               ("Software Engineer", "Software Engineer", False), ("Closed role", "Closed role", True))

    assert expected == choose_option(options, wanted)[0]
