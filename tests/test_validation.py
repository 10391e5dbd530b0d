"""`knock experiment validate`: every problem at once, with file, line, path.

Each case edits the minimal valid experiment (tests/data/minimal.yaml) and
states the exact lines a researcher sees.
"""

from pathlib import Path

import pytest

from experiments.validation import validate_file, validate_text

BASE = (Path(__file__).parent / "data" / "minimal.yaml").read_text()
PERSONA_FIELDS = "company, email, first_name, id, last_name, name, phone"

CASES = {
    "unknown_key": (
        [("hypothesis:", "hypothesys:")],
        ["x.yaml:3: hypothesys: unknown key 'hypothesys' (did you mean 'hypothesis'?)"]),
    "bad_timezone": (
        [("timezone: Europe/London", "timezone: Europe/Lodnon")],
        ["x.yaml:32: targets[0].timezone: 'Europe/Lodnon' is not an IANA timezone (like Europe/London)"]),
    "unknown_placeholder_points_at_template_line": (
        [("      {{ persona.name }}", "      {{ persona.nickname }}")],
        [f"x.yaml:24: variants[0].body: unknown placeholder 'persona.nickname' (every persona has: {PERSONA_FIELDS})"]),
    "unknown_top_level_placeholder": (
        [("Question for {{ target.name }}", "Question for {{ company }}")],
        ["x.yaml:20: variants[0].subject: unknown placeholder 'company' "
         "(known: persona, target, token, reply_to, experiment_title)"]),
    "template_syntax": (
        [("Hi, I am {{ persona.first_name }}.", "Hi, I am {{ persona.first_name }.")],
        ["x.yaml:27: variants[1].body: template syntax error: unexpected '}'"]),
    "duplicate_id": (
        [("  - id: long", "  - id: short")],
        ["x.yaml:25: variants[1].id: duplicate id 'short' (also variants[0])"]),
    "duplicate_yaml_key": (
        [("  seed: 42", "  seed: 42\n  seed: 43")],
        ["x.yaml:11: design.seed: duplicate key (first given on line 10)"]),
    "design_breaks_contact_cap": (
        [("max_contacts_per_company: 4", "max_contacts_per_company: 3")],
        ["x.yaml:29: targets[0]: the design plans 4 contacts to 'acme', over ethics.max_contacts_per_company (3)"]),
    "variant_no_channel_can_carry": (
        [("    body: Hi, I am {{ persona.first_name }}.",
          "    body: Hi, I am {{ persona.first_name }}.\n    channels: [phone]")],
        ["x.yaml:25: variants[1]: no channel of any target can carry this variant: "
         "it is limited to phone (targets offer email, web_form)"]),
    "job_application_without_resume_variant": (
        [("      - {type: email, address: hello@bolt.example}",
          "      - {type: email, address: hello@bolt.example}\n"
          "      - {type: job_application, url: \"https://bolt.example/jobs\"}")],
        ["x.yaml:44: targets[1].channels[1]: no variant can be sent through this job_application channel "
         "(a job application needs a variant with a résumé)"]),
    "domain_ending_in_digits": (
        [("    domain: acme.example", "    domain: acme.0.1")],
        ["x.yaml:31: targets[0].domain: 'acme.0.1' is not a domain name (like example.com, lower case)",
         "x.yaml:35: targets[0].channels[0].url: host 'www.acme.example' is not acme.0.1 or one of its "
         "subdomains; Knock only submits to a target's own domain"]),
    "non_http_url": (
        [("https://www.acme.example/contact", "ftp://www.acme.example/contact")],
        ["x.yaml:35: targets[0].channels[0].url: 'ftp://www.acme.example/contact' is not an http(s) URL"]),
    "url_off_the_target_domain": (
        [("https://www.acme.example/contact", "https://forms.other.example/acme")],
        ["x.yaml:35: targets[0].channels[0].url: host 'forms.other.example' is not acme.example or one of "
         "its subdomains; Knock only submits to a target's own domain"]),
    "email_not_an_address": (
        [("address: support@acme.example", "address: support-at-acme.example")],
        ["x.yaml:36: targets[0].channels[1].address: 'support-at-acme.example' is not an email address "
         "(expected name@domain.tld)"]),
    "mailbox_not_an_address": (
        [("mailbox: research@lab.example", "mailbox: research")],
        ["x.yaml:4: mailbox: 'research' is not an email address (expected name@domain.tld)"]),
    "yaml_syntax_error": (
        [("  seed: 42", "  seed: [42")],
        ["x.yaml:11: (yaml): syntax error: while parsing a flow sequence (started on line 10): "
         "expected ',' or ']', but got ':'"]),
    "tab_indentation": (
        [("  seed: 42", "\tseed: 42")],
        ["x.yaml:10: (yaml): syntax error: while scanning for the next token: "
         "found character '\\t' that cannot start any token"]),
    "missing_required_key": (
        [("hypothesis: Companies answer email inquiries more often than web forms.\n", "")],
        ["x.yaml:1: hypothesis: required key 'hypothesis' is missing"]),
    "bad_choice": (
        [("arms: within", "arms: across")],
        ["x.yaml:9: design.arms: Input should be 'within' or 'between' (got 'across')"]),
    "bad_id": (
        [("id: minimal", "id: Minimal Study")],
        ["x.yaml:1: id: ids use lower-case letters, digits, '-' and '_' (start with a letter or digit, at most 63)"]),
    "business_hours_backwards": (
        [("design:", "business_hours: {start: '17:00', end: '09:00'}\ndesign:")],
        ["x.yaml:8: business_hours: business hours must end after they start"]),
    "unknown_persona_reference": (
        [("  - id: long\n", "  - id: long\n    persona: sam\n")],
        ["x.yaml:26: variants[1].persona: no persona has id 'sam' (personas: alex)"]),
    "block_by_unknown_stratum": (
        [("  spacing_hours: 24", "  spacing_hours: 24\n  block_by: size")],
        ["x.yaml:30: targets[0]: design.block_by is 'size' but this target has no strata.size",
         "x.yaml:38: targets[1]: design.block_by is 'size' but this target has no strata.size"]),
    "spacing_does_not_fit_schedule": (
        [("spacing_hours: 24", "spacing_hours: 200")],
        ["x.yaml:29: targets[0]: 4 contacts to 'acme' spaced 200 h apart do not fit in design.days (14)"]),
    "two_channels_same_name": (
        [("      - {type: email, address: hello@bolt.example}",
          "      - {type: email, address: hello@bolt.example}\n      - {type: email, address: sales@bolt.example}")],
        ["x.yaml:44: targets[1].channels[1]: two channels are both called 'email': give them distinct ids (id: email-2)"]),
    "opt_out_entry_malformed": (
        [("  max_contacts_per_company: 4", "  max_contacts_per_company: 4\n  opt_out: [bolt.example, 'not an address']")],
        ["x.yaml:8: ethics.opt_out[1]: 'not an address' is neither an email address nor a domain"]),
    "all_problems_at_once": (
        [("timezone: Europe/London", "timezone: Mars/Olympus"), ("hypothesis:", "hypothesys:"),
         ("      {{ persona.name }}", "      {{ persona.nickname }}")],
        ["x.yaml:3: hypothesys: unknown key 'hypothesys' (did you mean 'hypothesis'?)",
         f"x.yaml:24: variants[0].body: unknown placeholder 'persona.nickname' (every persona has: {PERSONA_FIELDS})",
         "x.yaml:32: targets[0].timezone: 'Mars/Olympus' is not an IANA timezone (like Europe/London)"]),
}


def edited(edits):
    text = BASE
    for old, new in edits:
        assert old in text, f"test case edit does not apply: {old!r}"
        text = text.replace(old, new, 1)
    return text


def test_minimal_file_is_valid():
    result = validate_text(BASE, "x.yaml")
    assert [] == result.problems
    assert result.ok and result.experiment.id == "minimal"


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_file_gives_exact_messages(name):
    edits, expected = CASES[name]
    result = validate_text(edited(edits), "x.yaml")
    assert expected == [str(p) for p in result.problems]
    assert result.experiment is None


def test_top_level_must_be_a_mapping():
    result = validate_text("- just\n- a list\n", "x.yaml")
    assert ["x.yaml:1: (top): an experiment file is a mapping of keys (id, title, hypothesis, ...)"] == [
        str(p) for p in result.problems]


def test_empty_file():
    assert ["x.yaml:1: (top): the file is empty"] == [str(p) for p in validate_text("", "x.yaml").problems]


def test_unreadable_file_says_so(tmp_path):
    missing = tmp_path / "nope.yaml"
    assert [f"{missing}:0: (file): cannot read: No such file or directory"] == [
        str(p) for p in validate_file(missing).problems]


def test_times_like_17_00_are_clock_times_not_base_60_numbers():
    text = edited([("design:", "business_hours: {start: 08:30, end: 17:00}\ndesign:")])
    experiment = validate_text(text, "x.yaml").experiment
    assert "08:30:00-17:00:00" == f"{experiment.business_hours.start}-{experiment.business_hours.end}"


def test_yes_and_no_are_words_not_booleans():
    text = BASE + "coding:\n  - id: tone\n    question: Polite?\n    levels: [no, yes]\n"
    experiment = validate_text(text, "x.yaml").experiment
    assert ["no", "yes"] == experiment.coding[0].levels
