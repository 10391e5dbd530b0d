"""Randomized assignment: from a definition to its contact plan.

The plan is a pure function of the definition (its seed included) and the
database's token key: the same file and seed always give the same plan, and
reply tokens stay unguessable to anyone who only has the published file.

Within-company designs send every variant to every company in random order;
between-company designs give each company one variant, balanced within
blocks of a stratum (arms within one of each other per block). Planned
times fall inside each target's business hours in its own timezone, spread
over the schedule and at least ``design.spacing_hours`` apart per domain.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import random
from collections import defaultdict
from dataclasses import dataclass

from experiments.calendar import local_windows, next_business_time
from experiments.model import Channel, Experiment, Target, Variant

TOKEN_LENGTH = 12


@dataclass(frozen=True)
class PlannedContact:
    key: str
    target_id: str
    channel_key: str
    channel_type: str
    variant_id: str
    persona_id: str
    block: str
    sequence: int
    planned_at: dt.datetime
    reply_token: str


def can_carry(variant_channels: list[str] | None, has_resume: bool, channel_type: str) -> bool:
    """Whether a variant can be sent through a channel of this type.

    A job application needs a résumé; a variant may also restrict itself to
    some channel types.
    """
    if variant_channels is not None and channel_type not in variant_channels:
        return False
    if channel_type == "job_application" and not has_resume:
        return False
    return True


def used_channels(experiment: Experiment, target: Target) -> list[Channel]:
    wanted = experiment.design.channels
    return [c for c in target.channels if wanted is None or c.type in wanted]


def _carries(variant: Variant, channel: Channel) -> bool:
    return can_carry(variant.channels, variant.resume is not None, channel.type)


def reply_token(key: bytes, experiment_id: str, contact_key: str) -> str:
    """An unguessable, stable token: HMAC of the contact's identity under the database's key."""
    digest = hmac.new(key, f"{experiment_id}\x1f{contact_key}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:TOKEN_LENGTH]


def block_of(experiment: Experiment, target: Target) -> str:
    by = experiment.design.block_by
    return target.strata.get(by, "") if by else ""


def assign_variants(experiment: Experiment, rng: random.Random) -> dict[str, list[Variant]]:
    """Variants each target receives, per the design."""
    if experiment.design.arms == "within":
        return {t.id: list(experiment.variants) for t in experiment.targets}
    blocks: dict[str, list[Target]] = defaultdict(list)
    for target in experiment.targets:
        blocks[block_of(experiment, target)].append(target)
    assigned: dict[str, list[Variant]] = {}
    for block in sorted(blocks):
        members = list(blocks[block])
        rng.shuffle(members)
        arms = list(experiment.variants)
        rng.shuffle(arms)
        for index, target in enumerate(members):
            assigned[target.id] = [arms[index % len(arms)]]
    return assigned


def _personas_for(experiment: Experiment, units: list[tuple[Channel, Variant]], rng: random.Random) -> list[str]:
    free = [p.id for p in experiment.personas]
    pool: list[str] = []
    while len(pool) < len(units):
        batch = list(free)
        rng.shuffle(batch)
        pool.extend(batch)
    return [variant.persona or pool[i] for i, (_, variant) in enumerate(units)]


class _BusinessAxis:
    """Maps 'seconds of business time since the schedule opened' to instants."""

    def __init__(self, windows: list[tuple[dt.datetime, dt.datetime]]):
        self.windows = windows
        self.total = sum((end - start).total_seconds() for start, end in windows)

    def at(self, offset: float) -> dt.datetime:
        for start, end in self.windows:
            length = (end - start).total_seconds()
            if offset < length:
                return start + dt.timedelta(seconds=offset)
            offset -= length
        return self.windows[-1][1]


def _schedule(experiment: Experiment, target: Target, count: int, rng: random.Random,
              not_before: dt.datetime | None) -> list[dt.datetime]:
    hours = experiment.hours_for(target)
    axis = _BusinessAxis(local_windows(hours, target.timezone, experiment.design.start, experiment.design.days))
    spacing = dt.timedelta(hours=experiment.design.spacing_hours)
    times: list[dt.datetime] = []
    previous = not_before
    for index in range(count):
        if axis.total <= 0:
            moment = dt.datetime.combine(experiment.design.start, dt.time(12), tzinfo=dt.timezone.utc)
        else:
            slice_ = axis.total / count
            moment = axis.at(slice_ * index + rng.random() * slice_)
        if previous is not None and moment < previous + spacing:
            moment = next_business_time(previous + spacing, hours, target.timezone, 370) or previous + spacing
        moment = moment.replace(microsecond=0)
        times.append(moment)
        previous = moment
    return times


def plan(experiment: Experiment, token_key: bytes) -> list[PlannedContact]:
    """The full contact plan, ordered by planned time."""
    rng = random.Random(f"knock-plan:{experiment.design.seed}")
    variants_by_target = assign_variants(experiment, rng)
    last_at_domain: dict[str, dt.datetime] = {}
    contacts: list[PlannedContact] = []
    for target in experiment.targets:
        units = [(channel, variant) for variant in variants_by_target[target.id]
                 for channel in used_channels(experiment, target) if _carries(variant, channel)]
        rng.shuffle(units)
        personas = _personas_for(experiment, units, rng)
        times = _schedule(experiment, target, len(units), rng, last_at_domain.get(target.domain))
        if times:
            last_at_domain[target.domain] = times[-1]
        for sequence, ((channel, variant), persona_id, moment) in enumerate(zip(units, personas, times)):
            key = f"{target.id}.{channel.key}.{variant.id}"
            contacts.append(PlannedContact(
                key=key, target_id=target.id, channel_key=channel.key, channel_type=channel.type,
                variant_id=variant.id, persona_id=persona_id, block=block_of(experiment, target),
                sequence=sequence, planned_at=moment,
                reply_token=reply_token(token_key, experiment.id, key)))
    contacts.sort(key=lambda c: (c.planned_at, c.key))
    return contacts
