"""Turn a planned contact into a self-contained ``SubmissionJob``.

The job carries the rendered message, the field values, the recipe and the
hosts the browser may talk to, so a worker on another host needs no
database and no experiment file.
"""

from __future__ import annotations

import base64

from experiments.model import Channel, Experiment, Target, reply_address
from experiments.safety import endpoint_host, is_loopback
from experiments.templates import render
from runners.jobs import SubmissionJob

AUTOMATED = ("web_form", "job_application", "email")


def channel_of(experiment: Experiment, contact: dict) -> tuple[Target, Channel]:
    target = experiment.target(contact["target_id"])
    return target, next(c for c in target.channels if c.key == contact["channel_key"])


def allowed_hosts(target: Target, channel: Channel) -> tuple[str, ...]:
    """The form's own host, the target's domain and its www; nothing else."""
    host = endpoint_host(channel, target.domain)
    if is_loopback(host):
        return (host,)
    return tuple(sorted({host, target.domain, f"www.{target.domain}"}))


def build_job(experiment: Experiment, contact: dict, dry_run: bool = False, evidence: str = "default",
              live: bool = False) -> SubmissionJob:
    target, channel = channel_of(experiment, contact)
    persona = experiment.persona(contact["persona_id"])
    variant = experiment.variant(contact["variant_id"])
    token = contact["reply_token"]
    mailbox = persona.mailbox or experiment.mailbox
    subject = render(variant.subject, experiment, persona, target, token)
    body = render(variant.body, experiment, persona, target, token)
    values = {
        "name": persona.name, "first_name": persona.first_name, "last_name": persona.last_name,
        "email": reply_address(mailbox, token), "phone": persona.phone or "", "company": persona.company or "",
        "subject": subject, "message": body, "consent": "yes",
    }
    recipe = channel.recipe.model_dump(mode="json", exclude_none=True) if channel.recipe else None
    if channel.recipe:
        values.update(channel.recipe.values)
    resume_b64 = None
    if variant.resume is not None and channel.type in ("job_application", "email"):
        from runners.resume import resume_pdf

        resume_b64 = base64.b64encode(resume_pdf(variant.resume, persona, values["email"])).decode()
    return SubmissionJob(
        contact_id=contact["id"], experiment_id=experiment.id, channel_type=channel.type,
        url=channel.url, address=channel.address, recipe=recipe, values=values, subject=subject, body=body,
        reply_to=values["email"], sender_name=persona.name, allowed_hosts=allowed_hosts(target, channel),
        resume_pdf_b64=resume_b64, resume_filename=f"{persona.first_name}-{persona.last_name}-CV.pdf".replace(" ", "-"),
        dry_run=dry_run, evidence=evidence, live=live)
