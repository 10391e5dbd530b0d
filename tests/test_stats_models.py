"""Logistic (cluster-robust) and stratified Cox models, against closed forms and lifelines."""

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from analysis.config import ResultsConfig
from analysis.models import cox_model, logistic_model, models_section
from analysis.synthetic import synthetic_table, table_from_counts


def test_logistic_with_one_binary_term_gives_the_cross_product_odds_ratio():
    # A saturated two-group logit reproduces the sample odds ratio exactly (Agresti 2013, s.5.1).
    table = table_from_counts({"A": (200, 80), "B": (150, 30)})
    (est,) = logistic_model(table, ("variant",)).estimates

    assert (30 / 120) / (80 / 120) == pytest.approx(est.ratio, rel=1e-9)
    assert "odds" in est.sentence


def test_cluster_robust_se_is_the_cr1_sandwich_by_hand():
    # CR1 sandwich (Cameron & Miller 2015, J Human Resources 50:317, s.II.C), with the
    # Stata small-sample factor G/(G-1) * (N-1)/(N-K), written out independently.
    t = synthetic_table(seed=5, n_companies=40, channels=("web_form",), company_sd=1.0, contacts_per_cell=3)
    (est,) = logistic_model(t, ("variant",)).estimates
    d = t.loc[t.delivered]
    y = d.responded_human.to_numpy(float)
    x = np.column_stack([np.ones(len(d)), (d.variant == "B").to_numpy(float)])
    pa, pb = y[x[:, 1] == 0].mean(), y[x[:, 1] == 1].mean()
    beta = np.array([np.log(pa / (1 - pa)), np.log(pb / (1 - pb)) - np.log(pa / (1 - pa))])
    mu = 1 / (1 + np.exp(-x @ beta))
    bread = np.linalg.inv(x.T @ (x * (mu * (1 - mu))[:, None]))
    g = pd.factorize(d.company)[0]
    scores = np.zeros((g.max() + 1, 2))
    np.add.at(scores, g, x * (y - mu)[:, None])
    G, N, K = g.max() + 1, len(y), 2
    v = G / (G - 1) * (N - 1) / (N - K) * bread @ scores.T @ scores @ bread

    assert np.sqrt(v[1, 1]) == pytest.approx(est.se, rel=1e-8)


def test_stratified_cox_matches_lifelines():
    t = synthetic_table(seed=6, n_companies=50, channels=("web_form", "email", "phone"),
                        company_sd=0.8, channel_effects={"email": -0.5}, contacts_per_cell=2)
    res = cox_model(t, ("variant", "channel"))  # continuous times: no ties, vectorised fit
    d = t.loc[t.delivered]
    df = pd.DataFrame({
        "T": d.followup_hours, "E": d.responded_human.astype(int), "company": d.company,
        "variant=B": (d.variant == "B").astype(float),
        "channel=phone": (d.channel == "phone").astype(float),
        "channel=web_form": (d.channel == "web_form").astype(float),
    })
    ref = CoxPHFitter().fit(df, "T", "E", strata=["company"])  # Efron ties, like ours

    got = {e.term: (e.coef, e.se) for e in res.estimates}
    for term in ("variant=B", "channel=phone", "channel=web_form"):
        # both Newton-Raphson fits stop near 1e-5 relative change
        assert (ref.params_[term], ref.standard_errors_[term]) == pytest.approx(got[term], rel=1e-4)
    assert 50 == res.n_clusters


def test_rows_with_missing_values_are_dropped_and_counted():
    t = synthetic_table(seed=7, n_companies=30)
    t.loc[t.index[:5], "channel"] = None
    res = logistic_model(t, ("variant", "channel"))

    assert 5 == res.n_dropped
    assert "rows_dropped" in [n.code for n in res.notes]
    assert 2 == len(res.estimates)


def test_level_without_replies_gives_a_note_not_an_infinite_ratio():
    res = logistic_model(table_from_counts({"A": (40, 10), "B": (40, 0)}), ("variant",))

    assert ((), "no_variation") == (res.estimates, res.notes[0].code)


def test_one_company_fits_without_clustering_and_says_so():
    res = logistic_model(table_from_counts({"A": (40, 10), "B": (40, 20)}, company="solo"), ("variant",))

    assert 1 == len(res.estimates)
    assert "single_group" in [n.code for n in res.notes]


def tied_table():
    t = synthetic_table(seed=10, n_companies=40, channels=("web_form", "email"), contacts_per_cell=3)
    t["followup_hours"] = t["followup_hours"].round(0)  # replies logged to the hour: many ties
    t["hours_to_human"] = t["hours_to_human"].round(0)
    return t


def lifelines_frame(t):
    d = t.loc[t.delivered]
    return pd.DataFrame({"T": d.followup_hours, "E": d.responded_human.astype(int), "company": d.company,
                         "variant=B": (d.variant == "B").astype(float),
                         "channel=web_form": (d.channel == "web_form").astype(float)})


def test_tied_times_use_phreg_efron_and_match_lifelines():
    t = tied_table()
    res = cox_model(t, ("variant", "channel"))
    ref = CoxPHFitter().fit(lifelines_frame(t), "T", "E", strata=["company"])

    assert "phreg_stratified_by_company_efron" == res.method
    for e in res.estimates:
        assert (ref.params_[e.term], ref.standard_errors_[e.term]) == pytest.approx((e.coef, e.se), rel=1e-4)


def test_large_tied_tables_use_breslow_and_match_phreg_breslow():
    from statsmodels.duration.hazard_regression import PHReg

    t = tied_table()
    res = cox_model(t, ("variant", "channel"), ResultsConfig(max_cox_rows=10))
    df = lifelines_frame(t)
    ref = PHReg(df["T"].to_numpy(), df[["variant=B", "channel=web_form"]].to_numpy(), status=df["E"].to_numpy(),
                strata=pd.factorize(df["company"])[0], ties="breslow").fit()

    assert "ties_approximated" == res.notes[0].code
    assert list(ref.params) == pytest.approx([e.coef for e in res.estimates], rel=1e-6)
    assert list(ref.bse) == pytest.approx([e.se for e in res.estimates], rel=1e-6)


def test_section_has_sentences_for_every_estimate():
    sec = models_section(synthetic_table(seed=9, n_companies=30))

    assert len(sec["sentences"]) == len(sec["logistic"]["estimates"]) + len(sec["cox"]["estimates"])
