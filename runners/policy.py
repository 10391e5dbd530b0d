"""Run-time safety: may this contact be knocked now?

Planning already respects caps and hours, but the world changes between
planning and running (an opt-out arrives, another study knocked on the
same company yesterday, a worker catches up after downtime), so every rule
is checked again right before each claim.

- Only a ``live`` experiment reaches anything but 127.0.0.1; an armed one
  may run against the sandbox; a draft only dry-runs.
- Opt-outs and the per-company cap skip the contact for good.
- Business hours (in the target's timezone) and per-domain spacing defer
  it. ``--now`` ignores planned times and, for the sandbox only, hours and
  spacing; real companies always get their spacing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from experiments.calendar import is_business_time, next_business_time
from experiments.clock import parse_iso
from experiments.model import Experiment
from experiments.safety import endpoint_host, is_sandbox_endpoint, opted_out
from runners.contact_job import channel_of

GO, DEFER, SKIP, REFUSE = "go", "defer", "skip", "refuse"


@dataclass(frozen=True)
class Decision:
    action: str
    reason: str = ""
    until: dt.datetime | None = None


def decide(store, experiment: Experiment, status: str, contact: dict, now: dt.datetime,
           ignore_schedule: bool = False, dry_run: bool = False, smtp_host: str = "127.0.0.1",
           dispatched: frozenset[str] = frozenset()) -> Decision:
    """``smtp_host`` is the relay email leaves through: mail reaches the world only through it.
    ``dispatched``: domains this run is already knocking on (not yet in the ledger)."""
    target, channel = channel_of(experiment, contact)
    host = endpoint_host(channel, target.domain)
    sandbox = is_sandbox_endpoint(channel, target.domain, smtp_host)
    if status == "closed":
        return Decision(REFUSE, f"experiment {experiment.id} is closed")
    if store.is_paused(experiment.id):
        return Decision(DEFER, "paused")
    if not dry_run:
        if status == "draft":
            return Decision(REFUSE, "the experiment is a draft: arm it first (knock experiment arm), or use --dry-run")
        if status != "live" and not sandbox:
            return Decision(REFUSE, f"{host} is a real address and the experiment is {status}, not live")
    entry = opted_out(experiment, target, channel)
    if entry:
        return Decision(SKIP, f"{target.domain} is covered by the opt-out entry {entry}")
    if dry_run:
        return Decision(GO)
    if store.contacts_made(experiment.id, target.id) >= experiment.ethics.max_contacts_per_company:
        return Decision(SKIP, f"contact cap reached for {target.id} ({experiment.ethics.max_contacts_per_company})")
    polite = not (ignore_schedule and sandbox)
    hours = experiment.hours_for(target)
    if polite and not is_business_time(now, hours, target.timezone):
        return Decision(DEFER, f"outside {target.name}'s business hours ({target.timezone})",
                        next_business_time(now, hours, target.timezone))
    if polite and target.domain in dispatched:
        return Decision(DEFER, f"spacing: {target.domain} is already being contacted in this run")
    last = store.last_contact_at_domain(target.domain)
    spacing = dt.timedelta(hours=experiment.design.spacing_hours)
    if polite and last and parse_iso(last) + spacing > now:
        return Decision(DEFER, f"spacing: {target.domain} was contacted at {last}", parse_iso(last) + spacing)
    return Decision(GO)


class Screen:
    """Walks one run's (or one dispatch's) due contacts through ``decide``.

    It records skips in the store and remembers the domains this pass has
    already taken, so two contacts to one company are never let through
    together; ``knock run`` and the queue's dispatcher share it.
    """

    def __init__(self, store, experiment: Experiment, status: str, now: dt.datetime,
                 ignore_schedule: bool = False, dry_run: bool = False, smtp_host: str = "127.0.0.1"):
        self.store, self.experiment, self.status, self.now = store, experiment, status, now
        self.ignore_schedule, self.dry_run, self.smtp_host = ignore_schedule, dry_run, smtp_host
        self.dispatched: set[str] = set()

    def decide(self, contact: dict) -> Decision:
        decision = decide(self.store, self.experiment, self.status, contact, self.now, self.ignore_schedule,
                          self.dry_run, self.smtp_host, frozenset(self.dispatched))
        if decision.action == SKIP:
            self.store.skip(contact["id"], decision.reason)
        return decision

    def took(self, contact: dict) -> None:
        """The caller went ahead with this contact: its domain is busy for the rest of the pass."""
        self.dispatched.add(self.experiment.target(contact["target_id"]).domain)
