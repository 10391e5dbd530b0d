"""Pairwise and k-group comparisons of response rates, against published values and scipy."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.compare import adjust, chi_square_across, compare_pair, pairwise, two_proportion_test
from analysis.config import ResultsConfig

# Newcombe RG (1998) "Interval estimation for the difference between independent
# proportions: comparison of eleven methods", Stat Med 17:873-890, Table II,
# method 10 (score interval, no continuity correction), examples (a)-(h).
NEWCOMBE_1998_TABLE_II = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (0, 10, 0, 10, -0.2775, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
    (10, 10, 0, 10, 0.6075, 1.0000),
]


@pytest.mark.parametrize("ka,na,kb,nb,low,high", NEWCOMBE_1998_TABLE_II)
def test_difference_interval_matches_newcombe_1998_table_ii(ka, na, kb, nb, low, high):
    c = compare_pair("a", ka, na, "b", kb, nb)

    assert (low, high) == pytest.approx((c.diff_ci_low, c.diff_ci_high), abs=5e-5)
    assert "newcombe_hybrid_score" == c.diff_method


def test_bertrand_mullainathan_2004_callbacks_use_uncorrected_chi_square():
    # Bertrand & Mullainathan (2004) AER 94(4), Table 1: 9.65% of 2,435
    # "white" resumes vs 6.45% of 2,435 "African-American" ones got callbacks.
    white, black, n = 235, 157, 2435
    c = compare_pair("white", white, n, "black", black, n)
    chi2, p, _, _ = stats.chi2_contingency([[white, n - white], [black, n - black]], correction=False)

    assert "pearson_chi2" == c.test
    assert (chi2, p) == pytest.approx((c.statistic, c.p_value), rel=1e-12)
    assert 0.0965 == pytest.approx(white / n, abs=5e-5)
    assert 1.50 == round(c.rate_ratio, 2)  # "ratio 1.50" in the paper
    assert 0.0320 == pytest.approx(c.rate_diff, abs=5e-5)  # 3.20 percentage points


def test_agresti_aspirin_relative_risk_and_difference():
    # Agresti (2007) An Introduction to Categorical Data Analysis, 2nd ed., s.2.2:
    # Physicians' Health Study, MI 189/11034 placebo vs 104/11037 aspirin.
    # Difference 0.0077, 95% CI (0.005, 0.011); relative risk 1.82, CI (1.43, 2.30).
    c = compare_pair("placebo", 189, 11034, "aspirin", 104, 11037)

    assert 0.0077 == round(c.rate_diff, 4)
    assert (0.005, 0.011) == (round(c.diff_ci_low, 3), round(c.diff_ci_high, 3))
    assert 1.82 == round(c.rate_ratio, 2)
    assert (1.43, 2.30) == pytest.approx((c.ratio_ci_low, c.ratio_ci_high), abs=0.01)
    assert "katz_log" == c.ratio_method


def test_fisher_exact_when_an_expected_cell_is_below_five():
    c = compare_pair("a", 1, 12, "b", 7, 12)
    _, p = stats.fisher_exact([[1, 11], [7, 5]])

    assert ("fisher_exact", None) == (c.test, c.statistic)
    assert p == pytest.approx(c.p_value, rel=1e-12)


def test_degenerate_pairs_give_notes_not_p_values():
    cfg = ResultsConfig(min_group_n=10)
    assert ["group_too_small"] == [n.code for n in two_proportion_test(1, 5, 3, 50, cfg).notes]
    assert ["zero_margin"] == [n.code for n in two_proportion_test(0, 20, 0, 30, cfg).notes]
    c = compare_pair("a", 5, 20, "b", 0, 20)
    assert c.rate_ratio is None and "ratio_undefined" in [n.code for n in c.notes]
    assert 0.25 == c.rate_diff  # the difference still has a Newcombe interval
    z = compare_pair("a", 0, 20, "b", 5, 20)
    assert (0.0, 0.0) == (z.rate_ratio, z.ratio_ci_low)
    assert "miettinen_nurminen_score" == z.ratio_method


def holm_by_hand(p):
    # Holm (1979): sort ascending, multiply the i-th smallest by (m - i), running max, cap at 1.
    order = np.argsort(p)
    m = len(p)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj


def bh_by_hand(p):
    # Benjamini & Hochberg (1995): p_(i) * m / i, running min from the top, cap at 1.
    order = np.argsort(p)[::-1]
    m = len(p)
    adj = np.empty(m)
    running = 1.0
    for k, i in enumerate(order):
        rank = m - k
        running = min(running, p[i] * m / rank)
        adj[i] = running
    return adj


def test_adjustment_is_holm_or_bh_and_skips_missing():
    p = [0.01, 0.04, None, 0.03, 0.005]
    got = adjust(p, "holm")
    vals = np.array([0.01, 0.04, 0.03, 0.005])

    assert got[2] is None
    assert holm_by_hand(vals) == pytest.approx([g for g in got if g is not None])
    assert bh_by_hand(vals) == pytest.approx([g for g in adjust(p, "fdr_bh") if g is not None])


def test_pairwise_reports_raw_and_adjusted_p_values_for_every_pair():
    counts = pd.DataFrame({"group": ["A", "B", "C"], "n": [200, 200, 200], "responded": [80, 60, 40]})
    comps, notes = pairwise(counts, ResultsConfig())
    raw = np.array([c.p_value for c in comps])

    assert [] == notes
    assert [("A", "B"), ("A", "C"), ("B", "C")] == [(c.a, c.b) for c in comps]
    assert holm_by_hand(raw) == pytest.approx([c.p_adjusted for c in comps])


def test_pairwise_with_too_many_groups_or_one_group_is_a_note():
    many = pd.DataFrame({"group": list("ABCDE"), "n": [20] * 5, "responded": [5] * 5})
    assert "too_many_groups" == pairwise(many, ResultsConfig(max_pairwise_groups=4))[1][0].code
    assert "single_group" == pairwise(many.head(1))[1][0].code


def test_chi_square_across_groups_matches_scipy():
    counts = pd.DataFrame({"group": list("ABC"), "n": [120, 130, 110], "responded": [40, 30, 55]})
    t = chi_square_across(counts)
    table = np.column_stack([counts.responded, counts.n - counts.responded])
    chi2, p, df, _ = stats.chi2_contingency(table, correction=False)

    assert (chi2, p, df) == pytest.approx((t.statistic, t.p_value, t.df), rel=1e-12)


def test_chi_square_across_two_groups_is_uncorrected():
    counts = pd.DataFrame({"group": ["w", "b"], "n": [2435, 2435], "responded": [235, 157]})
    chi2, _, _, _ = stats.chi2_contingency([[235, 2200], [157, 2278]], correction=False)

    assert chi2 == pytest.approx(chi_square_across(counts).statistic, rel=1e-12)


def test_chi_square_across_degenerate():
    none = pd.DataFrame({"group": ["A", "B"], "n": [10, 10], "responded": [0, 0]})
    assert "zero_margin" == chi_square_across(none).notes[0].code
    small = pd.DataFrame({"group": ["A", "B"], "n": [10, 10], "responded": [1, 3]})
    assert "small_expected_counts" == chi_square_across(small).notes[0].code


def test_a_ratio_bound_that_comes_back_complex_is_undefined_not_invented():
    import warnings

    import numpy as np

    from analysis.compare import rate_ratio

    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        ratio, low, high, method = rate_ratio(2, 2, 1, 2)
    assert 2.0 == ratio and "miettinen_nurminen_score" == method
    assert high is None or (isinstance(high, float) and high >= ratio)


def test_a_ratio_interval_never_excludes_its_own_estimate():
    from analysis.compare import rate_ratio

    for counts in [(1, 2, 2, 2), (2, 2, 1, 2), (1, 3, 3, 3), (3, 3, 1, 4), (5, 5, 3, 6)]:
        ratio, low, high, _ = rate_ratio(*counts)
        assert low is None or low <= ratio, counts
        assert high is None or high >= ratio, counts
