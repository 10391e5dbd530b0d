"""The to-do list for knocks a person makes by hand (phone, social, chat)."""

from __future__ import annotations

from experiments.templates import render
from experiments.safety import is_reserved_domain, opted_out
from runners.contact_job import channel_of


def may_knock_by_hand(store, experiment, target, channel) -> str | None:
    """Why a person must not make this knock now, if they must not (None: go ahead).

    Only a live experiment reaches real companies; an armed one only the
    sandbox's (reserved domains). The opt-out list applies to knocks by hand too.
    """
    status = store.experiment_row(experiment.id)["status"]
    if status not in ("armed", "live"):
        return f"the experiment is {status}"
    if status == "armed" and not is_reserved_domain(target.domain):
        return f"{target.domain} is a real company and the experiment is armed, not live"
    entry = opted_out(experiment, target, channel)
    return f"{target.domain} is covered by the opt-out entry {entry}" if entry else None


def todo_items(store, experiment_id: str | None = None) -> list[dict]:
    """Due manual contacts with the rendered message to say or send."""
    items = []
    definitions: dict[str, object] = {}
    for contact in store.manual_todo(experiment_id, store.clock.now()):
        eid = contact["experiment_id"]
        experiment = definitions.setdefault(eid, store.definition(eid))
        target, channel = channel_of(experiment, contact)
        if may_knock_by_hand(store, experiment, target, channel):
            continue
        persona = experiment.persona(contact["persona_id"])
        variant = experiment.variant(contact["variant_id"])
        items.append({
            "contact_id": contact["id"], "experiment": eid, "planned_at": contact["planned_at"],
            "target": target.name, "channel": channel.type, "handle": channel.handle or "",
            "persona": persona.name,
            "message": render(variant.body, experiment, persona, target, contact["reply_token"]),
        })
    return items
