"""The to-do list for knocks a person makes by hand (phone, social, chat)."""

from __future__ import annotations

from experiments.templates import render
from runners.contact_job import channel_of


def todo_items(store, experiment_id: str | None = None) -> list[dict]:
    """Due manual contacts with the rendered message to say or send."""
    items = []
    definitions: dict[str, object] = {}
    for contact in store.manual_todo(experiment_id, store.clock.now()):
        eid = contact["experiment_id"]
        row = store.experiment_row(eid)
        if row["status"] != "live" and not row["status"] == "armed":
            continue
        experiment = definitions.setdefault(eid, store.definition(eid))
        target, channel = channel_of(experiment, contact)
        persona = experiment.persona(contact["persona_id"])
        variant = experiment.variant(contact["variant_id"])
        items.append({
            "contact_id": contact["id"], "experiment": eid, "planned_at": contact["planned_at"],
            "target": target.name, "channel": channel.type, "handle": channel.handle or "",
            "persona": persona.name,
            "message": render(variant.body, experiment, persona, target, contact["reply_token"]),
        })
    return items
