"""Time to reply in business hours: only the target's opening hours, in its own timezone.

Reference values are counted by hand from the calendar.
"""

import datetime as dt
import math

import pandas as pd

from analysis.business_clock import to_business_hours
from tests.factories import make_experiment

UTC = dt.timezone.utc


def row(target_id, sent, replied=None, window_h=14 * 24):
    sent = pd.Timestamp(sent, tz=UTC)
    hours = None if replied is None else (pd.Timestamp(replied, tz=UTC) - sent).total_seconds() / 3600
    return {"target_id": target_id, "sent_at": sent, "window_end": sent + pd.Timedelta(hours=window_h),
            "hours_to_human": hours if hours is not None else math.nan,
            "followup_hours": hours if hours is not None else window_h}


def test_a_weekend_does_not_count():
    experiment = make_experiment(n_targets=1)  # c0: Europe/London, mon-fri 09-17
    # Friday 2026-03-13 16:00 GMT -> Monday 2026-03-16 10:00 GMT: 1 h on Friday + 1 h on Monday
    table = pd.DataFrame([row("c0", "2026-03-13 16:00", "2026-03-16 10:00")])
    assert 2.0 == to_business_hours(table, experiment)["hours_to_human"].iloc[0]


def test_hours_are_local_to_the_target_across_a_dst_change():
    experiment = make_experiment(n_targets=2)  # c1: America/New_York
    # US clocks go forward on 2026-03-08. Sent Fri 2026-03-06 16:30 EST (21:30 UTC),
    # answered Mon 2026-03-09 09:30 EDT (13:30 UTC): 0.5 h + 0.5 h.
    table = pd.DataFrame([row("c1", "2026-03-06 21:30", "2026-03-09 13:30")])
    assert 1.0 == to_business_hours(table, experiment)["hours_to_human"].iloc[0]


def test_a_non_response_is_censored_after_the_business_hours_of_its_window():
    experiment = make_experiment(n_targets=1)
    # Sent Monday 2026-03-16 09:00 GMT, watched 7 days: five full business days of 8 h.
    table = pd.DataFrame([row("c0", "2026-03-16 09:00", None, window_h=7 * 24)])
    converted = to_business_hours(table, experiment)
    assert 40.0 == converted["followup_hours"].iloc[0]
    assert math.isnan(converted["hours_to_human"].iloc[0])


def test_sent_outside_hours_starts_counting_at_the_next_opening():
    experiment = make_experiment(n_targets=1)
    # Sent Saturday, answered Monday 09:45 GMT: 0.75 business hours.
    table = pd.DataFrame([row("c0", "2026-03-14 12:00", "2026-03-16 09:45")])
    assert 0.75 == to_business_hours(table, experiment)["hours_to_human"].iloc[0]
