"""Field detection without a recipe, on hand-written pages in several languages.

Real sites label fields every which way: German compound words, French
labels, placeholders only, autocomplete tokens, aria-labels, text in a
<p> before an unlabelled input. Each test shows one page and what Knock
reads from it. Nothing is submitted here (``page.set_content``, no network).
"""

from __future__ import annotations

import pytest

from runners.browser import new_context
from runners.form_fields import classify_buttons, collect, detect

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(chromium):
    """One page for the module: every test replaces its content (a new context costs ~0.5 s here)."""
    context = new_context(chromium)
    yield context.new_page()
    context.close()

ALL = {"name", "first_name", "last_name", "email", "phone", "company", "subject", "message", "consent", "topic",
       "resume"}


def fields_of(page, html: str, wanted=ALL) -> dict[str, str]:
    """semantic -> the control's name attribute, for the best form on the page."""
    page.set_content(html)
    found = detect(page, set(wanted))
    assert found is not None
    return {semantic: match.control.name for semantic, match in found.matches.items()}


def test_german_labels_compound_words_and_consent(page):
    html = """<form>
      <label for=a>Vorname</label><input id=a name=a>
      <label for=b>Nachname</label><input id=b name=b>
      <label for=c>E-Mail-Adresse *</label><input id=c name=c>
      <label for=d>Telefonnummer</label><input id=d name=d>
      <label for=e>Betreff</label><input id=e name=e>
      <label for=f>Ihre Nachricht</label><textarea id=f name=f></textarea>
      <input type=checkbox id=g name=g><label for=g>Ich habe die Datenschutzerklärung gelesen</label>
      <input type=checkbox id=h name=h><label for=h>Newsletter abonnieren</label>
      <button>Absenden</button></form>"""

    assert {"first_name": "a", "last_name": "b", "email": "c", "phone": "d", "subject": "e", "message": "f",
            "consent": "g"} == fields_of(page, html)


def test_french_labels(page):
    html = """<form>
      <label>Votre nom <input name=nom></label>
      <label>Courriel <input name=courriel></label>
      <label>Sujet <input name=sujet></label>
      <label>Votre message <textarea name=msg></textarea></label>
      <label><input type=checkbox name=rgpd> J'accepte la politique de confidentialité</label>
      <button type=submit>Envoyer</button></form>"""

    assert {"name": "nom", "email": "courriel", "subject": "sujet", "message": "msg", "consent": "rgpd"} == \
        fields_of(page, html)


def test_attributes_when_there_are_no_labels(page):
    html = """<form>
      <input name=fld_1 autocomplete=name>
      <input name=fld_2 autocomplete=email>
      <input name=fld_3 type=tel>
      <input name=companyName>
      <input name=fld_5 aria-label="Topic of your enquiry">
      <p>Your question</p><textarea name=fld_6></textarea>
      <input type=submit value="Send"></form>"""

    assert {"name": "fld_1", "email": "fld_2", "phone": "fld_3", "company": "companyName", "subject": "fld_5",
            "message": "fld_6"} == fields_of(page, html)


def test_look_alikes_are_left_alone(page):
    html = """<form>
      <label>Mailing address <input name=addr></label>
      <label>Username <input name=user></label>
      <label>E-mail <input name=mail></label>
      <label>Order number <input name=order></label>
      <label><input type=checkbox name=news> Send me offers and news</label>
      <label>Comments <textarea name=c></textarea></label><button>Send</button></form>"""

    assert {"email": "mail", "message": "c"} == fields_of(page, html)


def test_the_contact_form_wins_over_search_and_newsletter(page):
    html = """
      <form role=search><input type=search name=q placeholder="Search"><button>Go</button></form>
      <form id=newsletter><input type=email name=nl_email placeholder="Your email"><button>Subscribe</button></form>
      <form id=contact>
        <input name=who placeholder="Your name"><input type=email name=mail placeholder="Email">
        <textarea name=text placeholder="How can we help?"></textarea><button>Send</button>
      </form>"""

    assert {"name": "who", "email": "mail", "message": "text"} == fields_of(page, html)


def test_a_newsletter_alone_is_not_a_contact_form(page):
    page.set_content("<form><input type=email name=e placeholder='Email'><button>Subscribe</button></form>")

    found = detect(page, ALL)

    assert not found.is_contact_form


def test_hidden_and_password_fields_are_never_filled(page):
    html = """<form>
      <input type=hidden name=token value=x>
      <div style="display:none"><input name=email_confirm placeholder="Email"></div>
      <input type=password name=password placeholder="Password">
      <input type=email name=email><textarea name=message></textarea><button>Send</button></form>"""

    assert {"email": "email", "message": "message"} == fields_of(page, html)


@pytest.mark.parametrize("wrapper, field", [
    ("position:absolute; left:-9999px", ""),                      # pushed off the page
    ("", "opacity:0; position:absolute; z-index:-1"),             # transparent itself
    ("overflow:hidden; height:0", ""),                            # shut in an empty box
])
def test_honeypots_a_person_cannot_see_are_never_filled(page, wrapper, field):
    # Filling one marks the message as spam: the site drops it, and non-delivery would pass for
    # non-response. A styled consent box hides its input the same ways and must still be ticked.
    html = f"""<form>
      <div style="{wrapper}"><label>Email <input type=email name=email_confirm style="{field}"></label></div>
      <label>Email <input type=email name=email></label>
      <label>Message <textarea name=message></textarea></label>
      <label><input type=checkbox name=consent style="opacity:0; position:absolute"> I agree to be contacted</label>
      <button>Send</button></form>"""

    assert {"email": "email", "message": "message", "consent": "consent"} == fields_of(page, html)


def test_a_form_fading_in_and_a_styled_drop_down_are_not_honeypots(page):
    # A section that is still transparent until scrolled to (fade-in effects), and a native <select>
    # laid transparent over a styled box: a person sees and uses both.
    html = """<section style="opacity:0"><form>
      <label>Email <input type=email name=email></label>
      <label>Topic <span style="position:relative"><span>Choose…</span>
        <select name=topic style="opacity:0; position:absolute; inset:0"><option>Sales</option></select></span></label>
      <label>Message <textarea name=message></textarea></label>
      <button>Send</button></form></section>"""

    assert {"email": "email", "topic": "topic", "message": "message"} == fields_of(page, html)


def test_a_drop_down_is_the_topic_and_full_name_loses_to_first_and_last(page):
    html = """<form>
      <label>Name <input name=n></label>
      <label>First name <input name=fn autocomplete=given-name></label>
      <label>Last name <input name=ln autocomplete=family-name></label>
      <label>Reason for contact
        <select name=reason><option value="">Choose…</option><option>Sales</option></select></label>
      <label>Message <textarea name=m></textarea></label><button>Submit</button></form>"""

    assert {"first_name": "fn", "last_name": "ln", "topic": "reason", "message": "m"} == fields_of(page, html)


def test_a_file_input_is_the_resume(page):
    html = """<form><label>Full name <input name=n></label><label>Email <input type=email name=e></label>
      <label>Upload your CV <input type=file name=cv_upload style="opacity:0"></label>
      <button>Apply now</button></form>"""

    assert {"name": "n", "email": "e", "resume": "cv_upload"} == fields_of(page, html)


@pytest.mark.parametrize("buttons, submit, next_", [
    ("<button>Weiter</button>", None, "Weiter"),
    ("<a>Back</a><button>Continue</button>", None, "Continue"),
    ("<button type=button>Back</button><button>Send message</button>", "Send message", None),
    ("<input type=submit value='Submit application'>", "Submit application", None),
    ("<button>Go!</button>", "Go!", None),  # no telling words: the form's submit button
    ("<button>Accept cookies</button><button type=submit>Envoyer</button>", "Envoyer", None),
])
def test_buttons_are_told_apart(page, buttons, submit, next_):
    page.set_content(f"<form><textarea name=m></textarea>{buttons}</form>")

    found_submit, found_next = classify_buttons(collect(page)[1])

    assert submit == (found_submit.text if found_submit else None)
    assert next_ == (found_next.text if found_next else None)
