"""The analysis table: censoring, exclusions, untimed imported responses, strata."""

import datetime as dt
import math

import pytest

from analysis.table import BOUNCED, NOT_SENT, analysis_table
from experiments.outcomes_import import parse_outcomes
from runners.jobs import AttemptResult
from tests.factories import make_experiment

UTC = dt.timezone.utc
CSV = """company,channel,variant,sent_at,responded,responded_at,industry
Acme,email,a,2024-01-08T10:00:00Z,1,2024-01-08T12:30:00Z,retail
Acme,web_form,b,2024-01-08T10:00:00Z,0,,retail
Bolt,email,b,2024-01-08T10:00:00Z,1,2024-02-08T10:00:00Z,software
Bolt,web_form,a,2024-01-08T10:00:00Z,1,,software
"""


@pytest.fixture
def imported(store):
    store.import_outcomes("imp", parse_outcomes(CSV), "x.csv", window_days=14)
    return analysis_table(store, "imp", now=dt.datetime(2025, 1, 1, tzinfo=UTC)).set_index("contact_id")


def test_a_reply_inside_the_window_is_a_response_with_its_time(imported):
    row = imported.loc[1]
    assert (True, 2.5, 2.5) == (row.responded_human, row.hours_to_human, row.followup_hours)


def test_a_non_response_is_censored_at_the_end_of_the_window(imported):
    row = imported.loc[2]
    assert (False, 336.0) == (row.responded_human, row.followup_hours)
    assert math.isnan(row.hours_to_human)


def test_a_reply_after_the_window_counts_as_none(imported):
    row = imported.loc[3]
    assert (False, 336.0) == (row.responded_human, row.followup_hours)


def test_an_imported_response_without_a_time_counts_for_rates_not_for_times(imported):
    row = imported.loc[4]
    assert row.responded_human and math.isnan(row.hours_to_human)


def test_strata_become_columns(imported):
    assert ["retail", "retail", "software", "software"] == list(imported["stratum_industry"])


def test_a_running_experiment_is_censored_at_now(store):
    store.import_outcomes("imp", parse_outcomes(CSV), "x.csv", window_days=14)
    table = analysis_table(store, "imp", now=dt.datetime(2024, 1, 10, 10, tzinfo=UTC)).set_index("contact_id")
    assert 48.0 == table.loc[2].followup_hours
    assert not table.loc[3].responded_human


def test_undelivered_contacts_are_kept_with_their_reason(store, clock):
    store.load(make_experiment(n_targets=2))
    ids = [c["id"] for c in store.contacts("built")]
    store.set_status("built", "armed")
    outcomes = {ids[0]: "submitted_confirmed", ids[1]: "blocked_captcha", ids[2]: "submitted_confirmed"}
    for cid, outcome in outcomes.items():
        store.claim(cid, "w")
        sent = outcome == "submitted_confirmed"  # a CAPTCHA is seen before the gate
        if sent:
            store.mark_submitting(cid, "w")
        store.record_attempt(cid, "w", AttemptResult(outcome, submit_reached=sent), clock.now())
    store.db["messages"].insert({"source": "maildir", "contact_id": ids[2], "received_at": "2026-03-01T13:00:00+00:00",
                                 "classification": "bounce", "created_at": "2026-03-01T13:00:00+00:00"})
    store.db["messages"].insert({"source": "maildir", "contact_id": ids[0], "received_at": "2026-03-01T14:00:00+00:00",
                                 "classification": "human", "match_rule": "probable",
                                 "created_at": "2026-03-01T14:00:00+00:00"})
    table = analysis_table(store, "built", now=dt.datetime(2026, 3, 30, tzinfo=UTC)).set_index("contact_id")
    assert (True, None) == (table.loc[ids[0]].delivered, table.loc[ids[0]].exclusion)
    assert not table.loc[ids[0]].responded_human, "a probable match waits for a person"
    assert "blocked (CAPTCHA, login wall or no form)" == table.loc[ids[1]].exclusion
    assert (False, BOUNCED) == (table.loc[ids[2]].delivered, table.loc[ids[2]].exclusion)
    assert NOT_SENT == table.loc[ids[3]].exclusion
    assert 8 == len(table)
