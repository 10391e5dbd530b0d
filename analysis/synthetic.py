"""Seeded synthetic analysis tables with known truth, for tests and benchmarks.

Every company x channel x variant cell gets `contacts_per_cell` contacts.
The probability of a human reply *within the window* is

    logit p = logit(variant_rates[variant]) + channel_effects[channel] + u_company,
    u_company ~ Normal(0, company_sd)

so with company_sd=0 and no channel effects each variant's true rate is
exactly `variant_rates[variant]`. Reply delays are drawn from an
exponential or lognormal distribution truncated to the window (inverse-CDF
sampling), so a responder always answers inside the window.

    >>> t = synthetic_table(seed=1, n_companies=20)
    >>> sorted(t["variant"].unique())
    ['A', 'B']
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, logit

START = pd.Timestamp("2025-03-03 09:00", tz="UTC")
_INDUSTRIES = ("retail", "finance", "health", "software", "travel")


def _truncated_delays(rng, size, window_hours, dist, median_hours, sigma):
    """Delays in hours drawn from `dist` conditioned on being <= window_hours."""
    if dist == "exponential":
        law = stats.expon(scale=median_hours / np.log(2))
    elif dist == "lognormal":
        law = stats.lognorm(s=sigma, scale=median_hours)
    else:
        raise ValueError(f"dist must be 'exponential' or 'lognormal', got {dist!r}")
    top = law.cdf(window_hours)
    u = rng.uniform(0.0, top, size=size)
    return law.ppf(u)


def synthetic_table(
    seed: int = 0,
    n_companies: int = 40,
    channels: Sequence[str] = ("web_form", "email"),
    variants: Sequence[str] = ("A", "B"),
    contacts_per_cell: int = 1,
    variant_rates: Mapping[str, float] | None = None,
    channel_effects: Mapping[str, float] | None = None,
    company_sd: float = 0.0,
    dist: str = "lognormal",
    median_hours: float = 20.0,
    sigma: float = 1.2,
    window_hours: float = 14 * 24.0,
    auto_reply_rate: float = 0.3,
    bounce_rate: float = 0.0,
    blocked_rate: float = 0.0,
    send_days: float = 10.0,
    now: pd.Timestamp | None = None,
    time_unknown_fraction: float = 0.0,
    experiment_id: str = "synthetic",
) -> pd.DataFrame:
    """An analysis table following the contract in analysis/schema.py.

    `now` (UTC) cuts observation short for a running experiment: replies
    after `now` are not seen and window_end = min(sent_at + window, now).
    `time_unknown_fraction` of human replies lose their time, as in an
    imported study that recorded only "responded".
    """
    rng = np.random.default_rng(seed)
    variants = list(variants)
    channels = list(channels)
    if variant_rates is None:
        variant_rates = {v: 0.5 - 0.15 * i / max(len(variants) - 1, 1) for i, v in enumerate(variants)}
    channel_effects = dict(channel_effects or {})

    companies = np.array([f"company_{i:04d}" for i in range(n_companies)], dtype=object)
    nc, nch, nv, r = n_companies, len(channels), len(variants), contacts_per_cell
    n = nc * nch * nv * r
    ci = np.repeat(np.arange(nc), nch * nv * r)
    chi = np.tile(np.repeat(np.arange(nch), nv * r), nc)
    vi = np.tile(np.repeat(np.arange(nv), r), nc * nch)

    base = logit(np.array([variant_rates[v] for v in variants]))[vi]
    ch_eff = np.array([channel_effects.get(c, 0.0) for c in channels])[chi]
    u = rng.normal(0.0, company_sd, size=nc)[ci] if company_sd > 0 else 0.0
    p = expit(base + ch_eff + u)

    sent_h = rng.uniform(0.0, send_days * 24.0, size=n)
    sent_at = START + pd.to_timedelta(sent_h, unit="h")
    window_end = sent_at + pd.Timedelta(hours=window_hours)

    status = rng.uniform(size=n)
    blocked = status < blocked_rate
    bounced = (~blocked) & (status < blocked_rate + bounce_rate)
    delivered = ~(blocked | bounced)

    human = delivered & (rng.uniform(size=n) < p)
    delay = _truncated_delays(rng, n, window_hours, dist, median_hours, sigma)
    auto = delivered & (rng.uniform(size=n) < auto_reply_rate)
    auto_delay = rng.exponential(0.05, size=n)  # auto-acknowledgements within minutes
    bounce_delay = rng.exponential(0.1, size=n)

    if now is not None:
        now = pd.Timestamp(now)
        window_end = window_end.where(window_end <= now, now)
    observed_h = ((window_end - sent_at).total_seconds() / 3600.0).to_numpy()
    observed_h = np.maximum(observed_h, 0.0)

    human_seen = human & (delay <= observed_h)
    auto_seen = auto & (auto_delay <= observed_h)
    bounce_seen = bounced & (bounce_delay <= observed_h)

    td = lambda hours, mask: pd.Series(sent_at + pd.to_timedelta(np.where(mask, hours, np.nan), unit="h"))  # noqa: E731
    first_human_at = td(delay, human_seen)
    first_auto_at = td(auto_delay, auto_seen)
    bounced_at = td(bounce_delay, bounce_seen)
    first_any_at = pd.concat([first_human_at, first_auto_at], axis=1).min(axis=1)

    hours_to_human = np.where(human_seen, delay, np.nan)
    followup = np.where(human_seen, delay, observed_h)
    if time_unknown_fraction > 0:
        lose = human_seen & (rng.uniform(size=n) < time_unknown_fraction)
        hours_to_human = np.where(lose, np.nan, hours_to_human)
        first_human_at = first_human_at.where(~lose)

    exclusion = np.where(blocked, "blocked", np.where(bounced, "bounced", None))
    industry = np.array(_INDUSTRIES, dtype=object)[rng.integers(0, len(_INDUSTRIES), size=nc)][ci]
    table = pd.DataFrame(
        {
            "contact_id": np.arange(1, n + 1, dtype=np.int64),
            "experiment_id": experiment_id,
            "company": companies[ci],
            "channel": np.array(channels, dtype=object)[chi],
            "variant": np.array(variants, dtype=object)[vi],
            "persona": np.where(rng.uniform(size=n) < 0.5, "alex", "sam"),
            "sent_at": sent_at,
            "delivered": delivered,
            "exclusion": pd.Series(exclusion, dtype=object),
            "first_any_at": first_any_at,
            "first_human_at": first_human_at,
            "first_auto_at": first_auto_at,
            "bounced_at": bounced_at,
            "window_end": window_end,
            "responded_human": human_seen,
            "responded_any": human_seen | auto_seen,
            "hours_to_human": hours_to_human,
            "followup_hours": followup,
            "stratum_industry": industry,
        }
    )
    table.attrs["true_rates"] = dict(variant_rates)
    return table


def table_from_records(records, experiment_id: str = "handmade") -> pd.DataFrame:
    """A small analysis table from plain dicts, for worked examples and tests.

    Each record may give: company, channel, variant, persona, hours (hours to
    the first human reply, None = none), window (observed hours, default
    168), auto_hours, bounce_hours, delivered (default True), exclusion,
    time_unknown (reply with no time), sent_offset (hours after START), and
    any `stratum_*` keys.

        >>> table_from_records([{"variant": "A", "hours": 2.0}, {"variant": "B"}]).shape[0]
        2
    """
    rows = []
    for i, rec in enumerate(records):
        sent = START + pd.Timedelta(hours=float(rec.get("sent_offset", 0.0)))
        window = float(rec.get("window", 168.0))
        delivered = bool(rec.get("delivered", True))
        hours = rec.get("hours")
        human = delivered and (hours is not None and hours <= window or rec.get("time_unknown", False))
        unknown = bool(rec.get("time_unknown", False))
        auto = rec.get("auto_hours")
        auto_seen = delivered and auto is not None and auto <= window
        bounce = rec.get("bounce_hours")

        def at(h, ok):
            return sent + pd.Timedelta(hours=float(h)) if ok else pd.NaT

        first_human = at(hours, human and not unknown)
        first_auto = at(auto, auto_seen)
        row = {
            "contact_id": i + 1,
            "experiment_id": experiment_id,
            "company": rec.get("company", f"company_{i:03d}"),
            "channel": rec.get("channel", "web_form"),
            "variant": rec.get("variant", "A"),
            "persona": rec.get("persona", "alex"),
            "sent_at": sent,
            "delivered": delivered,
            "exclusion": rec.get("exclusion", None if delivered else "failed"),
            "first_human_at": first_human,
            "first_auto_at": first_auto,
            "bounced_at": at(bounce, bounce is not None),
            "window_end": sent + pd.Timedelta(hours=window),
            "responded_human": bool(human),
            "responded_any": bool(human or auto_seen),
            "hours_to_human": float(hours) if human and not unknown else np.nan,
            "followup_hours": float(hours) if human and not unknown else window,
        }
        stamps = [t for t in (first_human, first_auto) if not pd.isna(t)]
        row["first_any_at"] = min(stamps) if stamps else pd.NaT
        row.update({k: v for k, v in rec.items() if k.startswith("stratum_")})
        rows.append(row)
    table = pd.DataFrame(rows)
    for c in ("sent_at", "first_any_at", "first_human_at", "first_auto_at", "bounced_at", "window_end"):
        table[c] = pd.to_datetime(table[c], utc=True)
    table["exclusion"] = table["exclusion"].astype(object)
    return table


def table_from_counts(counts: Mapping[str, tuple[int, int]], by: str = "variant", **record) -> pd.DataFrame:
    """A table with, per group, `n` delivered contacts of which `k` were answered.

        >>> table_from_counts({"A": (10, 3)}).responded_human.sum()
        np.int64(3)
    """
    recs = []
    for g, (n, k) in counts.items():
        for i in range(n):
            rec = dict(record)
            rec[by] = g
            rec.setdefault("company", f"{g}_{i:05d}")
            rec["hours"] = 1.0 + i % 48 if i < k else None
            recs.append(rec)
    return table_from_records(recs)
