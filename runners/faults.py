"""Fault injection for crash tests: pause a worker at a named phase so a test can kill it there.

Active only when ``KNOCK_FAULT_PAUSE=phase:seconds`` is set (tests set it for
the worker processes they start). At the phase the worker writes
``phase-CONTACT`` into ``KNOCK_FAULT_MARKERS`` (a directory) and sleeps.
Phases: ``before_gate``, ``after_gate`` (durably submitting, not yet
clicked), ``after_submit`` (clicked, outcome not yet recorded).
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def pause_at(phase: str, contact_id: int) -> None:
    setting = os.environ.get("KNOCK_FAULT_PAUSE", "")
    if not setting:
        return
    wanted, _, seconds = setting.partition(":")
    if wanted != phase:
        return
    markers = Path(os.environ.get("KNOCK_FAULT_MARKERS", "."))
    markers.mkdir(parents=True, exist_ok=True)
    (markers / f"{phase}-{contact_id}").write_text(str(os.getpid()))
    time.sleep(float(seconds or 60))
