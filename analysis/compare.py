"""Comparing response rates between groups.

Per pair of groups: difference of rates with Newcombe's hybrid score
interval (Newcombe 1998, Stat Med 17:873, method 10), ratio with the Katz
log interval (Katz et al. 1978; Agresti 2013 s.3.1.4) -- or the
Miettinen-Nurminen score interval (1985) when a count is 0 or n, where the
log interval breaks down -- and a two-proportion test: Pearson chi-square
WITHOUT continuity correction (the convention of published audit studies,
e.g. Bertrand & Mullainathan 2004), or Fisher's exact test when any
expected cell is below 5 (Cochran 1954). P-values are adjusted across all
pairs with Holm (default) or Benjamini-Hochberg; raw and adjusted are both
reported. Across k groups: Pearson chi-square on the k x 2 table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from .config import (
    GROUP_TOO_SMALL,
    RATIO_UNDEFINED,
    SINGLE_GROUP,
    SMALL_EXPECTED,
    TOO_MANY_GROUPS,
    ZERO_MARGIN,
    Note,
    ResultsConfig,
)
from .survival import logrank


@dataclass(frozen=True)
class TestResult:
    """One hypothesis test: what, the statistic, its degrees of freedom, p."""

    name: str
    statistic: float | None
    df: float | None
    p_value: float | None
    method: str
    notes: tuple[Note, ...] = ()

    __test__ = False  # not a pytest class

    def to_dict(self) -> dict:
        return {"name": self.name, "statistic": self.statistic, "df": self.df, "p_value": self.p_value,
                "method": self.method, "warnings": [n.code for n in self.notes],
                "messages": [n.message for n in self.notes]}


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    n_a: int
    responded_a: int
    n_b: int
    responded_b: int
    rate_diff: float | None
    diff_ci_low: float | None
    diff_ci_high: float | None
    diff_method: str
    rate_ratio: float | None
    ratio_ci_low: float | None
    ratio_ci_high: float | None
    ratio_method: str | None
    test: str | None
    statistic: float | None
    p_value: float | None
    p_adjusted: float | None = None
    logrank_statistic: float | None = None
    logrank_p_value: float | None = None
    logrank_p_adjusted: float | None = None
    notes: tuple[Note, ...] = ()


def _f(x) -> float | None:
    """A finite real number, or None. The score interval for a ratio solves a cubic; with extreme
    counts statsmodels can return a complex root, which means the bound does not exist."""
    if np.iscomplexobj(x):
        x = complex(x)
        if abs(x.imag) > 1e-9 * max(1.0, abs(x.real)):
            return None
        x = x.real
    x = float(x)
    return x if np.isfinite(x) else None


def two_proportion_test(ka: int, na: int, kb: int, nb: int,
                        config: ResultsConfig = ResultsConfig()) -> TestResult:
    """Chi-square (no continuity correction) or Fisher exact for a 2x2 table."""
    name = "two_proportions"
    if min(na, nb) < config.min_group_n:
        return TestResult(name, None, None, None, "none", (Note(
            GROUP_TOO_SMALL, f"a group has fewer than {config.min_group_n} delivered contacts: no test"),))
    if ka + kb in (0, na + nb):
        return TestResult(name, None, None, None, "none", (Note(
            ZERO_MARGIN, "no group differs: every contact had the same outcome"),))
    table = np.array([[ka, na - ka], [kb, nb - kb]])
    expected = stats.contingency.expected_freq(table)
    if expected.min() < config.fisher_below_expected:
        _, p = stats.fisher_exact(table, alternative="two-sided")
        return TestResult(name, None, None, float(p), "fisher_exact")
    chi2, p, df, _ = stats.chi2_contingency(table, correction=False)
    return TestResult(name, float(chi2), int(df), float(p), "pearson_chi2")


def rate_ratio(ka, na, kb, nb, alpha=0.05):
    """(ratio, low, high, method) of rate_a / rate_b."""
    if na == 0 or nb == 0 or kb == 0:
        return None, None, None, None
    ratio = (ka / na) / (kb / nb)
    method = "log" if 0 < ka < na and 0 < kb < nb else "score"
    with np.errstate(all="ignore"):
        lo, hi = confint_proportions_2indep(ka, na, kb, nb, method=method, compare="ratio", alpha=alpha)
    lo = 0.0 if ka == 0 else _f(lo)
    hi = _f(hi)
    # With tiny counts the score solver can land on the wrong root: a bound on the wrong
    # side of the estimate is no bound at all (seen: 1/2 vs 2/2 gave 0.75 to 2.42 around 0.5).
    if lo is not None and lo > ratio * (1 + 1e-9):
        lo = None
    if hi is not None and hi < ratio * (1 - 1e-9):
        hi = None
    return ratio, lo, hi, {"log": "katz_log", "score": "miettinen_nurminen_score"}[method]


def compare_pair(a: str, ka: int, na: int, b: str, kb: int, nb: int,
                 config: ResultsConfig = ResultsConfig()) -> Comparison:
    """Difference, ratio and test for group a versus group b (a minus b, a over b)."""
    notes = []
    if na == 0 or nb == 0:
        diff = lo = hi = None
    else:
        diff = ka / na - kb / nb
        lo, hi = confint_proportions_2indep(ka, na, kb, nb, method="newcomb", compare="diff",
                                            alpha=config.alpha)
        lo, hi = _f(lo), _f(hi)
    ratio, rlo, rhi, rmethod = rate_ratio(ka, na, kb, nb, config.alpha)
    if ratio is None and na and nb:
        notes.append(Note(RATIO_UNDEFINED, f"no responses in {b!r}: ratio undefined"))
    test = two_proportion_test(ka, na, kb, nb, config)
    notes.extend(test.notes)
    return Comparison(a, b, na, ka, nb, kb, diff, lo, hi, "newcombe_hybrid_score",
                      ratio, rlo, rhi, rmethod, test.method if test.p_value is not None else None,
                      test.statistic, test.p_value, notes=tuple(notes))


def adjust(p_values, method: str) -> list[float | None]:
    """Adjusted p-values for the non-None entries; None stays None."""
    idx = [i for i, p in enumerate(p_values) if p is not None]
    out: list[float | None] = [None] * len(p_values)
    if idx:
        adj = multipletests([p_values[i] for i in idx], method=method)[1]
        for i, p in zip(idx, adj):
            out[i] = float(p)
    return out


def pairwise(counts: pd.DataFrame, config: ResultsConfig = ResultsConfig(),
             survival: pd.DataFrame | None = None) -> tuple[list[Comparison], list[Note]]:
    """All pairs of groups in `counts` (columns group, n, responded).

    `survival` (columns group, duration, event) adds a pairwise log-rank test.
    """
    groups = list(counts["group"])
    if len(groups) < 2:
        return [], [Note(SINGLE_GROUP, "only one group: nothing to compare")]
    if len(groups) > config.max_pairwise_groups:
        return [], [Note(TOO_MANY_GROUPS, f"{len(groups)} groups: pairwise comparisons skipped "
                         f"(limit {config.max_pairwise_groups}); see the k-group test and report cards")]
    c = counts.set_index("group")
    comps = []
    for a, b in combinations(groups, 2):
        comp = compare_pair(a, int(c.at[a, "responded"]), int(c.at[a, "n"]),
                            b, int(c.at[b, "responded"]), int(c.at[b, "n"]), config)
        if survival is not None:
            part = survival.loc[survival["group"].isin([a, b])]
            lr = logrank(part["duration"].to_numpy(), part["event"].to_numpy(), part["group"].to_numpy())
            small = min(comp.n_a, comp.n_b) < config.min_group_n
            if lr.p_value is not None and not small:
                comp = replace(comp, logrank_statistic=lr.statistic, logrank_p_value=lr.p_value)
        comps.append(comp)
    p_adj = adjust([x.p_value for x in comps], config.correction)
    lr_adj = adjust([x.logrank_p_value for x in comps], config.correction)
    comps = [replace(x, p_adjusted=p, logrank_p_adjusted=q) for x, p, q in zip(comps, p_adj, lr_adj)]
    return comps, []


def chi_square_across(counts: pd.DataFrame, config: ResultsConfig = ResultsConfig()) -> TestResult:
    """Pearson chi-square test of equal rates across all groups (k x 2, no correction)."""
    name = "chi_square_equal_rates"
    c = counts.loc[counts["n"] > 0]
    if len(c) < 2:
        return TestResult(name, None, None, None, "pearson_chi2", (Note(
            SINGLE_GROUP, "fewer than two groups with delivered contacts"),))
    k = c["responded"].to_numpy()
    n = c["n"].to_numpy()
    if k.sum() in (0, n.sum()):
        return TestResult(name, None, None, None, "pearson_chi2", (Note(
            ZERO_MARGIN, "every contact had the same outcome: no test"),))
    table = np.column_stack([k, n - k])
    chi2, p, df, expected = stats.chi2_contingency(table, correction=False)
    notes = ()
    if expected.min() < config.fisher_below_expected:
        share = float((expected < config.fisher_below_expected).mean())
        notes = (Note(SMALL_EXPECTED, f"{share:.0%} of expected counts are below "
                      f"{config.fisher_below_expected:g}: the chi-square approximation is rough"),)
    return TestResult(name, float(chi2), int(df), float(p), "pearson_chi2", notes)
