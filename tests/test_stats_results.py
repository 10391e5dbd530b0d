"""compute_results: the one object behind `knock results` in every format."""

import json

import pandas as pd
import pytest
from scipy import stats

from analysis.config import ResultsConfig
from analysis.results import compute_results
from analysis.synthetic import synthetic_table, table_from_counts, table_from_records


def test_json_has_the_contract_shape_and_is_strict():
    res = compute_results(synthetic_table(seed=1, n_companies=30), by="variant")
    d = json.loads(res.to_json())  # to_json uses allow_nan=False

    assert {"experiment", "by", "groups", "comparisons", "tests"} <= set(d)
    assert {"group", "n", "responded", "rate", "ci_low", "ci_high", "median_hours"} <= set(d["groups"][0])
    assert {"a", "b", "rate_diff", "rate_ratio", "p_value", "p_adjusted"} <= set(d["comparisons"][0])
    assert {"name", "statistic", "p_value"} <= set(d["tests"][0])
    assert ("synthetic", "variant") == (d["experiment"], d["by"])


def test_bertrand_mullainathan_through_the_whole_pipeline():
    # 9.65% vs 6.45% callbacks on 2,435 resumes each (Bertrand & Mullainathan 2004, Table 1)
    table = table_from_counts({"white": (2435, 235), "black": (2435, 157)})
    d = compute_results(table, by="variant").to_dict()
    chi2, p, _, _ = stats.chi2_contingency([[157, 2278], [235, 2200]], correction=False)
    (comp,) = d["comparisons"]
    across = {t["name"]: t for t in d["tests"]}["chi_square_equal_rates"]

    assert ("black", "white") == (comp["a"], comp["b"])  # groups in sorted order, a - b
    assert (chi2, p) == pytest.approx((comp["statistic"], comp["p_value"]), rel=1e-12)
    assert chi2 == pytest.approx(across["statistic"], rel=1e-12)
    assert -0.0320 == pytest.approx(comp["rate_diff"], abs=5e-5)
    assert p == pytest.approx(comp["p_adjusted"])  # one pair: adjustment changes nothing


def test_empty_table_returns_a_warning():
    empty = table_from_counts({"A": (1, 0)}).iloc[0:0]
    d = compute_results(empty).to_dict()

    assert ([], [], ["no_contacts"]) == (d["groups"], d["comparisons"], [w["code"] for w in d["warnings"]])


def test_single_group_has_no_comparisons_and_tests_say_why():
    d = compute_results(table_from_counts({"A": (30, 10)})).to_dict()

    assert [] == d["comparisons"]
    assert "single_group" in [w["code"] for w in d["warnings"]]
    assert all(t["p_value"] is None for t in d["tests"])


def test_no_responses_anywhere_gives_no_p_values_and_valid_json():
    res = compute_results(table_from_counts({"A": (30, 0), "B": (30, 0)}))
    d = json.loads(res.to_json())

    assert [None] == [c["p_value"] for c in d["comparisons"]]
    assert "zero_margin" in d["comparisons"][0]["warnings"]
    assert [0.0, 0.0] == [g["rate"] for g in d["groups"]]
    assert all(g["median_hours"] is None for g in d["groups"])


def test_all_responded_everywhere():
    d = compute_results(table_from_counts({"A": (30, 30), "B": (30, 30)})).to_dict()

    assert [1.0, 1.0] == [g["rate"] for g in d["groups"]]
    assert "zero_margin" in d["comparisons"][0]["warnings"]


def test_small_group_gets_no_test():
    d = compute_results(table_from_counts({"A": (5, 1), "B": (50, 20)}), config=ResultsConfig(min_group_n=10)).to_dict()

    assert (None, ["group_too_small"]) == (d["comparisons"][0]["p_value"], d["comparisons"][0]["warnings"])


def test_frames_and_text_show_the_same_numbers():
    res = compute_results(synthetic_table(seed=2, n_companies=40), by="channel")
    g = res.groups_frame()
    c = res.comparisons_frame()
    text = res.to_text()

    assert list(g["group"]) == [x["group"] for x in res.to_dict()["groups"]]
    assert {"a", "b", "rate_diff", "p_adjusted"} <= set(c.columns)
    for row in g.itertuples():
        assert row.group in text and f"{100 * row.rate:.1f}%" in text
    assert isinstance(g.to_csv(index=False), str)


def test_by_company_and_by_stratum_short_name():
    table = synthetic_table(seed=3, n_companies=15)
    by_company = compute_results(table, by="company", config=ResultsConfig(max_pairwise_groups=5))
    by_industry = compute_results(table, by="industry")

    assert 15 == len(by_company.rates)
    assert "too_many_groups" in [n.code for n in by_company.notes]
    assert set(table.stratum_industry) == {r.group for r in by_industry.rates}


def test_unknown_grouping_and_bad_config_raise():
    table = table_from_counts({"A": (5, 1)})
    with pytest.raises(ValueError, match="cannot group by"):
        compute_results(table, by="colour")
    with pytest.raises(ValueError, match="correction"):
        ResultsConfig(correction="bonferroni-sidak")


def test_fdr_bh_on_request():
    table = table_from_counts({"A": (100, 50), "B": (100, 40), "C": (100, 30)})
    holm = compute_results(table, config=ResultsConfig(correction="holm")).to_dict()
    bh = compute_results(table, config=ResultsConfig(correction="fdr_bh")).to_dict()

    assert [c["p_value"] for c in holm["comparisons"]] == [c["p_value"] for c in bh["comparisons"]]
    assert all(b["p_adjusted"] <= h["p_adjusted"] for b, h in zip(bh["comparisons"], holm["comparisons"]))
    assert {"fdr_bh"} == {c["correction"] for c in bh["comparisons"]}


def test_exclusions_summed_over_groups():
    recs = [{"variant": "A", "hours": 1.0}, {"variant": "B"},
            {"variant": "A", "delivered": False, "exclusion": "blocked"},
            {"variant": "B", "delivered": False, "exclusion": "blocked"},
            {"variant": "B", "delivered": False, "exclusion": "uncertain"}]
    d = compute_results(table_from_records(recs)).to_dict()

    assert {"blocked": 2, "uncertain": 1} == d["excluded"]
    assert [1, 1] == [g["n"] for g in d["groups"]]


def test_unsent_contacts_with_no_send_time_are_reported_not_fatal():
    # analysis.table keeps planned-but-unsent contacts: delivered False, sent_at NaT
    table = synthetic_table(seed=4, n_companies=20)
    unsent = table.index[:6]
    table.loc[unsent, "delivered"] = False
    table.loc[unsent, "exclusion"] = "not sent yet"
    table.loc[unsent, ["sent_at", "first_any_at", "first_human_at", "first_auto_at"]] = pd.NaT
    table.loc[unsent, ["responded_human", "responded_any"]] = False
    table.loc[unsent, ["hours_to_human", "followup_hours"]] = float("nan")
    d = json.loads(compute_results(table, by="variant").to_json())

    assert 6 == d["excluded"]["not sent yet"]
    assert 80 - 6 == sum(g["n"] for g in d["groups"])
    assert 0 == sum(g["n_open"] for g in d["groups"])


def test_a_group_with_nothing_delivered_is_reported_but_not_compared():
    import pandas as pd

    from analysis.results import compute_results
    from analysis.synthetic import table_from_counts, table_from_records

    delivered = table_from_counts({"email": (30, 20), "web_form": (30, 10)}, by="channel")
    by_hand = table_from_records([{"channel": "phone", "delivered": False, "exclusion": "not sent yet"}] * 2)
    res = compute_results(pd.concat([delivered, by_hand], ignore_index=True), by="channel")
    assert [("email", "web_form")] == [(c.a, c.b) for c in res.comparisons]
    assert {"email": 30, "phone": 0, "web_form": 30} == {g["group"]: g["n"] for g in res.to_dict()["groups"]}


def test_the_overall_row_has_a_median_when_most_replied():
    from lifelines import KaplanMeierFitter

    from analysis.results import compute_results
    from analysis.synthetic import table_from_counts

    table = table_from_counts({"a": (20, 15), "b": (20, 12)})
    overall = compute_results(table, by="variant").to_dict()["overall"]
    fit = KaplanMeierFitter().fit(table["followup_hours"], table["responded_human"])
    assert fit.median_survival_time_ == overall["median_hours"]
