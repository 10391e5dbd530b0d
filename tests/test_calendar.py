"""Business hours in each target's own timezone, across DST changes.

Reference offsets: UK clocks go forward on 2026-03-29 (GMT+0 -> BST+1),
US clocks on 2026-03-08 (EST-5 -> EDT-4), Sydney's go back on 2026-04-05
(AEDT+11 -> AEST+10).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from experiments.assignment import plan
from experiments.calendar import is_business_time, local_windows, next_business_time
from experiments.model import BusinessHours
from tests.factories import make_experiment

UTC = dt.timezone.utc
NINE_TO_FIVE = BusinessHours()


def opening_utc(zone, day):
    (start, _), = local_windows(NINE_TO_FIVE, zone, day, 1)
    return start


def test_london_opening_moves_an_hour_earlier_in_utc_after_clocks_go_forward():
    assert dt.datetime(2026, 3, 27, 9, 0, tzinfo=UTC) == opening_utc("Europe/London", dt.date(2026, 3, 27))
    assert dt.datetime(2026, 3, 30, 8, 0, tzinfo=UTC) == opening_utc("Europe/London", dt.date(2026, 3, 30))


def test_new_york_and_sydney_offsets_change_on_their_own_dates():
    assert dt.datetime(2026, 3, 6, 14, 0, tzinfo=UTC) == opening_utc("America/New_York", dt.date(2026, 3, 6))
    assert dt.datetime(2026, 3, 9, 13, 0, tzinfo=UTC) == opening_utc("America/New_York", dt.date(2026, 3, 9))
    assert dt.datetime(2026, 4, 2, 22, 0, tzinfo=UTC) == opening_utc("Australia/Sydney", dt.date(2026, 4, 3))
    assert dt.datetime(2026, 4, 5, 23, 0, tzinfo=UTC) == opening_utc("Australia/Sydney", dt.date(2026, 4, 6))


def test_weekends_are_closed():
    assert [] == local_windows(NINE_TO_FIVE, "Europe/London", dt.date(2026, 3, 28), 2)


def test_every_planned_time_is_in_business_hours_locally_across_dst():
    for seed in range(30):
        experiment = make_experiment(n_targets=8, seed=seed, start="2026-03-02", days=42,
                                     variants=("a", "b", "c"))
        for contact in plan(experiment, b"k"):
            zone = experiment.target(contact.target_id).timezone
            local = contact.planned_at.astimezone(ZoneInfo(zone))
            assert local.weekday() < 5, (zone, local)
            assert dt.time(9) <= local.time() < dt.time(17), (zone, local)
            assert is_business_time(contact.planned_at, NINE_TO_FIVE, zone)


def test_next_business_time_skips_the_night_and_the_weekend():
    friday_evening = dt.datetime(2026, 3, 27, 18, 30, tzinfo=UTC)  # 18:30 GMT, Friday
    assert dt.datetime(2026, 3, 30, 8, 0, tzinfo=UTC) == next_business_time(
        friday_evening, NINE_TO_FIVE, "Europe/London")
    inside = dt.datetime(2026, 3, 27, 10, 0, tzinfo=UTC)
    assert inside == next_business_time(inside, NINE_TO_FIVE, "Europe/London")
