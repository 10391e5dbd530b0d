"""Competing outcomes (human / auto-only / bounce), against lifelines' AalenJohansenFitter."""

import numpy as np
import pytest
from lifelines import AalenJohansenFitter

from analysis.competing import competing_section, cumulative_incidence, outcome_frame
from analysis.synthetic import synthetic_table, table_from_records


def test_outcome_classes_never_count_an_auto_reply_as_answered():
    recs = [
        {"hours": 5.0, "auto_hours": 0.01},  # auto then human: human
        {"auto_hours": 0.01},  # auto only
        {"delivered": False, "exclusion": "bounced", "bounce_hours": 0.2},
        {},  # nothing: censored at the window
        {"delivered": False, "exclusion": "blocked"},  # never sent: left out
    ]
    frame, unknown = outcome_frame(table_from_records(recs))

    assert [1, 2, 3, 0] == list(frame["status"])
    assert [5.0, 0.01, 0.2, 168.0] == pytest.approx(list(frame["duration"]))
    assert 0 == unknown


@pytest.mark.parametrize("cause", [1, 2, 3])
def test_cumulative_incidence_matches_lifelines_aalen_johansen(cause):
    table = synthetic_table(seed=11, n_companies=150, bounce_rate=0.06, auto_reply_rate=0.5)
    frame, _ = outcome_frame(table)
    a = frame.loc[table.loc[frame.index, "variant"] == "A"]
    inc = {x.group: x for x in cumulative_incidence(table, "variant")}["A"]
    ref = AalenJohansenFitter(calculate_variance=True).fit(a.duration, a.status, event_of_interest=cause)
    name = ["human", "auto_only", "bounce"][cause - 1]

    for row in inc.at:
        h = row["hours"]
        est = ref.cumulative_density_.loc[:h].iloc[-1, 0]
        band = sorted(ref.confidence_interval_.loc[:h].iloc[-1])
        assert est == pytest.approx(row[name], abs=1e-10)
        if 0 < est < 1:
            assert band == pytest.approx([row[f"{name}_ci_low"], row[f"{name}_ci_high"]], abs=1e-8)


def test_counts_partition_the_sent_contacts_and_auto_then_human_is_reported():
    table = synthetic_table(seed=12, n_companies=60, bounce_rate=0.05, auto_reply_rate=0.5)
    sec = competing_section(table, "variant")

    for g in sec["groups"]:
        assert g["n"] == sum(g["counts"].values())
        assert g["auto_then_human"] > 0
    assert 2 == len(sec["sentences"])


def test_group_with_no_outcomes_at_all():
    inc = cumulative_incidence(table_from_records([{"variant": "A"}, {"variant": "A"}]), "variant")

    assert [0.0, 0.0, 0.0] == [inc[0].at[-1][c] for c in ("human", "auto_only", "bounce")]


def test_replies_without_time_are_left_out_and_noted():
    recs = [{"variant": "A", "time_unknown": True}, {"variant": "A", "hours": 2.0}]
    (x,) = cumulative_incidence(table_from_records(recs), "variant")

    assert (1, ["time_unknown_excluded"]) == (x.n, [n.code for n in x.notes])
    assert np.isclose(1.0, x.at[-1]["human"])
