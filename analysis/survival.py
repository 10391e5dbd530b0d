"""Time to first human response: Kaplan-Meier, median, restricted mean, log-rank.

Duration = followup_hours, event = responded_human; a contact without a
reply is censored at the end of its window (or at "now" while the
experiment runs). Replies whose time is unknown (imported studies) are left
out here and counted.

Conventions, each checked against lifelines in tests/test_stats_survival.py:
- median: smallest t with S(t) <= 0.5 (Klein & Moeschberger 2003, s.4.5);
  undefined when fewer than half reply -- then read the shares at fixed times.
- median CI: Brookmeyer & Crowley (1982) test inversion on the
  complementary log-log scale (statsmodels `quantile_ci`, as SAS LIFETEST).
- pointwise band: log-log ("exponential Greenwood") intervals,
  Kalbfleisch & Prentice (2002, s.1.3 "log-log" transform), lifelines' default.
- restricted mean up to tau with the variance of Klein & Moeschberger (2003)
  eq. 4.5.2: sum over event times t_i <= tau of A_i^2 d_i / (Y_i (Y_i - d_i)),
  A_i = integral of S from t_i to tau.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from . import schema
from .config import (
    BEYOND_FOLLOWUP,
    MEDIAN_UNDEFINED,
    MEDIAN_UPPER_UNBOUNDED,
    NO_RESPONSES,
    SINGLE_GROUP,
    TIME_UNKNOWN,
    TOO_MANY_GROUPS,
    Note,
    ResultsConfig, z_two_sided)


@dataclass(frozen=True)
class KaplanMeier:
    """A fitted Kaplan-Meier curve of 'not yet answered'."""

    times: np.ndarray  # distinct event times
    surv: np.ndarray  # S(t) just after each time
    var_log: np.ndarray  # Greenwood sum: Var(log S)
    n_risk: np.ndarray
    n_events: np.ndarray
    n: int
    events: int
    max_time: float
    _sf: SurvfuncRight | None = field(default=None, repr=False, compare=False)

    def survival_at(self, t: float) -> float | None:
        """S(t) as a right-continuous step; None past the last observation."""
        if self.n == 0 or t > self.max_time + 1e-12:
            return None
        i = np.searchsorted(self.times, t, side="right")
        return 1.0 if i == 0 else float(self.surv[i - 1])

    def band_at(self, t: float, alpha: float = 0.05) -> tuple[float, float] | None:
        """Pointwise log-log interval for S(t)."""
        if self.survival_at(t) is None:
            return None
        i = np.searchsorted(self.times, t, side="right")
        if i == 0:
            return (1.0, 1.0)
        lo, hi = loglog_band(self.surv[i - 1 : i], self.var_log[i - 1 : i], alpha)
        return float(lo[0]), float(hi[0])

    def median(self, alpha: float = 0.05):
        """(median, ci_low, ci_high): None where undefined or unbounded."""
        below = np.flatnonzero(self.surv <= 0.5)
        if len(below) == 0:
            return None, None, None
        med = float(self.times[below[0]])
        with np.errstate(all="ignore"):  # log(0) where S reaches 0 is expected
            lo, hi = self._sf.quantile_ci(0.5, alpha=alpha, method="cloglog")
        lo = float(lo) if np.isfinite(lo) else None
        hi = float(hi) if np.isfinite(hi) else None
        return med, lo, hi

    def restricted_mean(self, tau: float):
        """(RMST, standard error) of time to first reply, truncated at tau."""
        keep = self.times <= tau
        t = self.times[keep]
        s = self.surv[keep]
        knots = np.concatenate([[0.0], t, [tau]])
        level = np.concatenate([[1.0], s])
        widths = np.diff(knots)
        area = float(np.sum(level * widths))
        # A_i = integral of S from t_i to tau: tail sums of level*width after t_i.
        pieces = level[1:] * widths[1:]
        tail = np.cumsum(pieces[::-1])[::-1]
        y, d = self.n_risk[keep].astype(float), self.n_events[keep].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(y > d, tail**2 * d / (y * (y - d)), 0.0)
        return area, float(np.sqrt(term.sum()))


def loglog_band(surv, var_log, alpha=0.05):
    """Log-log pointwise interval: S^exp(+-z*sd), sd = sqrt(Var log S)/|log S|."""
    z = z_two_sided(alpha)
    surv = np.asarray(surv, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(var_log) / np.abs(np.log(surv))
        lo = surv ** np.exp(z * sd)
        hi = surv ** np.exp(-z * sd)
    flat = (surv >= 1.0) | (surv <= 0.0) | ~np.isfinite(sd)
    lo = np.where(flat, surv, lo)
    hi = np.where(flat, surv, hi)
    return lo, hi


def kaplan_meier(durations, events) -> KaplanMeier:
    """Fit KM with statsmodels' SurvfuncRight (Greenwood variance)."""
    durations = np.asarray(durations, dtype=float)
    events = np.asarray(events, dtype=float)
    n = len(durations)
    if n == 0 or events.sum() == 0:
        empty = np.array([], dtype=float)
        return KaplanMeier(empty, empty, empty, empty, empty, n, 0,
                           float(durations.max()) if n else 0.0, None)
    sf = SurvfuncRight(durations, events)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_log = np.cumsum(sf.n_events / (sf.n_risk * (sf.n_risk - sf.n_events)))
    return KaplanMeier(
        times=np.asarray(sf.surv_times, dtype=float),
        surv=np.asarray(sf.surv_prob, dtype=float),
        var_log=var_log,
        n_risk=np.asarray(sf.n_risk),
        n_events=np.asarray(sf.n_events),
        n=n,
        events=int(events.sum()),
        max_time=float(durations.max()),
        _sf=sf,
    )


@dataclass(frozen=True)
class GroupSurvival:
    group: str
    n: int
    events: int
    n_time_unknown: int
    median_hours: float | None
    median_ci_low: float | None
    median_ci_high: float | None
    answered_by: tuple[tuple[float, float | None, float | None, float | None], ...]
    rmst_hours: float | None
    rmst_ci_low: float | None
    rmst_ci_high: float | None
    rmst_tau_hours: float | None
    notes: tuple[Note, ...] = ()


def summarise(group: str, km: KaplanMeier, config: ResultsConfig, tau: float | None,
              n_time_unknown: int = 0) -> GroupSurvival:
    """Median, KM shares answered by fixed times, and RMST for one group."""
    notes = []
    if n_time_unknown:
        notes.append(Note(TIME_UNKNOWN, f"{n_time_unknown} replies without a time left out", group))
    med = lo = hi = None
    if km.events == 0:
        notes.append(Note(NO_RESPONSES, "no timed human responses", group))
    else:
        med, lo, hi = km.median(config.alpha)
    if med is None:
        notes.append(Note(MEDIAN_UNDEFINED, "fewer than half were answered: median undefined, "
                          "see shares answered at fixed times", group))
    elif hi is None:
        notes.append(Note(MEDIAN_UPPER_UNBOUNDED, "upper limit of the median is beyond the data", group))
    answered = []
    for h in config.fixed_hours:
        s = km.survival_at(h)
        if s is None:
            answered.append((h, None, None, None))
            if km.n:
                notes.append(Note(BEYOND_FOLLOWUP, f"nobody observed for {h:g} h yet", group))
            continue
        band = km.band_at(h, config.alpha) if km.events else (1.0, 1.0)
        answered.append((h, 1 - s, 1 - band[1], 1 - band[0]))
    rm = rlo = rhi = None
    if tau is not None and km.n and (tau <= km.max_time + 1e-9 or (km.events and km.surv[-1] == 0.0)):
        rm, se = km.restricted_mean(tau) if km.events else (tau, 0.0)
        z = z_two_sided(config.alpha)
        rlo, rhi = max(rm - z * se, 0.0), min(rm + z * se, tau)
    return GroupSurvival(group, km.n, km.events, n_time_unknown, med, lo, hi,
                         tuple(answered), rm, rlo, rhi, tau if rm is not None else None, tuple(notes))


def horizon(km: KaplanMeier, window: float) -> float:
    """How far this curve is known: its last observation, or the window once S hits 0."""
    if km.events and km.surv[-1] == 0.0:
        return max(window, km.max_time)
    return km.max_time


def group_survival(table: pd.DataFrame, by: str, config: ResultsConfig = ResultsConfig()
                   ) -> tuple[list[GroupSurvival], dict[str, KaplanMeier]]:
    """Per-group survival summaries and the fitted curves.

    The RMST horizon is config.rmst_hours, or else the longest time every
    group is known for (so groups are compared over the same horizon).
    """
    schema.check_table(table, by)
    col = schema.group_column(table, by)
    d = schema.delivered(table)
    sv = schema.survival_frame(table)
    lab = schema.labels(table[col])
    unknown = schema.time_unknown(d).groupby(lab.loc[d.index]).sum()
    window = schema.window_hours(d).groupby(lab.loc[d.index]).max()
    groups = sorted(lab.unique())
    pos = schema.split_positions(lab.loc[sv.index], groups)
    dur, ev = sv["duration"].to_numpy(), sv["event"].to_numpy()
    fits = {g: kaplan_meier(dur[pos[g]], ev[pos[g]]) for g in groups}
    tau = config.rmst_hours
    if tau is None:
        known = [horizon(km, float(window.get(g, 0.0))) for g, km in fits.items() if km.n]
        tau = min(known) if known and min(known) > 0 else None
    out = [summarise(g, km, config, tau, int(unknown.get(g, 0))) for g, km in fits.items()]
    return out, fits


@dataclass(frozen=True)
class LogRank:
    statistic: float | None
    df: int | None
    p_value: float | None
    notes: tuple[Note, ...] = ()


def logrank_statistic(durations, events, groups) -> float:
    """The k-group log-rank chi-square, vectorised over distinct event times.

    The textbook statistic (Mantel 1966; Klein & Moeschberger 2003, sec.
    7.3): at each event time t, with d events among n at risk, group g
    expects n_g d / n; V_gh = sum_t d (n - d) / (n - 1) * n_g / n * (1[g=h] - n_h / n);
    chi2 = (O - E)' V^- (O - E) over the first k - 1 groups. It equals
    statsmodels' ``survdiff`` (checked in the tests, with lifelines), which
    loops in Python and is slow on a million contacts.
    """
    g, labels = pd.factorize(np.asarray(groups), sort=True)  # hashing, not sorting, the labels
    k = len(labels)
    times, t_index = np.unique(durations, return_inverse=True)
    T = len(times)
    # per time x group: events and exits (events or censoring at that time)
    cell = t_index * k + g
    d = np.bincount(cell, weights=np.asarray(events, dtype=float), minlength=T * k).reshape(T, k)
    exits = np.bincount(cell, minlength=T * k).reshape(T, k).astype(float)
    at_risk = exits[::-1].cumsum(axis=0)[::-1]  # n_g(t): still waiting at time t
    d_all, n_all = d.sum(axis=1), at_risk.sum(axis=1)
    keep = d_all > 0
    d, at_risk, d_all, n_all = d[keep], at_risk[keep], d_all[keep], n_all[keep]
    expected = (at_risk * (d_all / n_all)[:, None]).sum(axis=0)
    observed = d.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(n_all > 1, d_all * (n_all - d_all) / (n_all - 1), 0.0) / n_all
    share = at_risk / n_all[:, None]
    variance = np.diag((w[:, None] * at_risk).sum(axis=0)) - (at_risk * w[:, None]).T @ share
    diff = (observed - expected)[: k - 1]
    return float(diff @ np.linalg.solve(variance[: k - 1, : k - 1], diff))


def logrank(durations, events, groups, max_groups: int = 40) -> LogRank:
    """Log-rank test of equal time-to-response curves."""
    durations = np.asarray(durations, dtype=float)
    events = np.asarray(events, dtype=float)
    groups = np.asarray(groups)
    k = len(pd.unique(groups))
    if k < 2:
        return LogRank(None, None, None, (Note(SINGLE_GROUP, "log-rank needs two groups"),))
    if k > max_groups:
        return LogRank(None, None, None, (Note(
            TOO_MANY_GROUPS, f"log-rank across {k} groups skipped (limit {max_groups})"),))
    if events.sum() == 0:
        return LogRank(None, None, None, (Note(NO_RESPONSES, "no timed responses: no log-rank test"),))
    try:
        chisq = logrank_statistic(durations, events, groups)
    except np.linalg.LinAlgError:
        return LogRank(None, None, None, (Note(NO_RESPONSES, "log-rank variance is singular"),))
    if not np.isfinite(chisq):
        return LogRank(None, None, None, (Note(NO_RESPONSES, "log-rank statistic undefined"),))
    # chi2.sf, not 1 - cdf, which underflows to 0 for large statistics
    return LogRank(float(chisq), k - 1, float(stats.chi2.sf(chisq, k - 1)))


def logrank_table(table: pd.DataFrame, by: str, config: ResultsConfig = ResultsConfig()) -> LogRank:
    col = schema.group_column(table, by)
    sv = schema.survival_frame(table)
    g = schema.labels(table[col]).loc[sv.index].to_numpy()
    return logrank(sv["duration"].to_numpy(), sv["event"].to_numpy(), g, config.max_logrank_groups)


def curves_frame(fits: dict[str, KaplanMeier], alpha: float = 0.05, max_points: int = 400) -> pd.DataFrame:
    """Long frame (group, hours, answered, ci_low, ci_high) for charts.

    'answered' = 1 - S(t), the cumulative share answered. Each curve is
    thinned to at most `max_points` steps so charts stay under Altair's
    5,000-row limit.
    """
    rows = []
    for g, km in fits.items():
        t = np.concatenate([[0.0], km.times, [km.max_time]])
        s = np.concatenate([[1.0], km.surv, [km.surv[-1] if len(km.surv) else 1.0]])
        vl = np.concatenate([[0.0], km.var_log, [km.var_log[-1] if len(km.var_log) else 0.0]])
        if len(t) > max_points:
            idx = np.unique(np.linspace(0, len(t) - 1, max_points).round().astype(int))
            t, s, vl = t[idx], s[idx], vl[idx]
        lo, hi = loglog_band(s, vl, alpha)
        rows.append(pd.DataFrame({"group": g, "hours": t, "answered": 1 - s,
                                  "ci_low": 1 - hi, "ci_high": 1 - lo}))
    if not rows:
        return pd.DataFrame(columns=["group", "hours", "answered", "ci_low", "ci_high"])
    return pd.concat(rows, ignore_index=True)
