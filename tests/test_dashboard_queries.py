"""Codings of replies (experiments.dashboard_queries) and agreement between coders (dashboard.inbox_view)."""

import pandas as pd
import pytest

from dashboard import inbox_view
from experiments import dashboard_queries as q
from experiments.validation import validate_file
from tests.sandbox_study import EXAMPLES


@pytest.fixture
def contact(store):
    experiment = validate_file(EXAMPLES / "inquiry.yaml").experiment
    store.load(experiment)
    return store.contacts(experiment.id)[0]["id"]


def test_a_coder_codes_a_reply_and_coding_again_replaces_the_level(store, contact):
    q.save_coding(store, contact, "ana", "helpfulness", "partly")
    q.save_coding(store, contact, "ana", "helpfulness", "fully")
    q.save_coding(store, contact, "ben", "helpfulness", "fully")
    rows = [(r["coder"], r["level"]) for r in q.codings(store, "inquiry-demo")]
    assert [("ana", "fully"), ("ben", "fully")] == rows
    assert ["coding.saved"] * 3 == [e["kind"] for e in store.events("inquiry-demo") if e["kind"].startswith("coding")]


@pytest.mark.parametrize("coder,dimension,level,message", [
    ("ana", "politeness", "yes", "no coding dimension 'politeness'"),
    ("ana", "helpfulness", "maybe", "'maybe' is not a level of helpfulness"),
    ("  ", "helpfulness", "no", "a coder name is required")])
def test_codings_outside_the_scheme_are_refused_with_a_reason(store, contact, coder, dimension, level, message):
    with pytest.raises(q.CodingRefused, match=message):
        q.save_coding(store, contact, coder, dimension, level)
    assert [] == q.codings(store, "inquiry-demo")


def test_a_coding_can_be_withdrawn(store, contact):
    q.save_coding(store, contact, "ana", "helpfulness", "no")
    assert q.delete_coding(store, contact, "ana", "helpfulness")
    assert not q.delete_coding(store, contact, "ana", "helpfulness")


def test_kappa_compares_the_two_coders_with_most_codes():
    codes = pd.DataFrame({
        "contact_id": [1, 2, 3, 4, 1, 2, 3, 4, 1],
        "coder": ["ana"] * 4 + ["ben"] * 4 + ["cy"],
        "dimension": "helpfulness",
        "level": ["no", "partly", "fully", "fully", "no", "partly", "fully", "partly", "no"]})
    table, notes = inbox_view.agreement(codes)
    row = table.iloc[0]
    assert ("ana & ben", 4, "75.0%") == (row["Coders"], row["Coded by both"], row["Agreement"])
    assert any("also coded by cy" in n for n in notes)


def test_one_coder_alone_gives_no_kappa_but_says_why():
    codes = pd.DataFrame({"contact_id": [1], "coder": ["ana"], "dimension": ["helpfulness"], "level": ["no"]})
    table, notes = inbox_view.agreement(codes)
    assert table.empty and "kappa needs a second coder" in notes[0]
