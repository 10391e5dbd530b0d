"""Disconnect index: how differently one company treats its own channels.

For each company with at least two channels:
- rate spread = max - min of the human-response rate across its channels;
- time spread = max - min of the median hours to reply (among replies that
  came, per channel with at least one timed reply).

Uncertainty: a seeded nonparametric bootstrap that resamples contacts
within each company x channel cell (Efron & Tibshirani 1993, ch. 6;
percentile intervals, ch. 13). For a 0/1 outcome, resampling n contacts of
which k replied is exactly a Binomial(n, k/n) draw, which we use. Medians
are bootstrapped by resampling the replies within the cell (conditional on
their number). Companies are ranked by rate spread (1 = largest), with a
bootstrap interval for the rank.

Note: max - min of noisy rates is biased upward, more so with few contacts
per channel; compare companies with similar numbers of contacts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import schema
from .config import GROUP_TOO_SMALL, NO_CONTACTS, Note, ResultsConfig

MIN_CELL_N = 10


@dataclass(frozen=True)
class DisconnectResult:
    frame: pd.DataFrame  # one row per company, ranked
    n_boot: int
    seed: int
    notes: tuple[Note, ...] = ()

    def to_dict(self) -> dict:
        return {"method": "max-min across channels; within-cell bootstrap, percentile intervals",
                "n_boot": self.n_boot, "seed": self.seed,
                "companies": self.frame.to_dict(orient="records"),
                "warnings": [n.to_dict() for n in self.notes]}


def _spread_by_company(values: np.ndarray, company_codes: np.ndarray, n_companies: int) -> np.ndarray:
    """values: (cells, B) with NaN for missing; returns (companies, B) max - min ignoring NaN."""
    hi = np.full((n_companies, values.shape[1]), -np.inf)
    lo = np.full((n_companies, values.shape[1]), np.inf)
    cnt = np.zeros((n_companies, values.shape[1]))
    ok = np.isfinite(values)
    np.maximum.at(hi, company_codes, np.where(ok, values, -np.inf))
    np.minimum.at(lo, company_codes, np.where(ok, values, np.inf))
    np.add.at(cnt, company_codes, ok)
    return np.where(cnt >= 2, hi - lo, np.nan)


def _boot_medians(hours_by_cell: list[np.ndarray], n_boot: int, rng) -> np.ndarray:
    """(cells, B) bootstrap medians of each cell's reply times; NaN for cells without replies."""
    out = np.full((len(hours_by_cell), n_boot), np.nan)
    sizes = np.array([len(h) for h in hours_by_cell])
    for m in np.unique(sizes[sizes > 0]):
        cells_m = np.flatnonzero(sizes == m)
        step = max(1, 4_000_000 // (n_boot * m))  # bound memory: chunk x B x m draws at a time
        for start in range(0, len(cells_m), step):
            cells = cells_m[start:start + step]
            data = np.stack([hours_by_cell[c] for c in cells])  # (chunk, m)
            idx = rng.integers(0, m, size=(len(cells), n_boot, m))
            out[cells] = np.median(data[np.arange(len(cells))[:, None, None], idx], axis=2)
    return out


def disconnect_index(table: pd.DataFrame, config: ResultsConfig = ResultsConfig(),
                     n_boot: int = 500) -> DisconnectResult:
    """Per-company spread of response rate and median reply time across channels."""
    schema.check_table(table)
    d = schema.delivered(table)
    if d.empty:
        return DisconnectResult(pd.DataFrame(), n_boot, config.seed, (Note(NO_CONTACTS, "no delivered contacts"),))
    rng = np.random.default_rng(config.seed)
    key = [d["company"].astype(str), d["channel"].astype(str)]
    cells = d.groupby(key).agg(n=("responded_human", "size"), k=("responded_human", "sum"))
    timed = d.loc[d["responded_human"].astype(bool) & d["hours_to_human"].notna()]
    hours = timed.groupby([timed["company"].astype(str), timed["channel"].astype(str)])["hours_to_human"]
    hours_by_cell = [np.sort(hours.get_group(ix).to_numpy()) if ix in hours.groups else np.array([])
                     for ix in cells.index]
    companies = cells.index.get_level_values(0)
    codes, uniq = pd.factorize(companies)
    n, k = cells["n"].to_numpy(), cells["k"].to_numpy()
    rate = k / n
    med = np.array([np.median(h) if len(h) else np.nan for h in hours_by_cell])

    rate_spread = _spread_by_company(rate[:, None], codes, len(uniq))[:, 0]
    time_spread = _spread_by_company(med[:, None], codes, len(uniq))[:, 0]
    boot_rate = rng.binomial(n[:, None], rate[:, None], size=(len(n), n_boot)) / n[:, None]
    boot_rs = _spread_by_company(boot_rate, codes, len(uniq))
    boot_ts = _spread_by_company(_boot_medians(hours_by_cell, n_boot, rng), codes, len(uniq))
    a = 100 * config.alpha / 2
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: one-channel companies
            rs_lo, rs_hi = np.nanpercentile(boot_rs, [a, 100 - a], axis=1)
            ts_lo, ts_hi = np.nanpercentile(boot_ts, [a, 100 - a], axis=1)
    # ranks among companies with a spread (1 = largest); ties get the average rank
    have = np.isfinite(rate_spread)
    rank = np.full(len(uniq), np.nan)
    rank[have] = pd.Series(-rate_spread[have]).rank(method="average").to_numpy()
    boot_rank = pd.DataFrame(-boot_rs[have]).rank(axis=0, method="average").to_numpy()
    rk_lo = np.full(len(uniq), np.nan)
    rk_hi = np.full(len(uniq), np.nan)
    if have.any():
        rk_lo[have], rk_hi[have] = np.percentile(boot_rank, [a, 100 - a], axis=1)

    best = cells.assign(rate=rate).reset_index()
    best.columns = ["company", "channel", "n", "k", "rate"]
    top = best.sort_values("rate", ascending=False).groupby("company")["channel"].first()
    bottom = best.sort_values("rate").groupby("company")["channel"].first()
    n_ch = best.groupby("company").size()
    frame = pd.DataFrame({
        "company": uniq, "n_channels": n_ch.reindex(uniq).to_numpy(),
        "n_contacts": best.groupby("company")["n"].sum().reindex(uniq).to_numpy(),
        "min_channel_n": best.groupby("company")["n"].min().reindex(uniq).to_numpy(),
        "rate_spread": rate_spread, "rate_spread_ci_low": rs_lo, "rate_spread_ci_high": rs_hi,
        "best_channel": top.reindex(uniq).to_numpy(), "worst_channel": bottom.reindex(uniq).to_numpy(),
        "median_hours_spread": time_spread, "median_hours_spread_ci_low": ts_lo,
        "median_hours_spread_ci_high": ts_hi,
        "rank": rank, "rank_ci_low": rk_lo, "rank_ci_high": rk_hi,
    })
    frame.loc[~have, ["best_channel", "worst_channel"]] = None
    frame = frame.sort_values(["rank", "company"], na_position="last").reset_index(drop=True)
    notes = []
    if not have.any():
        notes.append(Note(NO_CONTACTS, "no company was contacted on two channels"))
    elif (frame.loc[frame["rank"].notna(), "min_channel_n"] < MIN_CELL_N).any():
        notes.append(Note(GROUP_TOO_SMALL, f"some companies have fewer than {MIN_CELL_N} contacts on a "
                          "channel: their spreads and bootstrap intervals are unreliable (a 0/1 channel "
                          "rate resamples to itself)"))
    notes = tuple(notes)
    return DisconnectResult(frame, n_boot, config.seed, notes)
