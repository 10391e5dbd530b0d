"""Response rates per group: the first thing a reader asks.

Rates count only delivered contacts; blocked, failed, bounced and uncertain
contacts are counted per reason instead. Intervals are Wilson score
intervals (Wilson 1927; recommended by Newcombe 1998, Stat Med 17:857, and
Brown, Cai & DasGupta 2001) -- statsmodels' default would be Wald.

    >>> from analysis.synthetic import synthetic_table
    >>> r = group_rates(synthetic_table(seed=1), "variant")
    >>> [g.group for g in r]
    ['A', 'B']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from . import schema
from .config import (
    ALL_RESPONDED,
    BEYOND_FOLLOWUP,
    NO_DELIVERED,
    NO_RESPONSES,
    OPEN_CONTACTS,
    TIME_UNKNOWN,
    Note,
    ResultsConfig,
)

# The lead-response-audit buckets (as in the Harvard Business Review / InsideSales
# lead response studies): within an hour, same day, later, never.
BUCKETS = ("within_1h", "1_to_24h", "over_24h", "none", "time_unknown")


@dataclass(frozen=True)
class Share:
    """Share of contacts answered by a human within `hours`.

    Only contacts observed for at least `hours` count (`eligible`), so a
    contact sent an hour ago never lowers the 24-hour share.
    """

    hours: float
    answered: int
    eligible: int
    share: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class GroupRates:
    group: str
    n: int
    responded: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    responded_any: int
    rate_any: float | None
    any_ci_low: float | None
    any_ci_high: float | None
    shares: tuple[Share, ...]
    buckets: dict[str, int]
    excluded: dict[str, int]
    n_time_unknown: int
    n_open: int
    notes: tuple[Note, ...] = field(default=())


def wilson(count, nobs, alpha: float = 0.05):
    """Wilson score interval; arrays welcome; None where nobs == 0."""
    count = np.asarray(count, dtype=float)
    nobs = np.asarray(nobs, dtype=float)
    safe = np.where(nobs > 0, nobs, 1.0)
    lo, hi = proportion_confint(count, safe, alpha=alpha, method="wilson")
    lo = np.where(nobs > 0, lo, np.nan)
    hi = np.where(nobs > 0, hi, np.nan)
    return lo, hi


def _opt(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def group_rates(
    table: pd.DataFrame, by: str, config: ResultsConfig = ResultsConfig()
) -> list[GroupRates]:
    """Per-group delivered count, human and any-response rates, shares, buckets."""
    schema.check_table(table, by)
    col = schema.group_column(table, by)
    label = schema.labels(table[col])
    is_deliv = table["delivered"].fillna(False).astype(bool)
    human = table["responded_human"].fillna(False).astype(bool) & is_deliv
    anyr = table["responded_any"].fillna(False).astype(bool) & is_deliv
    hours = table["hours_to_human"].astype(float)
    unknown = human & hours.isna()
    win = schema.window_hours(table)
    opened = schema.open_mask(table) & is_deliv

    frame = pd.DataFrame(
        {
            "g": label,
            "n": is_deliv,
            "responded": human,
            "responded_any": anyr,
            "unknown": unknown,
            "open": opened,
            "b1": human & (hours <= 1),
            "b24": human & (hours > 1) & (hours <= 24),
            "bover": human & (hours > 24),
            "none": is_deliv & ~human,
        }
    )
    known = is_deliv & ~unknown
    for i, h in enumerate(config.fixed_hours):
        elig = known & (win >= h - 1e-9)
        frame[f"e{i}"] = elig
        frame[f"a{i}"] = elig & human & (hours <= h)
    sums = frame.groupby("g", sort=True).sum()

    excl = table.loc[~is_deliv]
    reasons = schema.labels(excl["exclusion"]).where(excl["exclusion"].notna(), "not_delivered")
    excl_counts = (
        pd.crosstab(label.loc[excl.index], reasons) if len(excl) else pd.DataFrame()
    )

    alpha = config.alpha
    lo, hi = wilson(sums["responded"], sums["n"], alpha)
    alo, ahi = wilson(sums["responded_any"], sums["n"], alpha)
    share_ci = [
        wilson(sums[f"a{i}"], sums[f"e{i}"], alpha) for i in range(len(config.fixed_hours))
    ]

    out = []
    for j, (g, row) in enumerate(sums.iterrows()):
        n = int(row["n"])
        k = int(row["responded"])
        notes = []
        if n == 0:
            notes.append(Note(NO_DELIVERED, "no delivered contacts: no rate", g))
        elif k == 0:
            notes.append(Note(NO_RESPONSES, "no human responses", g))
        elif k == n:
            notes.append(Note(ALL_RESPONDED, "every contact was answered", g))
        if row["unknown"]:
            notes.append(
                Note(
                    TIME_UNKNOWN,
                    f"{int(row['unknown'])} replies have no time: counted in rates, "
                    "left out of timing",
                    g,
                )
            )
        if row["open"]:
            notes.append(
                Note(
                    OPEN_CONTACTS,
                    f"{int(row['open'])} contacts are still inside their response "
                    "window: rates are provisional",
                    g,
                )
            )
        shares = []
        for i, h in enumerate(config.fixed_hours):
            e, a = int(row[f"e{i}"]), int(row[f"a{i}"])
            if n and e == 0:
                notes.append(
                    Note(BEYOND_FOLLOWUP, f"no contact observed for {h:g} h yet", g)
                )
            shares.append(
                Share(
                    h,
                    a,
                    e,
                    a / e if e else None,
                    _opt(share_ci[i][0][j]),
                    _opt(share_ci[i][1][j]),
                )
            )
        excluded = (
            {r: int(c) for r, c in excl_counts.loc[g].items() if c}
            if g in excl_counts.index
            else {}
        )
        out.append(
            GroupRates(
                group=str(g),
                n=n,
                responded=k,
                rate=k / n if n else None,
                ci_low=_opt(lo[j]),
                ci_high=_opt(hi[j]),
                responded_any=int(row["responded_any"]),
                rate_any=float(row["responded_any"]) / n if n else None,
                any_ci_low=_opt(alo[j]),
                any_ci_high=_opt(ahi[j]),
                shares=tuple(shares),
                buckets={
                    "within_1h": int(row["b1"]),
                    "1_to_24h": int(row["b24"]),
                    "over_24h": int(row["bover"]),
                    "none": int(row["none"]),
                    "time_unknown": int(row["unknown"]),
                },
                excluded=excluded,
                n_time_unknown=int(row["unknown"]),
                n_open=int(row["open"]),
                notes=tuple(notes),
            )
        )
    return out


def counts(rates: list[GroupRates]) -> pd.DataFrame:
    """Sufficient statistics (group, n, responded) for tests and comparisons."""
    return pd.DataFrame(
        {"group": [r.group for r in rates], "n": [r.n for r in rates], "responded": [r.responded for r in rates]}
    )
