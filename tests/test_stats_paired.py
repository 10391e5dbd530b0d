"""Paired designs: McNemar and conditional logit, against textbook values and independent code."""

from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from analysis.config import ResultsConfig
from analysis.paired import conditional_logit, mcnemar_from_pairs, paired_analysis
from analysis.synthetic import synthetic_table, table_from_records


def pairs_frame(both, only_a, only_b, neither):
    ra = [True] * both + [True] * only_a + [False] * only_b + [False] * neither
    rb = [True] * both + [False] * only_a + [True] * only_b + [False] * neither
    return pd.DataFrame({"resp_a": ra, "resp_b": rb})


def test_mcnemar_matches_agresti_presidential_approval():
    # Agresti (2013) Categorical Data Analysis, 3rd ed., s.11.1, Table 11.1:
    # 1,600 people rated the president twice: 794 approve/approve, 150 approve/disapprove,
    # 86 disapprove/approve, 570 disapprove/disapprove. z^2 = 17.36; difference 0.04,
    # 95% CI (0.021, 0.059).
    m = mcnemar_from_pairs(pairs_frame(794, 150, 86, 570), "first", "second")

    assert 17.36 == round(m.statistic, 2)
    assert stats.chi2.sf(17.356, 1) == pytest.approx(m.p_value, rel=1e-3)
    assert (0.04, 0.021, 0.059) == (round(m.rate_diff, 3), round(m.diff_ci_low, 3), round(m.diff_ci_high, 3))
    assert "chi2_uncorrected" == m.method


def test_mcnemar_exact_when_few_discordant_pairs_matches_binomial():
    m = mcnemar_from_pairs(pairs_frame(10, 9, 2, 30), "a", "b")

    assert "exact_binomial" == m.method
    assert stats.binomtest(2, 11, 0.5).pvalue == pytest.approx(m.p_value, rel=1e-12)
    assert 4.5 == m.odds_ratio


def test_mcnemar_without_discordant_pairs_has_no_p_value():
    m = mcnemar_from_pairs(pairs_frame(5, 0, 0, 5), "a", "b")

    assert (None, ["no_responses"]) == (m.p_value, [n.code for n in m.notes])


def matched_table(seed, n_companies, levels, probs):
    rng = np.random.default_rng(seed)
    recs = []
    for c in range(n_companies):
        u = rng.normal(0, 1.0)  # company effect, removed by conditioning
        for lv, p in zip(levels, probs):
            q = 1 / (1 + np.exp(-(np.log(p / (1 - p)) + u)))
            recs.append({"company": f"c{c}", "variant": lv, "hours": 5.0 if rng.uniform() < q else None})
    return table_from_records(recs)


def test_conditional_logit_for_pairs_is_the_discordant_ratio():
    # Breslow & Day (1980) Statistical Methods in Cancer Research I, s.5.3/7.2:
    # for 1:1 matched pairs the conditional MLE of the odds ratio is n10/n01
    # with SE(log OR) = sqrt(1/n10 + 1/n01).
    table = matched_table(1, 300, ["A", "B"], [0.4, 0.6])
    res = paired_analysis(table, "variant")
    (term,) = res.conditional_logit.terms
    m = res.mcnemar

    assert ("company",) == res.unit
    assert m.only_b / m.only_a == pytest.approx(term.odds_ratio, rel=1e-4)  # optimiser tolerance
    assert np.sqrt(1 / m.only_a + 1 / m.only_b) == pytest.approx(term.se, rel=1e-4)


def clogit_by_enumeration(table, levels):
    """Independent conditional likelihood: enumerate every responder subset per company."""
    groups = []
    for _, g in table.groupby("company"):
        x = np.array([[float(v == lv) for lv in levels[1:]] for v in g.variant])
        y = g.responded_human.to_numpy()
        k = int(y.sum())
        if 0 < k < len(y):
            subsets = [list(s) for s in combinations(range(len(y)), k)]
            groups.append((x, np.flatnonzero(y), subsets))

    def nll(beta):
        total = 0.0
        for x, obs, subsets in groups:
            eta = x @ beta
            total -= eta[obs].sum() - np.log(sum(np.exp(eta[s].sum()) for s in subsets))
        return total

    return optimize.minimize(nll, np.zeros(len(levels) - 1), method="BFGS").x


def test_conditional_logit_three_variants_matches_enumerated_likelihood():
    table = matched_table(2, 150, ["A", "B", "C"], [0.3, 0.5, 0.6])
    cl = conditional_logit(table, "variant", "company", ResultsConfig())
    ref = clogit_by_enumeration(table, ["A", "B", "C"])

    assert ["B", "C"] == [t.term for t in cl.terms]
    assert ref == pytest.approx([t.coef for t in cl.terms], abs=1e-4)


def test_pairs_are_found_per_company_and_channel_when_companies_get_several_channels():
    table = synthetic_table(seed=3, n_companies=40, channels=("web_form", "email"))
    res = paired_analysis(table, "variant")

    assert ("company", "channel") == res.unit
    assert 80 == res.mcnemar.n_pairs


def test_no_within_company_variation_gives_notes():
    recs = [{"company": "x", "variant": "A", "hours": 1.0}, {"company": "y", "variant": "B"}]
    res = paired_analysis(table_from_records(recs), "variant")

    assert "no_pairs" in [n.code for n in res.mcnemar.notes]
    assert "no_pairs" in [n.code for n in res.conditional_logit.notes]


def test_large_strata_are_refused_with_a_note():
    table = synthetic_table(seed=4, n_companies=5, contacts_per_cell=20)
    cl = conditional_logit(table, "variant", "company", ResultsConfig(max_clogit_stratum=30))

    assert ((), "too_many_groups") == (cl.terms, cl.notes[0].code)
