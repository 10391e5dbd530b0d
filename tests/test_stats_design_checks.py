"""Sample-ratio mismatch, differential delivery and balance checks."""

import pytest
from scipy import stats

from analysis.config import ResultsConfig
from analysis.design_checks import balance, design_section, differential_delivery, sample_ratio_test
from analysis.synthetic import synthetic_table, table_from_records


def test_srm_matches_fabijan_2019_example():
    # Fabijan et al. (2019) KDD, "Diagnosing Sample Ratio Mismatch": 821,588 vs 815,482
    # users in a 50/50 experiment give p = 1.8e-6, an SRM.
    t = sample_ratio_test({"control": 821588, "treatment": 815482})

    assert 1.8e-6 == pytest.approx(t.p_value, abs=5e-8)
    assert ["sample_ratio_mismatch"] == [n.code for n in t.notes]


def test_srm_with_planned_unequal_allocation_matches_scipy():
    t = sample_ratio_test({"A": 700, "B": 300}, {"A": 2, "B": 1})
    ref = stats.chisquare([700, 300], [1000 * 2 / 3, 1000 / 3])

    assert (ref.statistic, ref.pvalue) == pytest.approx((t.statistic, t.p_value), rel=1e-12)
    assert () == t.notes  # p = 0.0017 is above the 0.001 SRM threshold


def test_srm_unknown_arm_in_plan_is_an_error_and_one_arm_is_a_note():
    with pytest.raises(ValueError, match="no share"):
        sample_ratio_test({"A": 5, "C": 5}, {"A": 1, "B": 1})
    assert "single_group" == sample_ratio_test({"A": 5}).notes[0].code


def test_differential_delivery_matches_scipy():
    recs = ([{"variant": "A"}] * 90 + [{"variant": "A", "delivered": False, "exclusion": "blocked"}] * 10
            + [{"variant": "B"}] * 70 + [{"variant": "B", "delivered": False, "exclusion": "blocked"}] * 30)
    t = differential_delivery(table_from_records(recs))
    chi2, p, _, _ = stats.chi2_contingency([[10, 90], [30, 70]], correction=False)

    assert (chi2, p) == pytest.approx((t.statistic, t.p_value), rel=1e-12)


def test_balance_table_for_strata():
    table = synthetic_table(seed=2, n_companies=50)
    (ch, persona, industry) = balance(table, "variant")

    assert ["channel", "persona", "stratum_industry"] == [ch.variable, persona.variable, industry.variable]
    assert [1.0, 1.0] == list(industry.shares.sum(axis=1))
    chi2, p, _, _ = stats.chi2_contingency(persona.table.to_numpy(), correction=False)
    assert p == pytest.approx(persona.test.p_value)


def test_design_section_is_in_results_for_variant():
    sec = design_section(synthetic_table(seed=3, n_companies=10), "variant", ResultsConfig())

    assert {"A": 20, "B": 20} == sec["assigned"]
    assert 1 == len(sec["sentences"])


def test_contacts_not_sent_yet_do_not_count_as_delivery_failures():
    recs = ([{"variant": "A"}] * 50 + [{"variant": "B"}] * 50
            + [{"variant": "B", "delivered": False, "exclusion": "not sent yet"}] * 40)
    t = differential_delivery(table_from_records(recs))

    assert "single_group" == t.notes[0].code  # every attempted contact was delivered
