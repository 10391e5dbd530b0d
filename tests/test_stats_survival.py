"""Time to first human response, checked against lifelines (an independent implementation)."""

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test
from lifelines.utils import median_survival_times, restricted_mean_survival_time

from analysis.config import ResultsConfig
from analysis.survival import group_survival, kaplan_meier, logrank, logrank_table
from analysis.synthetic import START, synthetic_table, table_from_records


def censored_sample(seed, n, rounding=None):
    rng = np.random.default_rng(seed)
    t = rng.exponential(20, n)
    if rounding is not None:
        t = np.round(t, rounding)  # creates tied times
    c = rng.exponential(40, n)
    return np.minimum(t, c), (t <= c).astype(int)


@pytest.mark.parametrize("seed,n,rounding", [(1, 25, 0), (2, 300, 1), (3, 3000, None)])
def test_kaplan_meier_matches_lifelines(seed, n, rounding):
    d, e = censored_sample(seed, n, rounding)
    km = kaplan_meier(d, e)
    ref = KaplanMeierFitter().fit(d, e)
    ref_ci = ref.confidence_interval_

    for t in (0.5, 5.0, 12.0, 30.0):
        assert ref.predict(t) == pytest.approx(km.survival_at(t), abs=1e-10)
        low, high = ref_ci.loc[:t].iloc[-1]
        assert (low, high) == pytest.approx(km.band_at(t), abs=1e-8)
    med, lo, hi = km.median()
    assert ref.median_survival_time_ == med
    assert tuple(median_survival_times(ref_ci).iloc[0]) == (lo, hi)


def test_restricted_mean_matches_lifelines_point_estimate():
    d, e = censored_sample(4, 500, 1)
    rm, _ = kaplan_meier(d, e).restricted_mean(30.0)

    assert restricted_mean_survival_time(KaplanMeierFitter().fit(d, e), t=30.0) == pytest.approx(rm, rel=1e-12)


def test_restricted_mean_se_without_censoring_is_the_sample_se_of_truncated_times():
    # With no censoring Greenwood-type variance reduces to the plug-in
    # variance of mean(min(T, tau)): sd(ddof=0) / sqrt(n).
    t = np.random.default_rng(5).exponential(20, 100)
    rm, se = kaplan_meier(t, np.ones_like(t)).restricted_mean(30.0)
    x = np.minimum(t, 30.0)

    assert (x.mean(), x.std(ddof=0) / np.sqrt(len(x))) == pytest.approx((rm, se), rel=1e-10)


def test_logrank_matches_lifelines_for_two_and_three_groups():
    d, e = censored_sample(6, 400, 0)
    g = np.random.default_rng(7).integers(0, 3, len(d))
    three = logrank(d, e, g)
    m0, m1 = g == 0, g == 1
    two = logrank(d[m0 | m1], e[m0 | m1], g[m0 | m1])

    ref3 = multivariate_logrank_test(d, g, e)
    ref2 = logrank_test(d[m0], d[m1], e[m0], e[m1])
    assert (ref3.test_statistic, ref3.p_value) == pytest.approx((three.statistic, three.p_value), rel=1e-9)
    assert (ref2.test_statistic, ref2.p_value) == pytest.approx((two.statistic, two.p_value), rel=1e-9)
    assert (2, 1) == (three.df, two.df)


def test_median_undefined_when_fewer_than_half_reply_and_shares_reported():
    hours = [2.0, 5.0, 30.0] + [None] * 7
    table = table_from_records([{"variant": "A", "hours": h} for h in hours])
    (g,), _ = group_survival(table, "variant")

    assert (None, None, None) == (g.median_hours, g.median_ci_low, g.median_ci_high)
    assert "median_undefined" in [n.code for n in g.notes]
    by_h = {h: est for h, est, _, _ in g.answered_by}
    assert pytest.approx({1.0: 0.0, 24.0: 0.2, 72.0: 0.3}) == by_h


def test_responses_at_time_zero_and_ties_match_lifelines():
    hours = [0.0, 0.0, 0.0, 2.0, 2.0, 5.0, None, None]
    table = table_from_records([{"variant": "A", "hours": h} for h in hours])
    (g,), fits = group_survival(table, "variant")
    ref = KaplanMeierFitter().fit([0, 0, 0, 2, 2, 5, 168, 168], [1, 1, 1, 1, 1, 1, 0, 0])

    assert ref.median_survival_time_ == g.median_hours == 2.0
    assert ref.predict(0.0) == pytest.approx(fits["A"].survival_at(0.0)) == 5 / 8  # 3 of 8 answered at once
    assert restricted_mean_survival_time(ref, t=168.0) == pytest.approx(g.rmst_hours)


def test_group_without_responses_has_flat_curve_and_rmst_equal_to_window():
    recs = [{"variant": "A", "hours": 3.0}] * 5 + [{"variant": "B"}] * 5
    gs, fits = group_survival(table_from_records(recs), "variant")
    b = {g.group: g for g in gs}["B"]

    assert 0 == b.events
    assert (168.0, 168.0) == (b.rmst_hours, b.rmst_tau_hours)
    assert {"no_responses", "median_undefined"} <= {n.code for n in b.notes}
    assert 1.0 == fits["B"].survival_at(100.0)


def test_open_contacts_are_censored_at_now_like_lifelines():
    now = START + pd.Timedelta(hours=150)
    table = synthetic_table(seed=8, n_companies=150, send_days=10, now=now)
    gs, fits = group_survival(table, "variant")
    a = table.loc[table.delivered & (table.variant == "A")]
    ref = KaplanMeierFitter().fit(a.followup_hours, a.responded_human)

    assert (a.window_end <= now).all()
    assert ref.predict(24.0) == pytest.approx(fits["A"].survival_at(24.0), abs=1e-12)
    # RMST horizon is the window common to every group: the longest anyone was observed
    tau = {g.group: g.rmst_tau_hours for g in gs}["A"]
    assert tau <= 150.0


def test_imported_replies_without_time_are_left_out_and_counted():
    recs = [{"variant": "A", "time_unknown": True}] * 2 + [{"variant": "A", "hours": 4.0}, {"variant": "A"}]
    (g,), _ = group_survival(table_from_records(recs), "variant")

    assert (2, 1, 2) == (g.n, g.events, g.n_time_unknown)
    assert "time_unknown_excluded" in [n.code for n in g.notes]


def test_logrank_degenerate_inputs_return_notes():
    assert "single_group" == logrank([1, 2], [1, 0], ["a", "a"]).notes[0].code
    assert "no_responses" == logrank([1, 2], [0, 0], ["a", "b"]).notes[0].code
    assert "too_many_groups" == logrank([1, 2, 3], [1, 1, 1], ["a", "b", "c"], max_groups=2).notes[0].code


def test_logrank_table_groups_by_column():
    table = synthetic_table(seed=9, n_companies=60)
    sv = table.loc[table.delivered]
    ref = multivariate_logrank_test(sv.followup_hours, sv.variant, sv.responded_human)

    assert ref.test_statistic == pytest.approx(logrank_table(table, "variant", ResultsConfig()).statistic, rel=1e-9)


def test_curves_frame_is_thinned_for_charts_and_follows_the_fit():
    from analysis.survival import curves_frame

    table = synthetic_table(seed=10, n_companies=400)
    _, fits = group_survival(table, "variant")
    frame = curves_frame(fits, max_points=100)
    a = frame.loc[frame.group == "A"]

    assert len(a) <= 100 and len(frame) < 5000  # Altair's default row limit
    for row in a.iloc[[10, 50, -2]].itertuples():
        assert 1 - fits["A"].survival_at(row.hours) == pytest.approx(row.answered)
        assert row.ci_low <= row.answered <= row.ci_high


def test_vectorised_logrank_equals_statsmodels_survdiff_with_ties_and_three_groups():
    import numpy as np
    from statsmodels.duration.survfunc import survdiff

    from analysis.survival import logrank_statistic

    rng = np.random.default_rng(11)
    for k in (2, 3, 5):
        n = 400
        groups = rng.integers(0, k, n)
        durations = np.round(rng.exponential(30 + 10 * groups), 0)  # rounding makes many ties
        events = (rng.random(n) < 0.7).astype(float)
        expected, _ = survdiff(durations, events, groups)
        assert abs(expected - logrank_statistic(durations, events, groups)) < 1e-8 * max(1.0, expected)
