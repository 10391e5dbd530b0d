"""The sandbox's own clock: simulated time that may run fast or stand still.

A demo wants days of support-staff behaviour to pass in a minute
(``speed=3600`` is one simulated hour per real second); a test wants time
to stand still (``speed=0``) and move only when told (``advance``). Every
timestamp the sandbox writes (ledger, Date headers, Maildir mtimes) comes
from here, so the whole world agrees on what time it is.

    >>> clock = SandboxClock(datetime(2030, 1, 7, 9, tzinfo=timezone.utc), speed=0)
    >>> clock.advance(timedelta(hours=2)); clock.now().hour
    11
"""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime, timedelta, timezone


class SandboxClock:
    """Simulated UTC time: ``start + offset + (real elapsed) * speed``."""

    def __init__(self, start: datetime | None = None, speed: float = 1.0, monotonic=time.monotonic):
        if speed < 0:
            raise ValueError("speed must be >= 0 (0 stops the clock; use advance())")
        if start is not None and start.tzinfo is None:
            raise ValueError("start must be timezone-aware, e.g. datetime(..., tzinfo=timezone.utc)")
        self._monotonic = monotonic
        self._start = (start or datetime.now(timezone.utc)).astimezone(timezone.utc)
        self._t0 = monotonic()
        self._offset = timedelta(0)
        self._lock = threading.Lock()
        self.speed = float(speed)
        # Results computed under a clock that is not the wall clock must say so.
        self.simulated = start is not None or speed != 1.0

    def now(self) -> datetime:
        """The current simulated time, UTC."""
        with self._lock:
            elapsed = (self._monotonic() - self._t0) * self.speed
            return self._start + self._offset + timedelta(seconds=elapsed)

    def advance(self, delta: timedelta) -> None:
        """Jump forward (tests, demos): due mail is then delivered."""
        if delta < timedelta(0):
            raise ValueError("the sandbox clock never runs backwards")
        with self._lock:
            self._offset += delta

    def real_seconds_until(self, when: datetime) -> float:
        """Real seconds until ``when``: 0 if past, inf if the clock is stopped."""
        remaining = (when - self.now()).total_seconds()
        if remaining <= 0:
            return 0.0
        return math.inf if self.speed == 0 else remaining / self.speed


def iso(dt: datetime) -> str:
    """The ledger's timestamp format: UTC ISO 8601 with offset, to the second."""
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")


def iso_ms(dt: datetime) -> str:
    """Like ``iso`` but to the millisecond: for arrival times, which order events."""
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds")
