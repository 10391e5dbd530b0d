"""Competing outcomes: a human reply, an auto-acknowledgement only, or a bounce.

Each sent contact ends in exactly one class, so an auto-reply is never
counted as an answer:

    1 human       first human reply (at first_human_at)
    2 auto_only   no human reply in the window, an auto-reply (at first_auto_at)
    3 bounce      no human reply, a bounce (at bounced_at)
    0 censored    none of these by the end of the window (or "now")

Cumulative incidence per class is the Aalen-Johansen estimator (statsmodels
CumIncidenceRight; Kalbfleisch & Prentice 2002, s.8.2), which -- unlike
1 - KM for a single class -- does not treat the other classes as censoring.
Bounced contacts are not "delivered" (rates exclude them) but they were
sent, so they belong here; blocked/failed contacts never reached anyone
and are left out.

Classing "auto_only" uses the whole window (was there a later human
reply?), so read the auto-only curve as a description, not a hazard.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import CumIncidenceRight

from . import schema
from .config import NO_CONTACTS, TIME_UNKNOWN, Note, ResultsConfig
from .survival import loglog_band

CAUSES = ("human", "auto_only", "bounce")


def outcome_frame(table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """(frame with duration, status, index of the contact; number left out for unknown time)."""
    schema.check_table(table)
    sent = table["delivered"].astype(bool) | table["bounced_at"].notna() | (
        table["exclusion"].astype(str) == "bounced")
    t = table.loc[sent]
    human = t["responded_human"].astype(bool)
    unknown = human & t["hours_to_human"].isna()
    t = t.loc[~unknown]
    human = human.loc[t.index]
    win = schema.window_hours(t)

    def hours(col):
        return (t[col] - t["sent_at"]).dt.total_seconds() / 3600.0

    auto_h, bounce_h = hours("first_auto_at"), hours("bounced_at")
    auto = ~human & auto_h.notna() & (auto_h <= win)
    bounce = ~human & bounce_h.notna() & (bounce_h <= win)
    # a bounce is final; if a contact has both, the bounce wins over an auto-reply
    status = np.select([human, bounce, auto], [1, 3, 2], default=0)
    duration = np.select([human, bounce, auto],
                         [t["hours_to_human"].to_numpy(), bounce_h.to_numpy(), auto_h.to_numpy()],
                         default=win.to_numpy())
    out = pd.DataFrame({"duration": np.clip(duration, 0.0, None), "status": status}, index=t.index)
    return out, int(unknown.sum())


@dataclass(frozen=True)
class Incidence:
    group: str
    n: int
    counts: dict[str, int]
    at: tuple[dict, ...]  # {"hours", "<cause>", "<cause>_ci_low", "<cause>_ci_high"}
    auto_then_human: int  # auto-acknowledged, later answered by a person
    notes: tuple[Note, ...] = ()


def _at(times, curve, se, h):
    i = np.searchsorted(times, h, side="right")
    if i == 0:
        return 0.0, 0.0
    return float(curve[i - 1]), float(se[i - 1]) if se is not None else float("nan")


def cumulative_incidence(table: pd.DataFrame, by: str, config: ResultsConfig = ResultsConfig(),
                         hours: tuple[float, ...] | None = None) -> list[Incidence]:
    """Per group: counts per outcome and cumulative incidence at fixed hours.

    Intervals: statsmodels' delta-method variance (the Greenwood-type formula
    of Collett 2015, s.12.3 / SAS LIFETEST) on the log(-log) scale, so they
    stay inside [0, 1] -- as lifelines' AalenJohansenFitter does.
    """
    hours = hours if hours is not None else tuple(config.fixed_hours)
    frame, _ = outcome_frame(table)
    col = schema.group_column(table, by)
    lab = schema.labels(table[col])
    sent_lab = lab.loc[frame.index]
    unknown = (table["responded_human"].astype(bool) & table["hours_to_human"].isna()).groupby(lab).sum()
    auto_then = (table["responded_human"].astype(bool) & table["first_auto_at"].notna()
                 & (table["first_auto_at"] < table["first_human_at"])).groupby(lab).sum()
    out = []
    groups = sorted(lab.unique())
    pos = schema.split_positions(sent_lab, groups)
    for g in groups:
        part = frame.iloc[pos[g]]
        notes = []
        if int(unknown.get(g, 0)):
            notes.append(Note(TIME_UNKNOWN, f"{int(unknown[g])} replies without a time left out", g))
        counts = {c: int((part["status"] == i + 1).sum()) for i, c in enumerate(CAUSES)}
        counts["censored"] = int((part["status"] == 0).sum())
        rows = []
        if len(part) and part["status"].max() > 0:
            status = part["status"].to_numpy()
            # CumIncidenceRight numbers causes 1..max(status): pad so cause 3 always exists
            with np.errstate(all="ignore"):  # SE undefined once everyone had an outcome: handled below
                ci = CumIncidenceRight(part["duration"].to_numpy(), status)
            for h in hours:
                row = {"hours": h}
                for i, c in enumerate(CAUSES):
                    if i < len(ci.cinc):
                        est, se = _at(ci.times, ci.cinc[i], ci.cinc_se[i], h)
                    else:
                        est, se = 0.0, 0.0
                    se = se if np.isfinite(se) else 0.0
                    with np.errstate(divide="ignore", invalid="ignore"):
                        lo, hi = loglog_band([est], [(se / est) ** 2 if est > 0 else 0.0], config.alpha)
                    row[c] = est
                    row[f"{c}_ci_low"] = float(lo[0])
                    row[f"{c}_ci_high"] = float(hi[0])
                rows.append(row)
        elif not len(part):
            notes.append(Note(NO_CONTACTS, "no sent contacts", g))
        else:
            rows = [{"hours": h, **{c: 0.0 for c in CAUSES}} for h in hours]
        out.append(Incidence(g, len(part), counts, tuple(rows), int(auto_then.get(g, 0)), tuple(notes)))
    return out


def competing_section(table: pd.DataFrame, by: str, config: ResultsConfig = ResultsConfig()) -> dict:
    """JSON-ready section for Results."""
    inc = cumulative_incidence(table, by, config)
    sentences = []
    for x in inc:
        if x.n and x.at:
            last = x.at[-1]
            sentences.append(
                f"{x.group}: by {last['hours']:g} h, {100 * last['human']:.1f}% answered by a person, "
                f"{100 * last['auto_only']:.1f}% got only an automatic reply, "
                f"{100 * last['bounce']:.1f}% bounced.")
    return {"method": "aalen_johansen (statsmodels CumIncidenceRight)", "causes": list(CAUSES),
            "groups": [{"group": x.group, "n": x.n, "counts": x.counts, "at": list(x.at),
                        "auto_then_human": x.auto_then_human, "warnings": [n.code for n in x.notes]}
                       for x in inc],
            "sentences": sentences}
