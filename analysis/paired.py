"""Paired designs: several variants sent to the same company.

Comparing variants within the company removes between-company differences.
Two variants: McNemar's test on the discordant pairs (McNemar 1947), exact
binomial when there are fewer than `config.exact_mcnemar_below` of them,
otherwise the chi-square form WITHOUT continuity correction (Agresti 2013,
s.11.1); the paired difference with its Wald interval (Agresti 2013, eq.
11.2). Any number of variants: conditional logistic regression with the
company as stratum (Breslow & Day 1980, ch. 7), whose odds ratio for 1:1
pairs is exactly only_a / only_b.

    >>> from analysis.synthetic import synthetic_table
    >>> paired_analysis(synthetic_table(seed=1), "variant").unit
    ('company', 'channel')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.discrete.conditional_models import ConditionalLogit
from statsmodels.stats.contingency_tables import mcnemar

from . import schema, sentences
from .config import (
    MODEL_FAILED,
    NO_PAIRS,
    NO_RESPONSES,
    TOO_MANY_GROUPS,
    UNPAIRED_DROPPED,
    Note,
    ResultsConfig, z_two_sided)

UNIT_CANDIDATES = (("company",), ("company", "channel"), ("company", "channel", "persona"))


@dataclass(frozen=True)
class McNemar:
    a: str
    b: str
    n_pairs: int
    both: int
    only_a: int
    only_b: int
    neither: int
    statistic: float | None
    p_value: float | None
    method: str
    rate_diff: float | None  # rate_a - rate_b over the pairs
    diff_ci_low: float | None
    diff_ci_high: float | None
    odds_ratio: float | None  # only_a / only_b, the conditional (matched-pairs) odds ratio
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class Term:
    term: str
    reference: str
    coef: float
    se: float
    odds_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    sentence: str


@dataclass(frozen=True)
class ConditionalLogitResult:
    strata: str
    n: int
    n_strata: int
    n_informative_strata: int
    terms: tuple[Term, ...]
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class PairedResult:
    variable: str
    unit: tuple[str, ...]
    mcnemar: McNemar | None
    conditional_logit: ConditionalLogitResult | None
    notes: tuple[Note, ...] = ()

    def to_dict(self) -> dict:
        from dataclasses import asdict

        d = {"variable": self.variable, "unit": list(self.unit),
             "mcnemar": asdict(self.mcnemar) if self.mcnemar else None,
             "conditional_logit": asdict(self.conditional_logit) if self.conditional_logit else None,
             "warnings": [n.to_dict() for n in self.notes]}
        sent = []
        if self.mcnemar and self.mcnemar.p_value is not None:
            m = self.mcnemar
            sent.append(f"Within the same {' and '.join(self.unit)}, {m.a} alone was answered in "
                        f"{m.only_a} pairs and {m.b} alone in {m.only_b} of {m.n_pairs} "
                        f"(McNemar {m.method}, {sentences.p_text(m.p_value)}).")
        if self.conditional_logit:
            sent += [t.sentence for t in self.conditional_logit.terms]
        d["sentences"] = sent
        return d


def matched_pairs(table: pd.DataFrame, variable: str, a: str, b: str, unit: tuple[str, ...]):
    """(pairs frame with columns resp_a, resp_b; number of units dropped as not 1:1)."""
    d = schema.delivered(table)
    d = d.loc[d[variable].astype(str).isin([a, b])]
    key = [d[c].astype(str) for c in unit]
    per = d.groupby(key + [d[variable].astype(str)]).size().unstack(fill_value=0)
    for lv in (a, b):
        if lv not in per.columns:
            per[lv] = 0
    ok = (per[a] == 1) & (per[b] == 1)
    dropped = int((~ok).sum())
    good = per.index[ok]
    if len(good) == 0:
        return pd.DataFrame(columns=["resp_a", "resp_b"]), dropped
    resp = d.groupby(key + [d[variable].astype(str)])["responded_human"].max().unstack()
    resp = resp.loc[good]
    return pd.DataFrame({"resp_a": resp[a].astype(bool), "resp_b": resp[b].astype(bool)}), dropped


def choose_unit(table: pd.DataFrame, variable: str, a: str, b: str):
    """The coarsest unit in UNIT_CANDIDATES that pairs (almost) every contact 1:1."""
    best = None
    for unit in UNIT_CANDIDATES:
        pairs, dropped = matched_pairs(table, variable, a, b, unit)
        if best is None or len(pairs) > len(best[1]):
            best = (unit, pairs, dropped)
        if len(pairs) and dropped <= 0.1 * (len(pairs) + dropped):
            return unit, pairs, dropped
    return best


def mcnemar_from_pairs(pairs: pd.DataFrame, a: str, b: str, config: ResultsConfig = ResultsConfig()) -> McNemar:
    n = len(pairs)
    if n == 0:
        return McNemar(a, b, 0, 0, 0, 0, 0, None, None, "none", None, None, None, None,
                       (Note(NO_PAIRS, f"no company got exactly one {a!r} and one {b!r}"),))
    ra, rb = pairs["resp_a"].to_numpy(), pairs["resp_b"].to_numpy()
    both, only_a, only_b = int((ra & rb).sum()), int((ra & ~rb).sum()), int((~ra & rb).sum())
    neither = n - both - only_a - only_b
    # Agresti (2013) eq. 11.2: Wald interval for the difference of paired proportions
    diff = (only_a - only_b) / n
    se = np.sqrt(max((only_a + only_b) - (only_a - only_b) ** 2 / n, 0.0)) / n
    z = z_two_sided(config.alpha)
    lo, hi = max(diff - z * se, -1.0), min(diff + z * se, 1.0)
    odds = only_a / only_b if only_b else None
    disc = only_a + only_b
    if disc == 0:
        return McNemar(a, b, n, both, only_a, only_b, neither, None, None, "none", diff, lo, hi, odds,
                       (Note(NO_RESPONSES, "no discordant pairs: the variants never differed"),))
    tab = [[both, only_a], [only_b, neither]]
    if disc < config.exact_mcnemar_below:
        r = mcnemar(tab, exact=True)
        return McNemar(a, b, n, both, only_a, only_b, neither, None, float(r.pvalue), "exact_binomial",
                       diff, lo, hi, odds)
    r = mcnemar(tab, exact=False, correction=False)
    return McNemar(a, b, n, both, only_a, only_b, neither, float(r.statistic), float(r.pvalue),
                   "chi2_uncorrected", diff, lo, hi, odds)


def conditional_logit(table: pd.DataFrame, variable: str = "variant", strata: str = "company",
                      config: ResultsConfig = ResultsConfig(), reference: str | None = None):
    """Conditional logistic regression of responded_human on `variable`, stratified."""
    d = schema.delivered(table)
    y = d["responded_human"].astype(float)
    # strata where everyone or no one replied carry no information: drop them first
    mean = y.groupby(d[strata]).transform("mean")
    inf = (mean > 0) & (mean < 1)
    d, y = d.loc[inf], y.loc[inf]
    n_strata = int(table.loc[table["delivered"].astype(bool), strata].nunique())
    levels = sorted(schema.labels(table[variable]).unique())
    reference = reference if reference is not None else levels[0]
    lv = schema.labels(d[variable])
    others = [x for x in levels if x != reference and (lv == x).any()]
    if d.empty or not others:
        return ConditionalLogitResult(strata, len(d), n_strata, 0, (), (Note(
            NO_PAIRS, "no stratum has both outcomes and more than one level: no conditional model"),))
    biggest = int(d.groupby(strata).size().max())
    if biggest > config.max_clogit_stratum:
        return ConditionalLogitResult(strata, len(d), n_strata, int(d[strata].nunique()), (), (Note(
            TOO_MANY_GROUPS, f"a {strata} has {biggest} contacts: the exact conditional likelihood "
            f"is too costly above {config.max_clogit_stratum}; see the cluster-robust logistic model"),))
    x = pd.DataFrame({o: (lv == o).astype(float) for o in others}, index=d.index)
    try:
        fit = ConditionalLogit(y.to_numpy(), x.to_numpy(), groups=d[strata].astype(str).to_numpy()).fit(disp=False)
    except Exception as exc:  # singular design from the data, not a code error
        return ConditionalLogitResult(strata, len(d), n_strata, int(d[strata].nunique()), (),
                                      (Note(MODEL_FAILED, f"conditional logit failed: {exc}"),))
    z = z_two_sided(config.alpha)
    terms = []
    for i, o in enumerate(others):
        b, se = float(fit.params[i]), float(fit.bse[i])
        orr, lo, hi = np.exp(b), np.exp(b - z * se), np.exp(b + z * se)
        terms.append(Term(o, reference, b, se, float(orr), float(lo), float(hi), float(fit.pvalues[i]),
                          sentences.odds_sentence(f"Within the same {strata}, {variable} {o}",
                                                  reference, orr, lo, hi, config.confidence)))
    return ConditionalLogitResult(strata, len(d), n_strata, int(d[strata].nunique()), tuple(terms))


def paired_analysis(table: pd.DataFrame, variable: str = "variant",
                    config: ResultsConfig = ResultsConfig()) -> PairedResult:
    """McNemar (two levels) and conditional logit (any number) within companies."""
    schema.check_table(table)
    levels = sorted(schema.labels(schema.delivered(table)[variable]).unique())
    notes = []
    mc, unit = None, ("company",)
    if len(levels) == 2:
        unit, pairs, dropped = choose_unit(table, variable, *levels)
        mc = mcnemar_from_pairs(pairs, *levels, config=config)
        if dropped:
            notes.append(Note(UNPAIRED_DROPPED, f"{dropped} units without exactly one contact per "
                              f"{variable} were left out of McNemar"))
    cl = conditional_logit(table, variable, "company", config) if len(levels) >= 2 else None
    return PairedResult(variable, tuple(unit), mc, cl, tuple(notes))
