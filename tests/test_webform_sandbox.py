"""``submit_web`` against every form kind of the sandbox, in real Chromium.

Each test submits one contact and then reads the sandbox's ledger: what
the fictitious company actually received, and how many times. A knock
carries a unique reply address, so ``received(job)`` finds exactly that
knock's rows in the ledger the whole module shares.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from datetime import datetime, timezone
from pathlib import Path

import pytest

from experiments.model import Persona, Resume
from runners import jobs
from runners.jobs import SubmissionJob
from runners.resume import resume_pdf
from runners.webform import should_retry, submit_web
from sandbox import Sandbox, forms
from sandbox.companies import by_slug

pytestmark = pytest.mark.browser

START = datetime(2030, 3, 4, 9, 0, tzinfo=timezone.utc)
_tokens = itertools.count(1)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """One sandbox for the module; Copperpot's site always answers 500 here."""
    overrides = {"copperpot-kitchen": {"error_rate": 1.0, "slow_rate": 0.0}}
    with Sandbox(tmp_path_factory.mktemp("sandbox"), speed=0, start=START, behaviour_overrides=overrides) as sb:
        yield sb


class Gate:
    """``before_submit`` as the coordinator would give it: counts calls, answers ``allow``."""

    def __init__(self, allow: bool = True):
        self.allow, self.calls = allow, 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.allow


def make_job(sandbox: Sandbox, slug: str, recipe: dict | None = None, **changes) -> SubmissionJob:
    token = f"t{next(_tokens):03d}"
    reply_to = f"research+{token}@lab.example"
    values = {"name": "Ada Lovelace", "first_name": "Ada", "last_name": "Lovelace", "email": reply_to,
              "phone": "+44 20 7946 0987", "subject": "Opening hours at Easter",
              "message": f"Hello, are you open on Easter Monday? ({token})", "consent": "yes"}
    values.update(changes.pop("values", {}))
    job = dict(contact_id=next(_tokens), experiment_id="webform-tests", channel_type="web_form",
               url=sandbox.company_url(slug), address=None, recipe=recipe, values=values,
               subject=values["subject"], body=values["message"], reply_to=reply_to, sender_name="Ada Lovelace",
               allowed_hosts=("127.0.0.1",))
    job.update(changes)
    return SubmissionJob(**job)


def received(sandbox: Sandbox, job: SubmissionJob) -> list[dict]:
    return [s for s in sandbox.submissions() if s["reply_to"] == job.reply_to]


def recipe_of(slug: str, **changes) -> dict:
    """The recipe a researcher would write for a sandbox company (experiments.model.Recipe as data)."""
    company = by_slug(slug)
    semantic = {"position": "topic"}
    fields = {semantic.get(f.semantic, f.semantic): f.locator for f in company.fields}
    steps = sorted({f.step for f in company.fields})
    recipe = {"fields": fields, "submit": {"role": "button", "role_name": company.submit_label},
              "success": {"text": company.success_text}}
    if len(steps) > 1:
        recipe["steps"] = [
            {"fields": [semantic.get(f.semantic, f.semantic) for f in company.fields if f.step == s],
             **({"next": {"role": "button", "role_name": company.next_label}} if s != steps[-1] else {})}
            for s in steps]
    recipe.update(changes)
    return recipe


# -- forms that work ------------------------------------------------------------------------------

def test_plain_form_detected_by_labels_is_confirmed_once(sandbox, chromium, tmp_path):
    job, gate = make_job(sandbox, "acme-outdoor"), Gate()

    result = submit_web(chromium, job, tmp_path, gate)

    assert jobs.SUBMITTED_CONFIRMED == result.outcome, result.message
    assert result.submit_reached and 1 == gate.calls
    assert {"name": "label 'Your name'", "email": "label 'Email'", "phone": "label 'Phone'",
            "subject": "label 'Subject'", "message": "label 'Message'",
            "consent": "label 'I agree to be contacted' -> ticked"} == result.matched_fields
    [row] = received(sandbox, job)
    assert ("Ada Lovelace", job.subject, job.body) == (row["sender_name"], row["subject"], row["body"])
    assert result.final_url.endswith("/acme-outdoor/contact/thank-you") and 200 == result.http_status
    # default evidence: screenshots and HTML, but no trace for a confirmed attempt
    assert {"before", "after", "html"} == set(result.evidence)
    assert all(Path(p).is_file() and Path(p).parent == tmp_path for p in result.evidence.values())
    assert "we have received your message" in Path(result.evidence["html"]).read_text()
    assert not list(tmp_path.glob("*trace*"))


def test_placeholder_form_with_a_recipe(sandbox, chromium, tmp_path):
    job = make_job(sandbox, "bluefin-software", recipe=recipe_of("bluefin-software"))

    result = submit_web(chromium, job, tmp_path, Gate())

    assert jobs.SUBMITTED_CONFIRMED == result.outcome, result.message
    assert "Thanks! Your request has been submitted." in result.message
    assert "recipe placeholder 'Work email'" == result.matched_fields["email"]
    assert 1 == len(received(sandbox, job))


def test_placeholder_form_detected_by_placeholders(sandbox, chromium, tmp_path):
    job = make_job(sandbox, "bluefin-software", evidence="off")

    result = submit_web(chromium, job, tmp_path, Gate())

    assert jobs.SUBMITTED_CONFIRMED == result.outcome, result.message
    assert "placeholder 'Tell us how we can help'" == result.matched_fields["message"]
    assert 1 == len(received(sandbox, job))
    assert {} == result.evidence and [] == list(tmp_path.iterdir())  # evidence "off": nothing written


def test_every_kind_of_recipe_locator_and_a_url_success_signal(sandbox, chromium, tmp_path):
    recipe = {"fields": {"name": {"name": "name"}, "email": {"css": "#fld-email"},
                         "message": {"role": "textbox", "role_name": "Message"},
                         "consent": {"label": "I agree"}},  # substring of "I agree to be contacted"
              "success": {"url_contains": "/thank-you"}}  # no submit locator: the form's own button
    job = make_job(sandbox, "acme-outdoor", recipe=recipe)

    result = submit_web(chromium, job, tmp_path, Gate())

    assert jobs.SUBMITTED_CONFIRMED == result.outcome, result.message
    assert result.message.startswith("clicked button 'Send message'; now at ")
    assert {"name": "recipe name 'name'", "email": "recipe css '#fld-email'",
            "message": "recipe role textbox 'Message'",
            "consent": "recipe label 'I agree' (substring match) -> ticked"} == result.matched_fields
    [row] = received(sandbox, job)
    assert "" == row["subject"]  # the recipe does not locate the subject: it stays empty


def test_two_step_form_with_recipe_steps(sandbox, chromium, tmp_path):
    job, gate = make_job(sandbox, "harbour-savings", recipe=recipe_of("harbour-savings")), Gate()

    result = submit_web(chromium, job, tmp_path, gate)

    assert jobs.SUBMITTED_CONFIRMED == result.outcome, result.message
    assert 1 == gate.calls  # once, before the first click that sends anything ("Next")
    [row] = received(sandbox, job)
    assert (job.subject, job.body) == (row["subject"], row["body"])
    assert {"before", "before-step2", "after", "html"} == set(result.evidence)


def test_two_step_form_detected_page_by_page(sandbox, chromium, tmp_path):
    job = make_job(sandbox, "harbour-savings")

    result = submit_web(chromium, job, tmp_path, Gate())

    assert jobs.SUBMITTED_CONFIRMED == result.outcome, result.message
    assert "step 2: label 'How can we help?'" == result.matched_fields["message"]
    assert 1 == len(received(sandbox, job))


def test_phone_validation_with_a_good_number_is_confirmed(sandbox, chromium, tmp_path):
    job = make_job(sandbox, "sakura-stay", values={"phone": "+81 75 555 0110"})

    result = submit_web(chromium, job, tmp_path, Gate())

    assert jobs.SUBMITTED_CONFIRMED == result.outcome, result.message
    assert 1 == len(received(sandbox, job))


def test_job_application_uploads_the_resume_byte_for_byte(sandbox, chromium, tmp_path):
    persona = Persona(id="ada", first_name="Ada", last_name="Lovelace", phone="+44 20 7946 0987")
    pdf = resume_pdf(Resume(headline="Analyst", experience=["2020-2026 Analyst, Northwind"]), persona,
                     "research@lab.example")
    job = make_job(sandbox, "brightleaf-analytics", channel_type="job_application",
                   resume_pdf_b64=base64.b64encode(pdf).decode(), resume_filename="Ada-Lovelace-CV.pdf",
                   values={"topic": "Software Engineer"})

    result = submit_web(chromium, job, tmp_path, Gate())

    assert jobs.SUBMITTED_CONFIRMED == result.outcome, result.message
    [row] = received(sandbox, job)
    assert hashlib.sha256(pdf).hexdigest() == row["upload_sha256"]
    assert ("Ada-Lovelace-CV.pdf", len(pdf)) == (row["upload_filename"], row["upload_size"])
    assert "Application: Software Engineer" == row["subject"]
    assert "label 'Position' -> option 'Software Engineer'" == result.matched_fields["topic"]


# -- forms that refuse, and sites that cannot be used -----------------------------------------------

def test_phone_validation_with_a_bad_number_is_a_validation_error(sandbox, chromium, tmp_path):
    job = make_job(sandbox, "sakura-stay", values={"phone": "12"})

    result = submit_web(chromium, job, tmp_path, Gate())

    assert jobs.VALIDATION_ERROR == result.outcome, result.message
    assert [f"Phone number: {forms.PHONE_ERROR}"] == result.page_messages
    assert "refused the submission before sending it" in result.message
    assert result.submit_reached and not should_retry(result)
    assert [] == received(sandbox, job)
    assert Path(result.evidence["trace"]).is_file()  # not confirmed: the trace is kept


def test_captcha_blocks_before_anything_is_filled(sandbox, chromium, tmp_path):
    job, gate = make_job(sandbox, "northgate-insurance"), Gate()

    result = submit_web(chromium, job, tmp_path, gate)

    assert jobs.BLOCKED_CAPTCHA == result.outcome
    assert ".g-recaptcha" in result.message and "I'm not a robot" in result.message
    assert (False, 0, {}) == (result.submit_reached, gate.calls, result.matched_fields)
    assert [] == received(sandbox, job)
    assert {"after", "html", "trace"} == set(result.evidence)


def test_a_failing_site_is_an_http_error_worth_retrying(sandbox, chromium, tmp_path):
    job = make_job(sandbox, "copperpot-kitchen")

    result = submit_web(chromium, job, tmp_path, Gate())

    assert (jobs.HTTP_ERROR, 500, False) == (result.outcome, result.http_status, result.submit_reached)
    assert "answered HTTP 500" in result.message
    assert should_retry(result)
    assert [] == received(sandbox, job)


def test_no_form_on_the_page(sandbox, chromium, tmp_path):
    job = make_job(sandbox, "quayside-inn")

    result = submit_web(chromium, job, tmp_path, Gate())

    assert jobs.FORM_NOT_FOUND == result.outcome
    assert "no contact form" in result.message and not should_retry(result)


def test_a_recipe_locator_that_no_longer_matches_names_itself(sandbox, chromium, tmp_path):
    recipe = recipe_of("tandem-travel")
    recipe["fields"]["email"] = {"label": "E-mail address"}  # the site now says "Email"
    job, gate = make_job(sandbox, "tandem-travel", recipe=recipe), Gate()

    result = submit_web(chromium, job, tmp_path, gate)

    assert jobs.FORM_NOT_FOUND == result.outcome
    assert "field 'email': label 'E-mail address' matches nothing" in result.message
    assert (0, []) == (gate.calls, received(sandbox, job))


# -- the gate and dry runs ------------------------------------------------------------------------

def test_dry_run_fills_but_never_clicks(sandbox, chromium, tmp_path):
    job, gate = make_job(sandbox, "ledgerline-accounting", dry_run=True), Gate()

    result = submit_web(chromium, job, tmp_path, gate)

    assert jobs.DRY_RUN == result.outcome
    assert (False, 0) == (result.submit_reached, gate.calls)
    assert "stopped before clicking button 'Send message'" in result.message
    assert 6 == len(result.matched_fields)
    assert Path(result.evidence["before"]).stat().st_size > 10_000
    assert [] == received(sandbox, job)


def test_dry_run_of_a_two_step_form_stops_before_next(sandbox, chromium, tmp_path):
    # "Next" already posts name and email to the company: a dry run never clicks it
    job, gate = make_job(sandbox, "harbour-savings", dry_run=True), Gate()

    result = submit_web(chromium, job, tmp_path, gate)

    assert (jobs.DRY_RUN, 0) == (result.outcome, gate.calls)
    assert "button 'Next' leads to more steps" in result.message
    assert {"name", "email"} == set(result.matched_fields)


def test_before_submit_saying_no_aborts_without_a_click(sandbox, chromium, tmp_path):
    job, gate = make_job(sandbox, "ledgerline-accounting"), Gate(allow=False)

    result = submit_web(chromium, job, tmp_path, gate)

    assert (jobs.ABORTED, False, 1) == (result.outcome, result.submit_reached, gate.calls)
    assert [] == received(sandbox, job)
    assert {"before", "html", "trace"} == set(result.evidence)


def test_full_evidence_keeps_the_trace_even_when_confirmed(sandbox, chromium, tmp_path):
    job = make_job(sandbox, "tandem-travel", evidence="full")

    result = submit_web(chromium, job, tmp_path, Gate())

    assert jobs.SUBMITTED_CONFIRMED == result.outcome, result.message
    assert Path(result.evidence["trace"]).stat().st_size > 1_000
    assert 1 == len(received(sandbox, job))
