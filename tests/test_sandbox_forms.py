"""The sandbox companies' web forms, driven in real Chromium.

Each form kind is a shape Knock's runner must handle (or must recognise it
cannot): labelled, placeholder-only, two steps, client-side validation,
file upload, CAPTCHA, a flaky server, no form at all. Every test checks
the ledger: what the sandbox actually received, and how many times.
"""

from __future__ import annotations

import hashlib
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from sandbox import COMPANIES, forms
from tests.sandbox_fixtures import *  # noqa: F401,F403  (fixtures)
from tests.sandbox_fixtures import make_pdf

pytestmark = pytest.mark.browser


def locate(page, locator: dict):
    """A recipe locator (as in ``Company.recipe()``) as a Playwright locator."""
    if "label" in locator:
        return page.get_by_label(locator["label"], exact=True)
    if "placeholder" in locator:
        return page.get_by_placeholder(locator["placeholder"], exact=True)
    return page.locator(f"[name={locator['name']!r}]")


def post(url: str, fields: dict) -> tuple[int, str]:
    """A form POST without a browser (what a runner skipping JavaScript sends)."""
    data = urllib.parse.urlencode(fields).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_plain_form_filled_by_labels_is_recorded_once(sandbox, page):
    company = sandbox.company("acme-outdoor")
    page.goto(sandbox.company_url("acme-outdoor"))

    page.get_by_label("Your name", exact=True).fill("Ada Lovelace")
    page.get_by_label("Email", exact=True).fill("research+tok123@lab.example")
    page.get_by_label("Phone", exact=True).fill("+44 20 7946 0000")
    page.get_by_label("Subject", exact=True).fill("Tent repairs")
    page.get_by_label("Message", exact=True).fill("Do you repair tent zips?")
    page.get_by_label("I agree to be contacted").check()
    page.get_by_role("button", name="Send message").click()

    expect(page.get_by_text(company.success_text)).to_be_visible()
    assert page.url == sandbox.base_url + company.success_path
    [submission] = sandbox.submissions()
    assert ("acme-outdoor", "web_form") == (submission["company"], submission["channel"])
    assert "research+tok123@lab.example" == submission["reply_to"]
    assert {
        "name": "Ada Lovelace", "email": "research+tok123@lab.example", "phone": "+44 20 7946 0000",
        "subject": "Tent repairs", "message": "Do you repair tent zips?", "consent": "yes",
    } == submission["fields"]
    assert submission["received_at"].startswith("2030-03-04T09:00:00")
    assert [submission["id"]] == [s["id"] for s in page.request.get(sandbox.base_url + "/_sandbox/submissions").json()]


def test_plain_form_refuses_missing_consent(sandbox, page):
    page.goto(sandbox.company_url("ledgerline-accounting"))
    page.get_by_label("Your name", exact=True).fill("Ada Lovelace")
    page.get_by_label("Email", exact=True).fill("research+tok123@lab.example")
    page.get_by_label("Message", exact=True).fill("Do you do payroll?")
    # The consent box is `required`: Chromium refuses to submit; the server would too.
    page.get_by_role("button", name="Send message").click()
    assert sandbox.company_url("ledgerline-accounting") == page.url
    status, html = post(sandbox.company_url("ledgerline-accounting"),
                        {"name": "Ada", "email": "a@lab.example", "message": "Hi"})
    assert 422 == status and "Please tick this box" in html
    assert [] == sandbox.submissions()


def test_placeholder_form_filled_by_placeholders(sandbox, page):
    company = sandbox.company("bluefin-software")
    page.goto(sandbox.company_url("bluefin-software"))
    assert 0 == page.locator("form label").count()

    page.get_by_placeholder("Full name").fill("Ada Lovelace")
    page.get_by_placeholder("Work email").fill("research+tok123@lab.example")
    page.get_by_placeholder("Subject").fill("Pricing")
    page.get_by_placeholder("Tell us how we can help").fill("Is there a plan for two clinics?")
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_text(company.success_text)).to_be_visible()
    [submission] = sandbox.submissions()
    assert {"f1": "Ada Lovelace", "f2": "research+tok123@lab.example", "f3": "", "f4": "Pricing",
            "f5": "Is there a plan for two clinics?"} == submission["fields"]
    assert ("research+tok123@lab.example", "Pricing") == (submission["reply_to"], submission["subject"])


def test_two_step_form_needs_both_steps(sandbox, page):
    company = sandbox.company("harbour-savings")
    page.goto(sandbox.company_url("harbour-savings"))
    assert 0 == page.get_by_label("How can we help?").count()  # not on the page before Next

    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("research+tok123@lab.example")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("How can we help?")).to_be_visible()
    assert [] == sandbox.submissions()  # step 1 alone submits nothing

    page.get_by_label("Subject").fill("Savings rates")
    page.get_by_label("How can we help?").fill("What is your best fixed rate?")
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_text(company.success_text)).to_be_visible()
    [submission] = sandbox.submissions()
    assert "Ada Lovelace" == submission["fields"]["full_name"]
    assert "What is your best fixed rate?" == submission["body"]


def test_two_step_form_refuses_skipping_step_one(sandbox):
    status, html = post(sandbox.company_url("harbour-savings") + "/send", {
        "full_name": "Ada", "email_address": "a@lab.example", "subject": "Hi", "enquiry": "Hello"})
    assert 400 == status and "start again" in html
    assert [] == sandbox.submissions()


def test_phone_validation_blocks_a_bad_number_then_accepts_a_good_one(sandbox, page):
    company = sandbox.company("sakura-stay")
    page.goto(sandbox.company_url("sakura-stay"))
    page.get_by_label("Guest name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("research+tok123@lab.example")
    page.get_by_label("Phone number").fill("call me maybe")
    page.get_by_label("Message").fill("Do you have a room on 12 April?")
    page.get_by_role("button", name="Send enquiry").click()

    expect(page.get_by_text(forms.PHONE_ERROR)).to_be_visible()
    assert sandbox.company_url("sakura-stay") == page.url
    assert [] == sandbox.submissions()

    page.get_by_label("Phone number").fill("+81 75 555 0199")
    page.get_by_role("button", name="Send enquiry").click()
    expect(page.get_by_text(company.success_text)).to_be_visible()
    assert 1 == len(sandbox.submissions())


def test_phone_validation_is_enforced_by_the_server_too(sandbox):
    status, html = post(sandbox.company_url("sakura-stay"), {
        "guest_name": "Ada", "email": "a@lab.example", "phone": "12", "message": "Hello"})
    assert 422 == status and forms.PHONE_ERROR in html
    assert [] == sandbox.submissions()


def test_job_application_records_the_resume_checksum(sandbox, page, tmp_path):
    company = sandbox.company("brightleaf-analytics")
    resume = make_pdf(tmp_path / "ada-lovelace-cv.pdf")
    page.goto(sandbox.company_url("brightleaf-analytics"))
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("research+tok123@lab.example")
    page.get_by_label("Position").select_option("Data Analyst")
    page.get_by_label("Cover letter").fill("I love numbers.")
    page.get_by_label("Résumé (PDF)").set_input_files(resume)
    page.get_by_role("button", name="Submit application").click()

    expect(page.get_by_text(company.success_text)).to_be_visible()
    [submission] = sandbox.submissions()
    assert "job_application" == submission["channel"]
    assert hashlib.sha256(resume.read_bytes()).hexdigest() == submission["upload_sha256"]
    assert ("ada-lovelace-cv.pdf", resume.stat().st_size) == (submission["upload_filename"], submission["upload_size"])
    assert "Data Analyst" == submission["fields"]["position"]


def test_job_application_rejects_a_file_that_is_not_a_pdf(sandbox, page, tmp_path):
    fake = tmp_path / "resume.pdf"
    fake.write_text("I am a Word document, honest")
    page.goto(sandbox.company_url("brightleaf-analytics"))
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("research+tok123@lab.example")
    page.get_by_label("Position").select_option("Software Engineer")
    page.get_by_label("Cover letter").fill("Hello.")
    page.get_by_label("Résumé (PDF)").set_input_files(fake)
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.get_by_role("button", name="Submit application").click()

    assert 422 == response.value.status
    expect(page.get_by_text(forms.PDF_ERROR)).to_be_visible()
    assert [] == sandbox.submissions()


def test_captcha_form_is_recognisable_and_refuses_submissions(sandbox, page):
    page.goto(sandbox.company_url("northgate-insurance"))
    expect(page.locator(".g-recaptcha[data-sitekey]")).to_have_count(1)
    expect(page.get_by_role("checkbox", name="I'm not a robot")).to_be_visible()
    expect(page.get_by_text("CAPTCHA", exact=True)).to_be_visible()

    page.get_by_role("checkbox", name="I'm not a robot").click()  # never yields a token
    expect(page.get_by_text("Verification failed")).to_be_visible()
    assert "" == page.locator(f"[name={forms.CAPTCHA_FIELD!r}]").input_value()

    page.get_by_label("Name", exact=True).fill("Ada Lovelace")
    page.get_by_label("Email").fill("research+tok123@lab.example")
    page.get_by_label("Message").fill("Does my policy cover hail?")
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.get_by_role("button", name="Send").click()

    assert 403 == response.value.status
    expect(page.get_by_text(forms.CAPTCHA_ERROR)).to_be_visible()
    assert [] == sandbox.submissions()


def test_flaky_site_answers_500_when_configured_to(make_sandbox, page):
    sandbox = make_sandbox(behaviour_overrides={"copperpot-kitchen": {"error_rate": 1.0, "slow_rate": 0.0}})
    response = page.goto(sandbox.company_url("copperpot-kitchen"))
    assert 500 == response.status
    expect(page.get_by_text("Internal Server Error").first).to_be_visible()


def test_flaky_site_slow_but_working_path(make_sandbox, page):
    sandbox = make_sandbox(behaviour_overrides={
        "copperpot-kitchen": {"error_rate": 0.0, "slow_rate": 1.0, "slow_seconds": 0.3}})
    company = sandbox.company("copperpot-kitchen")
    began = time.monotonic()
    assert 200 == page.goto(sandbox.company_url("copperpot-kitchen")).status
    assert time.monotonic() - began >= 0.3
    page.get_by_label("Name", exact=True).fill("Ada Lovelace")
    page.get_by_label("Email address").fill("research+tok123@lab.example")
    page.get_by_label("Your message").fill("Do you sharpen Japanese knives?")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text(company.success_text)).to_be_visible()
    assert 1 == len(sandbox.submissions())


def test_flaky_site_can_fail_after_recording_the_submission(make_sandbox):
    """The runner's `uncertain` case: an error page, yet the message went in."""
    sandbox = make_sandbox(behaviour_overrides={
        "copperpot-kitchen": {"error_rate": 1.0, "slow_rate": 0.0, "error_after_record_rate": 1.0}})
    status, _ = post(sandbox.company_url("copperpot-kitchen"),
                     {"name": "Ada", "email": "research+tok123@lab.example", "message": "Hello"})
    assert 500 == status
    assert 1 == len(sandbox.submissions())


def test_flakiness_is_seeded(make_sandbox):
    overrides = {"copperpot-kitchen": {"error_rate": 0.5, "slow_rate": 0.0}}

    def statuses(sandbox):
        out = []
        for _ in range(12):
            try:
                with urllib.request.urlopen(sandbox.company_url("copperpot-kitchen"), timeout=10) as r:
                    out.append(r.status)
            except urllib.error.HTTPError as exc:
                out.append(exc.code)
        return out

    first = statuses(make_sandbox(seed=3, behaviour_overrides=overrides))
    assert first == statuses(make_sandbox(seed=3, behaviour_overrides=overrides))
    assert {200, 500} == set(first)


def test_no_form_page_has_no_form(sandbox, page):
    company = sandbox.company("quayside-inn")
    assert 200 == page.goto(sandbox.company_url("quayside-inn")).status
    assert 0 == page.locator("form").count()
    expect(page.get_by_text(company.support_email).first).to_be_visible()
    expect(page.get_by_text(company.phone).first).to_be_visible()


@pytest.mark.parametrize("company", [c for c in COMPANIES if c.form_kind not in ("no_form",)], ids=lambda c: c.slug)
def test_recipe_locators_find_exactly_one_field(make_sandbox, page, company):
    """The locators the company metadata documents are the ones its page has."""
    sandbox = make_sandbox(behaviour_overrides={company.slug: {"error_rate": 0.0, "slow_rate": 0.0}})
    page.goto(sandbox.company_url(company.slug))
    recipe = company.recipe()
    for semantic in recipe["steps"][0]["fields"]:
        expect(locate(page, recipe["fields"][semantic])).to_have_count(1)
    first_button = recipe["steps"][0]["then"]
    expect(page.get_by_role(first_button["role"], name=first_button["name"], exact=True)).to_have_count(1)
