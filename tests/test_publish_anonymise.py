"""What leaves the database when a site is published: pseudonyms, the anonymised table, the design file."""

from __future__ import annotations

import pandas as pd

from analysis.publish.anonymise import (PUBLISHED_COLUMNS, Scrubber, anonymise, company_pseudonyms, csv_safe,
                                        letters, persona_pseudonyms, to_csv)
from analysis.publish.redact import redact_design
from analysis.publish.replicate_script import read_table
from analysis.synthetic import synthetic_table

KEY = b"k" * 32


def test_letters_have_a_fixed_width_so_labels_sort_in_order():
    assert ["A", "Z", "AA", "AZ", "BA"] == [letters(0, 1), letters(25, 1), letters(0, 2), letters(25, 2),
                                            letters(26, 2)]
    labels = list(company_pseudonyms([f"t{i}" for i in range(30)], KEY, "e").values())
    assert sorted(labels) == sorted(labels, key=lambda s: (len(s), s)) and "Company AA" in labels


def test_pseudonyms_are_stable_and_keyed_not_alphabetical():
    ids = ["acme", "bolt", "cargo", "delta", "echo", "fox"]
    first = company_pseudonyms(ids, KEY, "study")
    assert first == company_pseudonyms(list(reversed(ids)), KEY, "study")
    assert {f"Company {c}" for c in "ABCDEF"} == set(first.values())
    others = [company_pseudonyms(ids, bytes([i]) * 32, "study") for i in range(8)]
    assert any(o != first for o in others), "the order must depend on the key"
    assert any(o["acme"] != "Company A" for o in [first, *others]), "not the alphabetical order"


def test_personas_get_pseudonyms_and_imported_studies_keep_an_empty_persona():
    assert {"", "persona-1", "persona-2"} == set(persona_pseudonyms(["morgan", "riley", ""], KEY, "e").values())


def test_the_published_table_has_only_the_listed_columns_and_no_clock_times():
    table = synthetic_table(seed=1, n_companies=4).assign(target_id=lambda t: t["company"])
    anon = anonymise(table, KEY, "synthetic", show_names=False)
    assert list(PUBLISHED_COLUMNS) + ["stratum_industry"] == list(anon.table.columns)
    assert set(anon.table["company"]) == {"Company A", "Company B", "Company C", "Company D"}
    assert anon.table["sent_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_strata_that_would_name_a_pseudonymised_company_are_withheld():
    table = synthetic_table(seed=1, n_companies=4).assign(target_id=lambda t: t["company"])
    table["stratum_site"] = table["company"].map(lambda c: f"https://{c}.example/contact")
    table["stratum_contact"] = "boss@" + table["company"] + ".example"
    table["stratum_ceo"] = table["company"].map(lambda c: f"CEO of {c}")
    hidden = anonymise(table, KEY, "synthetic", show_names=False)
    assert {"site", "contact", "ceo"} == set(hidden.withheld_strata)
    shown = anonymise(table, KEY, "synthetic", show_names=True)
    assert {"contact"} == set(shown.withheld_strata), "an email address is never published"


def test_csv_defuses_formulas_and_reads_back_to_the_same_table():
    table = synthetic_table(seed=2, n_companies=3).assign(target_id=lambda t: t["company"])
    table["company"] = table["company"].map({"company_0000": "=HYPERLINK(\"x\")", "company_0001": "NA",
                                             "company_0002": "<b>&</b>"})
    anon = anonymise(table, KEY, "synthetic", show_names=True)
    text = to_csv(anon.table)
    assert "'=HYPERLINK" in text and csv_safe("-1") == "'-1" and csv_safe("a-1") == "a-1"
    path = __import__("pathlib").Path(__import__("tempfile").mkdtemp()) / "t.csv"
    path.write_text(text)
    back = read_table(path)
    assert sorted(table["company"].unique()) == sorted(back["company"].unique())
    pd.testing.assert_series_equal(table["hours_to_human"].reset_index(drop=True), back["hours_to_human"],
                                   check_names=False)
    assert (back["window_end"] - back["sent_at"]).notna().sum() == table["sent_at"].notna().sum()


def test_scrubber_replaces_identities_in_free_text():
    scrub = Scrubber()
    scrub.add("Morgan Ellis", "[redacted]")
    scrub.add("Acme Outdoor", "Company B")
    text = scrub("Write to morgan.ellis@lab.example; Morgan Ellis asks ACME OUTDOOR about prices.")
    assert "Write to [redacted email address]; [redacted] asks Company B about prices." == text


def test_design_redaction_keeps_the_design_and_drops_identities():
    data = {
        "id": "s", "title": "Acme Outdoor study", "hypothesis": "H1", "mailbox": "research@lab.example",
        "ethics": {"approval": "IRB-1", "max_contacts_per_company": 2, "opt_out": ["do-not@contact.example"]},
        "personas": [{"id": "morgan", "first_name": "Morgan", "last_name": "Ellis", "phone": "+44 20 7946 0321"}],
        "variants": [{"id": "a", "subject": "Hi", "body": "Regards, Morgan Ellis", "persona": "morgan"}],
        "targets": [{"id": "acme", "name": "Acme Outdoor", "domain": "acme.example", "timezone": "UTC",
                     "channels": [{"type": "web_form", "url": "https://acme.example/contact",
                                   "recipe": {"fields": {"name": {"label": "Name"}}}},
                                  {"type": "email", "address": "help@acme.example"}]}],
        "secret_future_key": "never published",
    }
    out = redact_design(data, {"acme": "Company A"}, {"morgan": "persona-1"}, pseudonymised=True)
    text = repr(out)
    for leaked in ("Morgan", "Ellis", "7946", "research@", "do-not", "acme", "Acme", "recipe", "secret_future_key"):
        assert leaked not in text, leaked
    assert {"id": "company-a", "name": "Company A", "channels": [{"type": "web_form"}, {"type": "email"}]} == \
        out["targets"][0]
    assert "Regards, [redacted]" == out["variants"][0]["body"] and "persona-1" == out["variants"][0]["persona"]
    assert "Company A study" == out["title"]
