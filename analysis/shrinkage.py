"""Company report cards: response rates shrunk toward the overall rate.

A company contacted 4 times that answered 4 looks perfect; empirical Bayes
says how much of that to believe. Companies' true rates are modelled as
Beta(a, b); a and b are fitted by marginal maximum likelihood of the
beta-binomial (Griffiths 1973, Biometrics 29:637; Efron 2010, Large-Scale
Inference, ch. 1), started from method-of-moments values (Skellam 1948).
Each company's shrunk rate is the posterior mean (k + a) / (n + a + b),
with an equal-tailed posterior interval from Beta(a + k, b + n - k).

Which companies differ from the rest is decided by a two-proportion test
of each company against all others (chi-square without continuity
correction, Fisher when an expected cell is < 5), flagged only under
Benjamini-Hochberg FDR control at alpha (Benjamini & Hochberg 1995).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.special import betaln, expit, logit

from . import schema
from .compare import two_proportion_test
from .config import NO_CONTACTS, NO_VARIATION, Note, ResultsConfig
from .rates import wilson

_MAX_PRECISION = 1e6  # a + b beyond this: no detectable between-company variation


def beta_binomial_loglik(a: float, b: float, k: np.ndarray, n: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Sum of log BB(k | n, a, b) without the binomial coefficient (constant in a, b).

    ``weights``: how many companies share each (k, n) pair (``collapse``).
    """
    terms = betaln(k + a, n - k + b) - betaln(a, b)
    return float(np.sum(terms if weights is None else weights * terms))


def collapse(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (k, n) pairs and how many companies have each: a thousand companies with the same
    number of contacts have at most n + 1 distinct pairs, so the likelihood costs that much less.

    >>> collapse(np.array([1., 2., 1.]), np.array([4., 4., 4.]))
    (array([1., 2.]), array([4., 4.]), array([2, 1]))
    """
    pairs, counts = np.unique(np.stack([k, n]), axis=1, return_counts=True)
    return pairs[0], pairs[1], counts


def moments_start(k: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Method-of-moments start (mu, a + b), equal-n approximation with n = mean(n).

    Var(k_i / n_i) = mu (1 - mu) [1 + (n - 1) rho] / n with rho = 1 / (a + b + 1)
    (Skellam 1948); only a starting value for the likelihood fit.
    """
    p = k / n
    mu = float(k.sum() / n.sum())
    nbar = float(n.mean())
    v = float(p.var(ddof=1)) if len(p) > 1 else 0.0
    denom = mu * (1 - mu)
    rho = ((v / denom) * nbar - 1) / (nbar - 1) if denom > 0 and nbar > 1 else 0.0
    rho = float(np.clip(rho, 1e-6, 0.99)) if np.isfinite(rho) else 1e-6
    return mu, 1 / rho - 1


def fit_beta_binomial(k, n) -> tuple[float, float, bool]:
    """(a, b, boundary): marginal ML; boundary=True when a + b runs off to infinity."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    if k.sum() in (0.0, n.sum()):  # nobody or everybody replied: nothing to estimate
        pooled = k.sum() / n.sum()
        return pooled * _MAX_PRECISION, (1 - pooled) * _MAX_PRECISION, True
    mu0, m0 = moments_start(k, n)
    mu0 = float(np.clip(mu0, 1e-4, 1 - 1e-4))
    uk, un, weights = collapse(k, n)

    def nll(theta):
        mu, m = expit(theta[0]), np.exp(theta[1])
        with np.errstate(all="ignore"):
            v = -beta_binomial_loglik(mu * m, (1 - mu) * m, uk, un, weights)
        return v if np.isfinite(v) else 1e300

    best = None
    for start in (np.log(max(m0, 1e-3)), 0.0, 5.0):
        r = optimize.minimize(nll, [logit(mu0), start], method="Nelder-Mead",
                              options={"xatol": 1e-9, "fatol": 1e-10, "maxiter": 4000})
        if best is None or r.fun < best.fun:
            best = r
    mu, m = expit(best.x[0]), np.exp(best.x[1])
    if m > _MAX_PRECISION:
        pooled = k.sum() / n.sum()
        return pooled * _MAX_PRECISION, (1 - pooled) * _MAX_PRECISION, True
    return float(mu * m), float((1 - mu) * m), False


@dataclass(frozen=True)
class ReportCards:
    frame: pd.DataFrame
    a: float
    b: float
    overall_rate: float
    notes: tuple[Note, ...] = ()

    def to_dict(self) -> dict:
        return {"method": "beta-binomial empirical Bayes (marginal ML); BH-FDR flags",
                "prior_a": self.a, "prior_b": self.b, "prior_mean": self.a / (self.a + self.b),
                "overall_rate": self.overall_rate, "companies": self.frame.to_dict(orient="records"),
                "warnings": [n.to_dict() for n in self.notes]}


def report_cards(table: pd.DataFrame, config: ResultsConfig = ResultsConfig(), by: str = "company") -> ReportCards:
    """One row per company: raw and shrunk rate, intervals, FDR-controlled flag."""
    d = schema.delivered(table)
    if d.empty:
        return ReportCards(pd.DataFrame(), float("nan"), float("nan"), float("nan"),
                           (Note(NO_CONTACTS, "no delivered contacts"),))
    g = d.groupby(schema.labels(d[schema.group_column(d, by)]))["responded_human"].agg(["size", "sum"])
    n, k = g["size"].to_numpy(float), g["sum"].to_numpy(float)
    notes = []
    a, b, boundary = fit_beta_binomial(k, n) if len(g) > 1 else (np.nan, np.nan, True)
    if boundary:
        notes.append(Note(NO_VARIATION, "no detectable variation between companies beyond chance: "
                          "every rate is shrunk to the overall rate"))
        if len(g) == 1:
            pooled = k.sum() / n.sum()
            a, b = pooled * _MAX_PRECISION, (1 - pooled) * _MAX_PRECISION
    post_a, post_b = a + k, b + n - k
    lo, hi = wilson(k, n, config.alpha)
    tests = [two_proportion_test(int(ki), int(ni), int(k.sum() - ki), int(n.sum() - ni), config)
             for ki, ni in zip(k, n)]
    p = np.array([t.p_value if t.p_value is not None else np.nan for t in tests])
    q = np.full(len(p), np.nan)
    ok = np.isfinite(p)
    if ok.any():
        from statsmodels.stats.multitest import multipletests

        q[ok] = multipletests(p[ok], alpha=config.alpha, method="fdr_bh")[1]
    rest = (k.sum() - k) / np.maximum(n.sum() - n, 1)
    flag = np.where(np.isfinite(q) & (q <= config.alpha), np.where(k / n > rest, "higher", "lower"), "")
    frame = pd.DataFrame({
        "company": g.index, "n": n.astype(int), "responded": k.astype(int), "rate": k / n,
        "ci_low": lo, "ci_high": hi,
        "shrunk_rate": post_a / (post_a + post_b),
        "shrunk_ci_low": stats.beta.ppf(config.alpha / 2, post_a, post_b),
        "shrunk_ci_high": stats.beta.ppf(1 - config.alpha / 2, post_a, post_b),
        "p_value": p, "q_value": q, "flag": flag,
    }).sort_values("shrunk_rate", ascending=False).reset_index(drop=True)
    return ReportCards(frame, float(a), float(b), float(k.sum() / n.sum()), tuple(notes))
