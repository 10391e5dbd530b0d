"""Regression models: who gets answered, and how fast, holding other things equal.

- Logistic regression (GLM Binomial) of responded_human on variant and
  channel, with cluster-robust (sandwich) standard errors by company,
  because contacts to the same company are not independent (Liang & Zeger
  1986; Cameron & Miller 2015). statsmodels' clustered GLM fails on NaN
  rows, so incomplete rows are dropped first and counted.
- Cox proportional hazards for time to first human reply, stratified by
  company (each company its own baseline hazard; Kalbfleisch & Prentice
  2002, s.4.4). With tied reply times: statsmodels PHReg with Efron ties
  (as lifelines and R's coxph) up to config.max_cox_rows; without ties,
  or beyond that size, the vectorised fit in fastcox.py (identical when
  there are no ties; Breslow's approximation otherwise, with a note).

Odds ratios and hazard ratios come with intervals and one sentence each.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.duration.hazard_regression import PHReg

from .fastcox import cox_breslow, has_tied_events

from . import schema, sentences
from .config import (
    FEW_CLUSTERS,
    MODEL_FAILED,
    NO_VARIATION,
    ROWS_DROPPED,
    SINGLE_GROUP,
    TIES_APPROXIMATED,
    Note,
    ResultsConfig, z_two_sided)

MIN_CLUSTERS = 20  # below this, cluster-robust SEs are unreliable (Cameron & Miller 2015)


@dataclass(frozen=True)
class Estimate:
    term: str  # e.g. "variant=B"
    variable: str
    level: str
    reference: str
    coef: float
    se: float
    ratio: float  # exp(coef): odds ratio or hazard ratio
    ci_low: float
    ci_high: float
    p_value: float
    sentence: str


@dataclass(frozen=True)
class ModelResult:
    name: str
    method: str
    n: int
    n_dropped: int
    n_clusters: int | None
    estimates: tuple[Estimate, ...]
    notes: tuple[Note, ...] = ()

    def to_dict(self) -> dict:
        d = asdict(self)
        d["notes"] = [n.to_dict() for n in self.notes]
        return d


def design(frame: pd.DataFrame, terms: tuple[str, ...], intercept: bool):
    """Treatment-coded dummies; reference = first level in sorted order.

    Returns (X, [(variable, level, reference), ...]). Terms with one level are skipped.
    """
    cols, meta = {}, []
    for t in terms:
        lv = sorted(frame[t].astype(str).unique())
        if len(lv) < 2:
            continue
        for level in lv[1:]:
            cols[f"{t}={level}"] = (frame[t].astype(str) == level).astype(float).to_numpy()
            meta.append((t, level, lv[0]))
    x = pd.DataFrame(cols, index=frame.index)
    if intercept:
        x.insert(0, "const", 1.0)
    return x, meta


def _estimates(params, bse, pvalues, meta, offset, alpha, kind) -> tuple[Estimate, ...]:
    z = z_two_sided(alpha)
    out = []
    for i, (var, level, ref) in enumerate(meta):
        b, se, p = float(params[i + offset]), float(bse[i + offset]), float(pvalues[i + offset])
        r, lo, hi = np.exp(b), np.exp(b - z * se), np.exp(b + z * se)
        a_label, b_label = f"{var} {level}", f"{var} {ref}"
        if kind == "odds":
            s = sentences.odds_sentence(f"Contacts with {a_label}", b_label, r, lo, hi, 1 - alpha)
        else:
            s = sentences.hazard_sentence(f"Contacts with {a_label}", b_label, r, lo, hi, 1 - alpha)
        out.append(Estimate(f"{var}={level}", var, level, ref, b, se, float(r), float(lo), float(hi), p, s))
    return tuple(out)


def _terms(frame: pd.DataFrame, terms) -> tuple[str, ...]:
    return tuple(t for t in terms if frame[t].astype(str).nunique() > 1)


def logistic_model(table: pd.DataFrame, terms: tuple[str, ...] = ("variant", "channel"),
                   config: ResultsConfig = ResultsConfig()) -> ModelResult:
    """Logistic regression of responded_human with company-clustered SEs."""
    d = schema.delivered(table)
    cols = ["responded_human", "company", *terms]
    complete = d[cols].notna().all(axis=1)  # clustered GLM fails on NaN: drop first, and say so
    n_dropped = int((~complete).sum())
    d = d.loc[complete]
    name, method = "logistic", "glm_binomial_cluster_robust_by_company"
    terms = _terms(d, terms)
    notes = [Note(ROWS_DROPPED, f"{n_dropped} rows with missing values left out")] if n_dropped else []
    y = d["responded_human"].astype(float)
    if not terms:
        return ModelResult(name, method, len(d), n_dropped, None, (), (Note(
            SINGLE_GROUP, "no term has two levels: nothing to model"),))
    for t in terms:  # a level where nobody (or everybody) replied has no finite odds ratio
        m = y.groupby(d[t].astype(str)).mean()
        if ((m == 0) | (m == 1)).any():
            return ModelResult(name, method, len(d), n_dropped, None, (), (Note(
                NO_VARIATION, f"a level of {t} has all or no replies: odds ratios are infinite"),))
    x, meta = design(d, terms, intercept=True)
    clusters = pd.factorize(d["company"].astype(str))[0]
    g = len(np.unique(clusters))
    try:
        model = sm.GLM(y.to_numpy(), x.to_numpy(), family=sm.families.Binomial())
        if g >= 2:
            fit = model.fit(cov_type="cluster", cov_kwds={"groups": clusters})
        else:
            fit = model.fit()
            notes.append(Note(SINGLE_GROUP, "one company: model-based SEs, no clustering"))
    except Exception as exc:  # separation or singular design from the data
        return ModelResult(name, method, len(d), n_dropped, g, (), (Note(MODEL_FAILED, str(exc)),))
    if 2 <= g < MIN_CLUSTERS:
        notes.append(Note(FEW_CLUSTERS, f"only {g} companies: cluster-robust SEs are unreliable"))
    est = _estimates(fit.params, fit.bse, fit.pvalues, meta, 1, config.alpha, "odds")
    return ModelResult(name, method, len(d), n_dropped, g, est, tuple(notes))


def cox_model(table: pd.DataFrame, terms: tuple[str, ...] = ("variant", "channel"),
              config: ResultsConfig = ResultsConfig()) -> ModelResult:
    """Cox PH for time to first human reply, stratified by company (PHReg, Efron ties)."""
    name, method = "cox", "phreg_stratified_by_company_efron"
    sv = schema.survival_frame(table)
    d = table.loc[sv.index]
    complete = d[["company", *terms]].notna().all(axis=1)
    n_dropped = int((~complete).sum()) + int(schema.time_unknown(schema.delivered(table)).sum())
    sv, d = sv.loc[complete], d.loc[complete]
    terms = _terms(d, terms)
    if not terms or sv["event"].sum() == 0:
        return ModelResult(name, method, len(d), n_dropped, None, (), (Note(
            NO_VARIATION, "no timed replies or no term with two levels"),))
    x, meta = design(d, terms, intercept=False)
    strata = pd.factorize(d["company"].astype(str))[0]
    dur, ev = sv["duration"].to_numpy(), sv["event"].to_numpy()
    notes = []
    tied = has_tied_events(dur, ev, strata)
    try:
        if tied and len(d) <= config.max_cox_rows:
            fit = PHReg(dur, x.to_numpy(), status=ev, strata=strata, ties="efron").fit()
        else:
            # no ties: Breslow = Efron exactly, and the vectorised fit is ~100x faster
            fit = cox_breslow(dur, ev, x.to_numpy(), strata)
            method = "partial_likelihood_stratified_by_company" + ("_breslow_ties" if tied else "")
            if tied:
                notes.append(Note(TIES_APPROXIMATED,
                                  "tied reply times in a large table: Breslow's approximation used"))
        if not np.all(np.isfinite(fit.bse)):
            raise ValueError("non-finite standard errors (a term does not vary within companies)")
    except Exception as exc:
        return ModelResult(name, method, len(d), n_dropped, None, (), (Note(MODEL_FAILED, str(exc)),))
    est = _estimates(fit.params, fit.bse, fit.pvalues, meta, 0, config.alpha, "hazard")
    return ModelResult(name, method, len(d), n_dropped, int(len(np.unique(strata))), est, tuple(notes))


def models_section(table: pd.DataFrame, config: ResultsConfig = ResultsConfig(),
                   terms: tuple[str, ...] = ("variant", "channel")) -> dict:
    lg = logistic_model(table, terms, config)
    cx = cox_model(table, terms, config)
    return {"logistic": lg.to_dict(), "cox": cx.to_dict(),
            "sentences": [e.sentence for e in lg.estimates + cx.estimates]}
