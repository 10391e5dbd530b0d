"""The analysis table: one row per contact, built from the store.

Non-responses are censored at the end of the response window (or now, for
a running experiment), never dropped. Contacts that were never delivered
(blocked, failed, uncertain, skipped, bounced, or not sent yet) stay in the
table with ``delivered = False`` and an ``exclusion`` reason, so they are
excluded from rates and reported with counts.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from analysis.schema import NOT_SENT, STRATUM_PREFIX

EXCLUDED_STATES = {
    "blocked": "blocked (CAPTCHA, login wall or no form)",
    "failed": "failed (never delivered)",
    "uncertain": "uncertain (may or may not have gone out)",
    "skipped": "skipped (cap, opt-out or window)",
}
BOUNCED = "bounced"
TIME_COLUMNS = ("sent_at", "first_any_at", "first_human_at", "first_auto_at", "bounced_at")


def _times(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype="object"), utc=True, format="ISO8601")


def analysis_table(store, experiment_id: str, now: dt.datetime | None = None) -> pd.DataFrame:
    """The contract in analysis/schema.py, for one experiment."""
    columns, rows = store.analysis_rows(experiment_id)
    frame = pd.DataFrame.from_records(rows, columns=columns)
    window = pd.Timedelta(days=store.response_window_days(experiment_id))
    now_ts = pd.Timestamp(now or store.clock.now())
    for column in TIME_COLUMNS:
        frame[column] = _times(frame[column])
    for column in ("n_messages", "n_human", "n_bounce"):  # NULL when a contact has no message
        frame[column] = pd.to_numeric(frame[column], errors="coerce").fillna(0).astype(int)

    sent = frame["state"].eq("submitted") & frame["sent_at"].notna()
    # A human reply proves delivery, whatever bounce-like notice also came.
    bounced = frame["n_bounce"].gt(0) & frame["n_human"].eq(0)
    frame["exclusion"] = np.select(
        [~frame["state"].isin(["submitted", *EXCLUDED_STATES]), frame["state"].isin(list(EXCLUDED_STATES)), bounced],
        [NOT_SENT, frame["state"].map(EXCLUDED_STATES).fillna(""), BOUNCED], default=None)
    frame["exclusion"] = frame["exclusion"].where(frame["exclusion"].notna(), None)
    frame["delivered"] = sent & ~bounced

    frame["window_end"] = (frame["sent_at"] + window).where(lambda s: s <= now_ts, now_ts)
    human_in_window = frame["first_human_at"].notna() & (frame["first_human_at"] <= frame["window_end"])
    human_untimed = frame["first_human_at"].isna() & frame["n_human"].gt(0)  # imported without a time
    any_in_window = frame["first_any_at"].notna() & (frame["first_any_at"] <= frame["window_end"])
    any_untimed = frame["first_any_at"].isna() & frame["n_messages"].gt(0)
    frame["responded_human"] = (human_in_window | human_untimed) & frame["delivered"]
    frame["responded_any"] = (any_in_window | any_untimed) & frame["delivered"]
    hours = (frame["first_human_at"] - frame["sent_at"]).dt.total_seconds() / 3600
    frame["hours_to_human"] = hours.where(human_in_window)
    end = frame["first_human_at"].where(human_in_window, frame["window_end"])
    frame["followup_hours"] = (end - frame["sent_at"]).dt.total_seconds() / 3600
    _add_strata(frame)
    return frame.drop(columns=["n_messages", "n_human", "n_bounce", "target_strata", "contact_strata",
                               "last_error"]).reset_index(drop=True)


def _add_strata(frame: pd.DataFrame) -> None:
    """Target strata (one parse per target) plus any per-contact strata (imported studies)."""
    parsed: dict[str, dict] = {}
    target = [parsed.setdefault(raw, json.loads(raw or "{}")) for raw in frame["target_strata"]]
    contact = [parsed.setdefault(raw, json.loads(raw or "{}")) for raw in frame["contact_strata"]]
    keys = sorted({k for d in parsed.values() for k in d})
    for key in keys:
        frame[STRATUM_PREFIX + key] = [c.get(key, t.get(key)) for t, c in zip(target, contact)]
