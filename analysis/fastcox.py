"""A vectorised stratified Cox fit (Breslow ties) for large tables.

statsmodels' PHReg loops over strata in Python (about 0.5-1 ms per
contact with 1,000 companies), too slow for a million contacts. This is
the same partial likelihood (Cox 1972; Breslow 1974 for ties) computed
with cumulative sums within strata, maximised by Newton-Raphson with step
halving. Without tied event times Breslow and Efron coincide, so results
equal PHReg's and lifelines'; tests/test_stats_models.py checks both.

    >>> import numpy as np
    >>> fit = cox_breslow(np.array([1., 2, 3, 4]), np.array([1, 1, 0, 1]), np.array([[0.], [1], [0], [1]]))
    >>> fit.converged
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class CoxFit:
    params: np.ndarray
    bse: np.ndarray
    pvalues: np.ndarray
    loglik: float
    converged: bool
    iterations: int


def has_tied_events(time, event, strata) -> bool:
    """Do two events share a time within a stratum?"""
    t = np.asarray(time)[np.asarray(event) > 0]
    s = np.asarray(strata)[np.asarray(event) > 0]
    order = np.lexsort((t, s))
    t, s = t[order], s[order]
    return bool(np.any((t[1:] == t[:-1]) & (s[1:] == s[:-1])))


def cox_breslow(time, event, x, strata=None, max_iter: int = 50, tol: float = 1e-9) -> CoxFit:
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    x = np.asarray(x, dtype=float)
    n, p = x.shape
    strata = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata)
    # descending time within stratum: the risk set of a row is every row before it
    order = np.lexsort((-time, strata))
    time, event, x, strata = time[order], event[order], x[order], strata[order]
    new_stratum = np.r_[True, strata[1:] != strata[:-1]]
    start = np.maximum.accumulate(np.where(new_stratum, np.arange(n), 0))
    # for tied times the risk set runs to the end of the tie block
    new_block = np.r_[True, ~((time[1:] == time[:-1]) & ~new_stratum[1:])]
    block_id = np.cumsum(new_block) - 1
    block_end = np.r_[np.flatnonzero(new_block)[1:] - 1, n - 1][block_id]
    ev = event > 0
    xe = x[ev]

    def within_cumsum(values):
        c = np.cumsum(values, axis=0)
        prefix = np.concatenate([np.zeros((1,) + c.shape[1:]), c])
        return c - prefix[start]

    def pieces(beta):
        eta = x @ beta
        eta -= eta.max()  # the partial likelihood is invariant to a shift
        w = np.exp(eta)
        s0 = within_cumsum(w)[block_end][ev]
        s1 = within_cumsum(w[:, None] * x)[block_end][ev]
        outer = (x[:, :, None] * x[:, None, :]).reshape(n, p * p)
        s2 = within_cumsum(w[:, None] * outer)[block_end][ev].reshape(-1, p, p)
        ll = float(np.sum(eta[ev] - np.log(s0)))
        mean = s1 / s0[:, None]
        grad = (xe - mean).sum(axis=0)
        info = (s2 / s0[:, None, None]).sum(axis=0) - mean.T @ mean
        return ll, grad, info

    beta = np.zeros(p)
    ll, grad, info = pieces(beta)
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        step = np.linalg.solve(info, grad)
        for _ in range(30):  # step halving keeps the likelihood increasing
            new = beta + step
            ll_new, g_new, i_new = pieces(new)
            if ll_new >= ll - 1e-10 * (abs(ll) + 1):  # allow rounding noise near the optimum
                break
            step /= 2
        done = abs(ll_new - ll) < tol * (abs(ll) + 1) and np.max(np.abs(new - beta)) < 1e-7
        beta, ll, grad, info = new, ll_new, g_new, i_new
        if done:
            converged = True
            break
    cov = np.linalg.inv(info)
    se = np.sqrt(np.diag(cov))
    pv = 2 * stats.norm.sf(np.abs(beta / se))
    return CoxFit(beta, se, pv, ll, converged, it)
