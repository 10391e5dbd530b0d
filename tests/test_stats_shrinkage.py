"""Company report cards: beta-binomial empirical Bayes and BH-flagged companies."""

from math import lgamma

import numpy as np
import pytest
from scipy import optimize, stats

from analysis.config import ResultsConfig
from analysis.shrinkage import fit_beta_binomial, report_cards
from analysis.synthetic import table_from_counts


def reference_loglik(a, b, k, n):
    # beta-binomial pmf written from its definition: C(n,k) B(k+a, n-k+b) / B(a, b)
    total = 0.0
    for ki, ni in zip(k, n):
        total += (lgamma(ni + 1) - lgamma(ki + 1) - lgamma(ni - ki + 1)
                  + lgamma(ki + a) + lgamma(ni - ki + b) - lgamma(ni + a + b)
                  - lgamma(a) - lgamma(b) + lgamma(a + b))
    return total


def test_marginal_ml_matches_an_independent_likelihood_fit():
    rng = np.random.default_rng(1)
    n = rng.integers(10, 60, 120)
    k = rng.binomial(n, rng.beta(4, 6, 120))
    a, b, boundary = fit_beta_binomial(k, n)
    ref = optimize.minimize(lambda t: -reference_loglik(np.exp(t[0]), np.exp(t[1]), k, n),
                            [0.0, 0.0], method="L-BFGS-B")

    assert not boundary
    assert np.exp(ref.x) == pytest.approx([a, b], rel=2e-3)
    # and agrees with scipy's beta-binomial
    assert reference_loglik(a, b, k, n) == pytest.approx(stats.betabinom.logpmf(k, n, a, b).sum(), rel=1e-10)


def test_recovers_a_known_prior_from_many_companies():
    rng = np.random.default_rng(2)
    n = np.full(800, 60)
    k = rng.binomial(n, rng.beta(8, 12, 800))
    a, b, _ = fit_beta_binomial(k, n)

    assert 0.4 == pytest.approx(a / (a + b), abs=0.01)
    assert 20 == pytest.approx(a + b, rel=0.3)


def test_shrunk_rate_is_the_posterior_mean_and_small_companies_move_most():
    counts = {f"c{i}": (40, 10 + i) for i in range(10)}
    counts["tiny"] = (2, 2)
    cards = report_cards(table_from_counts(counts, by="company"))
    f = cards.frame.set_index("company")
    a, b = cards.a, cards.b

    assert (2 + a) / (2 + a + b) == pytest.approx(f.at["tiny", "shrunk_rate"])
    assert stats.beta.ppf(0.025, a + 2, b) == pytest.approx(f.at["tiny", "shrunk_ci_low"])
    assert abs(f.at["tiny", "shrunk_rate"] - 1.0) > abs(f.at["c9", "shrunk_rate"] - f.at["c9", "rate"])


def test_no_extra_variation_shrinks_everyone_to_the_overall_rate():
    cards = report_cards(table_from_counts({f"c{i}": (50, 15) for i in range(20)}, by="company"))

    assert "no_variation" == cards.notes[0].code
    assert cards.frame["shrunk_rate"].to_numpy() == pytest.approx(0.3, abs=1e-4)


def test_only_companies_passing_bh_fdr_are_flagged():
    counts = {f"c{i:02d}": (100, 28 + i % 5) for i in range(30)}
    counts["star"] = (100, 80)
    counts["silent"] = (100, 5)
    f = report_cards(table_from_counts(counts, by="company"), ResultsConfig(alpha=0.05)).frame.set_index("company")
    # Benjamini-Hochberg by hand on the raw p-values
    p = f["p_value"].to_numpy()
    order = np.argsort(p)
    m = len(p)
    passed = np.zeros(m, bool)
    below = np.flatnonzero(p[order] <= 0.05 * np.arange(1, m + 1) / m)
    if len(below):
        passed[order[: below.max() + 1]] = True

    assert ("higher", "lower") == (f.at["star", "flag"], f.at["silent", "flag"])
    assert set(f.index[passed]) == set(f.index[f["flag"] != ""])
