"""Status lifecycle and the pre-registration lock.

``draft -> armed -> live -> closed``. Arming stores a hash of everything a
reviewer would call the design (hypothesis, seed, design, variants,
personas, targets, windows, caps, and the plan itself) with its time; from
then on a changed design is refused, while operational details that do not
touch the design (a recipe's locators, the title, the opt-out list, the
coding scheme, the publication setting) may still be corrected.
"""

from __future__ import annotations

import hashlib
import json

from experiments.assignment import PlannedContact
from experiments.clock import iso
from experiments.model import Experiment

TRANSITIONS = {
    "draft": {"armed", "closed"},
    "armed": {"live", "closed"},
    "live": {"closed"},
    "closed": set(),
}


def prereg_content(experiment: Experiment, plan: list[PlannedContact]) -> dict:
    """The registered parts of an experiment, as plain data."""
    data = experiment.model_dump(mode="json")
    for key in ("title", "coding", "publication"):
        data.pop(key, None)
    data["ethics"].pop("opt_out", None)
    for target in data["targets"]:
        for channel in target["channels"]:
            channel.pop("recipe", None)
    data["plan"] = [
        {"key": c.key, "persona": c.persona_id, "planned_at": iso(c.planned_at)} for c in plan
    ]
    return data


def prereg_hash(experiment: Experiment, plan: list[PlannedContact]) -> str:
    canonical = json.dumps(prereg_content(experiment, plan), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def allowed(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, set())
