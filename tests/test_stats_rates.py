"""Response rates per group, checked against published Wilson intervals."""

import math

import pandas as pd
import pytest
from scipy import stats

from analysis.config import ResultsConfig
from analysis.rates import group_rates
from analysis.synthetic import table_from_counts, table_from_records


def by_group(table, by="variant", **cfg):
    return {g.group: g for g in group_rates(table, by, ResultsConfig(**cfg))}


# Newcombe RG (1998) "Two-sided confidence intervals for the single proportion:
# comparison of seven methods", Stat Med 17:857-872, Table I, method 3 (Wilson score).
NEWCOMBE_1998_TABLE_I = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
    (29, 29, 0.8830, 1.0000),
]


@pytest.mark.parametrize("k,n,low,high", NEWCOMBE_1998_TABLE_I)
def test_wilson_interval_matches_newcombe_1998_table_i(k, n, low, high):
    g = by_group(table_from_counts({"A": (n, k)}))["A"]

    assert (k, n) == (g.responded, g.n)
    assert low == pytest.approx(g.ci_low, abs=5e-5)
    assert high == pytest.approx(g.ci_high, abs=5e-5)


def test_no_responses_and_all_responses_carry_notes_not_errors():
    g = by_group(table_from_counts({"none": (20, 0), "all": (29, 29)}))

    assert 0.0 == g["none"].rate
    assert ["no_responses"] == [n.code for n in g["none"].notes]
    assert 1.0 == g["all"].rate
    assert ["all_responded"] == [n.code for n in g["all"].notes]


def test_undelivered_contacts_are_excluded_and_counted_per_reason():
    recs = [{"variant": "A", "hours": 2.0}, {"variant": "A"}]
    recs += [{"variant": "A", "delivered": False, "exclusion": "blocked"}] * 3
    recs += [{"variant": "A", "delivered": False, "exclusion": "bounced", "bounce_hours": 0.1}]
    g = by_group(table_from_records(recs))["A"]

    assert (2, 1, 0.5) == (g.n, g.responded, g.rate)
    assert {"blocked": 3, "bounced": 1} == g.excluded


def test_group_with_only_undelivered_contacts_has_no_rate():
    recs = [{"variant": "A", "hours": 2.0}, {"variant": "B", "delivered": False, "exclusion": "failed"}]
    g = by_group(table_from_records(recs))["B"]

    assert (0, None, None) == (g.n, g.rate, g.ci_low)
    assert ["no_delivered"] == [n.code for n in g.notes]


def test_auto_reply_only_counts_for_any_response_not_for_human():
    recs = [{"variant": "A", "auto_hours": 0.01}, {"variant": "A", "hours": 3.0}, {"variant": "A"}]
    g = by_group(table_from_records(recs))["A"]

    assert (1, 2) == (g.responded, g.responded_any)
    assert pytest.approx(2 / 3) == g.rate_any


def test_lead_response_buckets_and_shares_by_hand():
    hours = [0.0, 0.5, 1.0, 1.5, 23.0, 24.0, 30.0, 71.0, None, None]
    g = by_group(table_from_records([{"variant": "A", "hours": h} for h in hours]))["A"]

    # time zero and exactly one hour are "within 1 h"; exactly 24 h is "1-24 h"
    assert {"within_1h": 3, "1_to_24h": 3, "over_24h": 2, "none": 2, "time_unknown": 0} == g.buckets
    shares = {s.hours: (s.answered, s.eligible) for s in g.shares}
    assert {1.0: (3, 10), 24.0: (6, 10), 72.0: (8, 10)} == shares


def test_contacts_inside_their_window_do_not_count_against_later_shares():
    recs = [{"variant": "A", "hours": 2.0}, {"variant": "A", "window": 5.0}, {"variant": "A", "hours": 30.0}]
    g = by_group(table_from_records(recs))["A"]
    shares = {s.hours: (s.answered, s.eligible) for s in g.shares}

    assert (0, 3) == shares[1.0]
    assert (1, 2) == shares[24.0]  # the contact seen for 5 h cannot tell about 24 h
    assert 1 == g.n_open
    assert "open_contacts" in [n.code for n in g.notes]


def test_imported_replies_without_time_count_in_rates_only():
    recs = [{"variant": "A", "time_unknown": True}, {"variant": "A", "hours": 2.0}, {"variant": "A"}]
    g = by_group(table_from_records(recs))["A"]

    assert (2, 3) == (g.responded, g.n)
    assert 1 == g.n_time_unknown == g.buckets["time_unknown"]
    assert {1.0: 2, 24.0: 2, 72.0: 2} == {s.hours: s.eligible for s in g.shares}


def test_share_ci_is_wilson_and_alpha_is_honoured():
    g = by_group(table_from_counts({"A": (263, 81)}), alpha=0.01)["A"]
    # Wilson (1927) closed form, written out independently
    z = stats.norm.ppf(0.995)
    p, n = 81 / 263, 263
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)

    assert centre - half == pytest.approx(g.ci_low, abs=1e-12)
    assert centre + half == pytest.approx(g.ci_high, abs=1e-12)


def test_missing_column_is_a_programming_error():
    table = table_from_counts({"A": (5, 1)}).drop(columns=["followup_hours"])

    with pytest.raises(ValueError, match="missing columns"):
        group_rates(table, "variant")
