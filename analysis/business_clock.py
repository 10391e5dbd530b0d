"""Time to reply counted in business hours: only the target's opening hours, in its own zone.

A reply on Monday 10:00 to an inquiry sent Friday 16:00 (opening 09-17)
took 66 wall-clock hours but 2 business hours; judging companies by the
second is fairer to those that are closed at weekends.

For each distinct schedule (hours and timezone) the UTC opening windows
over the study's date range are built once, with the business seconds
elapsed before each window; a timestamp's business time is then one
``searchsorted`` away, so a million contacts convert in well under a second.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from experiments.calendar import local_windows
from experiments.model import Experiment


class _Schedule:
    def __init__(self, windows: list[tuple[dt.datetime, dt.datetime]]):
        self.starts = np.array([w[0].timestamp() for w in windows])
        self.ends = np.array([w[1].timestamp() for w in windows])
        self.before = np.concatenate([[0.0], np.cumsum(self.ends - self.starts)])[:-1]

    def business_seconds(self, epoch: np.ndarray) -> np.ndarray:
        """Business seconds from the first window to each instant (NaN stays NaN)."""
        index = np.searchsorted(self.starts, epoch, side="right") - 1
        inside = np.clip(epoch - self.starts[np.clip(index, 0, None)], 0, None)
        length = self.ends - self.starts
        elapsed = np.minimum(inside, length[np.clip(index, 0, None)])
        result = np.where(index >= 0, self.before[np.clip(index, 0, None)] + elapsed, 0.0)
        return np.where(np.isnan(epoch), np.nan, result)


def to_business_hours(table: pd.DataFrame, experiment: Experiment) -> pd.DataFrame:
    """A copy of the analysis table whose hours columns count business hours only."""
    out = table.copy()
    if out.empty:
        return out
    sent = out["sent_at"]
    first_day = (sent.min() - pd.Timedelta(days=2)).date()
    days = (out["window_end"].max() - sent.min()).days + 5
    schedules: dict[tuple, _Schedule] = {}
    hours_to_human = np.full(len(out), np.nan)
    followup = np.full(len(out), np.nan)
    for target in experiment.targets:
        mask = (out["target_id"] == target.id).to_numpy()
        if not mask.any():
            continue
        hours = experiment.hours_for(target)
        key = (hours.model_dump_json(), target.timezone)
        if key not in schedules:
            schedules[key] = _Schedule(local_windows(hours, target.timezone, first_day, days))
        schedule = schedules[key]
        start = _epoch(sent[mask])
        reply = _epoch(out.loc[mask, "sent_at"] + pd.to_timedelta(out.loc[mask, "hours_to_human"], unit="h"))
        end = _epoch(out.loc[mask, "sent_at"] + pd.to_timedelta(out.loc[mask, "followup_hours"], unit="h"))
        base = schedule.business_seconds(start)
        hours_to_human[mask] = (schedule.business_seconds(reply) - base) / 3600
        followup[mask] = (schedule.business_seconds(end) - base) / 3600
    out["hours_to_human"] = hours_to_human
    out["followup_hours"] = followup
    out.attrs["clock"] = "business hours"
    return out


def _epoch(series: pd.Series) -> np.ndarray:
    values = pd.to_datetime(series, utc=True)
    epoch = values.astype("int64").to_numpy(dtype=float) / 1e9
    return np.where(values.isna().to_numpy(), np.nan, epoch)
