"""The analysis table's contract and the small derived columns every module needs.

One row per contact (see DESIGN.md and analysis/table.py, which builds it).
Functions here never change the table; they return new Series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = (
    "contact_id",
    "experiment_id",
    "company",
    "channel",
    "variant",
    "persona",
    "sent_at",
    "delivered",
    "exclusion",
    "first_any_at",
    "first_human_at",
    "first_auto_at",
    "bounced_at",
    "window_end",
    "responded_human",
    "responded_any",
    "hours_to_human",
    "followup_hours",
)

STRATUM_PREFIX = "stratum_"

# The exclusion reason of contacts that have not gone out yet (not a delivery failure).
NOT_SENT = "not sent yet"
GROUPABLE = ("variant", "channel", "company", "persona")

# Two windows whose lengths differ by less than this (hours) are the same window.
_WINDOW_TOLERANCE_H = 1e-6


class AnalysisTableError(ValueError):
    """The analysis table does not follow the contract: build it with analysis.table."""


def check_table(table: pd.DataFrame, by: str | None = None) -> None:
    """Raise AnalysisTableError when columns are missing or `by` is not a column."""
    if not isinstance(table, pd.DataFrame):
        raise AnalysisTableError(f"expected a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise AnalysisTableError(
            f"analysis table is missing columns {missing}: build it with analysis.table"
        )
    if by is not None and by not in table.columns:
        alt = STRATUM_PREFIX + by
        if alt not in table.columns:
            choices = [*GROUPABLE, *(c[len(STRATUM_PREFIX):] for c in stratum_columns(table))]
            raise AnalysisTableError(f"cannot group by {by!r}: choose one of {', '.join(choices)}")


def group_column(table: pd.DataFrame, by: str) -> str:
    """The column holding `by`: itself, or its `stratum_` form ("industry")."""
    return by if by in table.columns else STRATUM_PREFIX + by


def stratum_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c.startswith(STRATUM_PREFIX)]


def labels(series: pd.Series) -> pd.Series:
    """Group labels as strings; missing values become '(missing)'."""
    return series.astype("object").where(series.notna(), "(missing)").astype(str)


def delivered(table: pd.DataFrame) -> pd.DataFrame:
    """Rows that count for rates: delivered contacts only."""
    return table.loc[table["delivered"].fillna(False).astype(bool)]


def window_hours(table: pd.DataFrame) -> pd.Series:
    """Hours each contact has been observed for: window_end - sent_at."""
    delta = table["window_end"] - table["sent_at"]
    return delta.dt.total_seconds() / 3600.0


def time_unknown(table: pd.DataFrame) -> pd.Series:
    """Human reply known but not when (imported studies): usable for rates only."""
    return table["responded_human"].astype(bool) & table["hours_to_human"].isna()


def planned_window_hours(table: pd.DataFrame) -> float:
    """The full response window: the longest observation any contact had."""
    w = window_hours(table)
    return float(w.max()) if len(w) and w.notna().any() else float("nan")


def open_mask(table: pd.DataFrame) -> pd.Series:
    """Contacts still inside their window (censored at 'now' before the window ended)."""
    w = window_hours(table)
    full = planned_window_hours(table)
    if not np.isfinite(full):
        return pd.Series(False, index=table.index)
    return w < full - _WINDOW_TOLERANCE_H


def survival_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Durations and events for time-to-first-human-response.

    Delivered contacts with a known time: duration = followup_hours, event =
    responded_human. Contacts with a reply of unknown time are dropped here
    (callers report how many); so are rows without followup.
    """
    d = delivered(table)
    keep = ~time_unknown(d) & d["followup_hours"].notna()
    out = pd.DataFrame(
        {
            "duration": d.loc[keep, "followup_hours"].astype(float).clip(lower=0.0),
            "event": d.loc[keep, "responded_human"].astype(bool).astype(np.int8),
        },
        index=d.index[keep],
    )
    return out


def split_positions(labels: pd.Series, groups: list[str]) -> dict[str, np.ndarray]:
    """Row positions of each group, from one stable sort (fast for 1,000+ groups)."""
    codes = pd.Categorical(labels, categories=groups).codes
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(groups) + 1))
    return {g: order[bounds[i]:bounds[i + 1]] for i, g in enumerate(groups)}
