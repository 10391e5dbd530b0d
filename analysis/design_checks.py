"""Design checks: did the experiment run as planned?

- Sample-ratio mismatch (SRM): Pearson chi-square goodness of fit of the
  contacts assigned per arm against the planned allocation (Fabijan et al.
  2019, "Diagnosing Sample Ratio Mismatch in Online Controlled
  Experiments", KDD), flagged at p < config.srm_alpha (0.001 by default, as
  they recommend, since the check runs on every experiment).
- Differential delivery: chi-square of delivered vs not by arm -- an arm
  that is blocked more often is compared on a different population.
- Balance: each stratum (and channel, persona) crossed with the arm, with
  shares and a chi-square test of independence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from . import schema
from .compare import TestResult
from .config import NO_CONTACTS, RATIO_MISMATCH, SINGLE_GROUP, Note, ResultsConfig


def sample_ratio_test(counts: dict[str, int], planned: dict[str, float] | None = None,
                      alpha: float = 0.001) -> TestResult:
    """Chi-square goodness of fit of observed arm sizes to the planned shares."""
    arms = sorted(counts)
    if len(arms) < 2:
        return TestResult("sample_ratio_mismatch", None, None, None, "pearson_chi2_gof",
                          (Note(SINGLE_GROUP, "one arm: no ratio to check"),))
    obs = np.array([counts[a] for a in arms], dtype=float)
    if obs.sum() == 0:
        return TestResult("sample_ratio_mismatch", None, None, None, "pearson_chi2_gof",
                          (Note(NO_CONTACTS, "no contacts"),))
    if planned is None:
        share = np.full(len(arms), 1 / len(arms))
    else:
        missing = [a for a in arms if a not in planned]
        if missing:
            raise ValueError(f"planned_allocation has no share for arms {missing}")
        share = np.array([planned[a] for a in arms], dtype=float)
        share = share / share.sum()
    chi2, p = stats.chisquare(obs, obs.sum() * share)
    notes = ()
    if p < alpha:
        notes = (Note(RATIO_MISMATCH, f"arm sizes {dict(zip(arms, obs.astype(int).tolist()))} differ from "
                      f"the plan (p = {p:.2g} < {alpha:g}): check assignment and logging before reading results"),)
    return TestResult("sample_ratio_mismatch", float(chi2), len(arms) - 1, float(p), "pearson_chi2_gof", notes)


def differential_delivery(table: pd.DataFrame, arm: str = "variant") -> TestResult:
    """Is the share of contacts delivered the same in every arm?

    Contacts not sent yet (a running experiment) are left out: only
    attempted contacts can fail.
    """
    from .schema import NOT_SENT

    table = table.loc[table["exclusion"].astype(object).ne(NOT_SENT)]
    tab = pd.crosstab(schema.labels(table[arm]), table["delivered"].astype(bool))
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return TestResult("differential_delivery", None, None, None, "pearson_chi2",
                          (Note(SINGLE_GROUP, "one arm, or every contact delivered (or none)"),))
    chi2, p, df, _ = stats.chi2_contingency(tab.to_numpy(), correction=False)
    return TestResult("differential_delivery", float(chi2), int(df), float(p), "pearson_chi2")


@dataclass(frozen=True)
class Balance:
    variable: str
    table: pd.DataFrame  # arm x level counts
    shares: pd.DataFrame  # within-arm shares
    test: TestResult

    def to_dict(self) -> dict:
        return {"variable": self.variable,
                "counts": {a: {k: int(v) for k, v in row.items()} for a, row in self.table.iterrows()},
                "shares": {a: {k: float(v) for k, v in row.items()} for a, row in self.shares.iterrows()},
                "statistic": self.test.statistic, "df": self.test.df, "p_value": self.test.p_value,
                "warnings": [n.code for n in self.test.notes]}


def balance(table: pd.DataFrame, arm: str = "variant", variables: list[str] | None = None) -> list[Balance]:
    """Arms crossed with each stratum/channel/persona column."""
    if variables is None:
        variables = [c for c in ("channel", "persona") if c != arm] + schema.stratum_columns(table)
    out = []
    for v in variables:
        tab = pd.crosstab(schema.labels(table[arm]), schema.labels(table[v]))
        shares = tab.div(tab.sum(axis=1), axis=0)
        if tab.shape[0] < 2 or tab.shape[1] < 2:
            test = TestResult(f"balance_{v}", None, None, None, "pearson_chi2",
                              (Note(SINGLE_GROUP, f"{v} has one level or one arm"),))
        else:
            chi2, p, df, _ = stats.chi2_contingency(tab.to_numpy(), correction=False)
            test = TestResult(f"balance_{v}", float(chi2), int(df), float(p), "pearson_chi2")
        out.append(Balance(v, tab, shares, test))
    return out


def design_section(table: pd.DataFrame, arm: str = "variant", config: ResultsConfig = ResultsConfig()) -> dict:
    counts = schema.labels(table[arm]).value_counts().to_dict()
    planned = dict(config.planned_allocation) if config.planned_allocation else None
    srm = sample_ratio_test({str(k): int(v) for k, v in counts.items()}, planned, config.srm_alpha)
    dd = differential_delivery(table, arm)
    bal = balance(table, arm)
    sentences = []
    if srm.p_value is not None:
        sentences.append(("Sample ratio mismatch: " if srm.notes else "Arm sizes match the plan: ")
                         + f"chi-square {srm.statistic:.2f}, p = {srm.p_value:.3g} "
                         + f"({'planned allocation' if planned else 'equal allocation assumed'}).")
    return {"arm": arm, "assigned": {str(k): int(v) for k, v in sorted(counts.items())},
            "planned_allocation": planned, "srm": srm, "differential_delivery": dd,
            "balance": [b.to_dict() for b in bal], "sentences": sentences}
