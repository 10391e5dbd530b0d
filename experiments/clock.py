"""One injectable clock for scheduler, runner and collector.

Everything that asks "what time is it?" takes a ``Clock``; tests and the
sandbox's fast demos pass their own. Times are aware datetimes in UTC.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

UTC = dt.timezone.utc


class Clock:
    simulated = False

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC).replace(microsecond=0)


@dataclass
class FixedClock(Clock):
    """A clock that only moves when told to (tests)."""

    current: dt.datetime
    simulated = True

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, **delta) -> None:
        self.current += dt.timedelta(**delta)


@dataclass
class FastClock(Clock):
    """Simulated time running ``speed`` times faster than real time from ``start``."""

    start: dt.datetime
    speed: float = 1.0
    _origin: float = field(default_factory=time.monotonic)
    simulated = True

    def now(self) -> dt.datetime:
        elapsed = (time.monotonic() - self._origin) * self.speed
        return (self.start + dt.timedelta(seconds=elapsed)).replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    """Stored form of a time: UTC, seconds, explicit offset (sorts as text)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Knock stores only aware times")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)
