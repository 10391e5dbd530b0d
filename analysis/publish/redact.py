"""The design file as published: the stored YAML with identities redacted and recipes removed.

Built from an allowlist of the definition's keys (see ``experiments.model``):
a key added to the model later is withheld until someone decides it may be
published. Comments are dropped with the rest of the YAML's formatting:
they are researcher notes.
"""

from __future__ import annotations

import json
import re

import yaml

from experiments import yamlio

from .anonymise import EMAIL_RE, REDACTED, Scrubber

REDACTED_EMAIL = "[redacted email address]"
TOP_LEVEL = ("id", "title", "hypothesis", "mailbox", "ethics", "design", "response_window_days",
             "business_hours", "personas", "variants", "targets", "coding", "publication")


def design_data(row: dict) -> dict | None:
    """The stored design as plain data (the source YAML, else the definition); None for imported studies."""
    if row.get("kind") != "designed":
        return None
    if row.get("source_yaml"):
        data = yaml.load(row["source_yaml"], Loader=yamlio.Loader)
        if isinstance(data, dict):
            return data
    return json.loads(row["definition"])


def scrubber(data: dict, companies: dict[str, str], pseudonymised: bool) -> Scrubber:
    """Free-text scrubbing for this design: persona identities always, companies when pseudonymised."""
    scrub = Scrubber()
    for persona in data.get("personas") or []:
        first, last = persona.get("first_name", ""), persona.get("last_name", "")
        scrub.add(f"{first} {last}", REDACTED)
        scrub.add(first, REDACTED)
        scrub.add(last, REDACTED)
        scrub.add(str(persona.get("phone") or ""), REDACTED, min_length=5)
        scrub.add(str(persona.get("company") or ""), REDACTED)
        for value in (persona.get("extra") or {}).values():
            scrub.add(str(value), REDACTED, min_length=4)
    if pseudonymised:
        for target in data.get("targets") or []:
            label = companies.get(str(target.get("id")), "a company")
            for text in (target.get("name"), target.get("domain"), target.get("id")):
                scrub.add(str(text or ""), label)
            for channel in target.get("channels") or []:
                scrub.add(str(channel.get("url") or ""), "[withheld web address]")
                scrub.add(str(channel.get("handle") or ""), "[withheld]")
    return scrub


def redact_design(data: dict, companies: dict[str, str], personas: dict[str, str], pseudonymised: bool,
                  withheld_strata=(), scrub: Scrubber | None = None) -> dict:
    """A redacted copy of the design data (see the module docstring)."""
    scrub = scrub or scrubber(data, companies, pseudonymised)
    out: dict = {}
    for key in TOP_LEVEL:
        if key not in data:
            continue
        value = data[key]
        if key == "mailbox":
            value = REDACTED_EMAIL
        elif key in ("title", "hypothesis"):
            value = scrub(str(value))
        elif key == "ethics":
            value = {k: (scrub(str(v)) if k == "approval" else v) for k, v in value.items() if k != "opt_out"}
        elif key == "personas":
            value = [_persona(p, personas) for p in value]
        elif key == "variants":
            value = [_variant(v, personas, scrub) for v in value]
        elif key == "targets":
            value = [_target(t, companies, pseudonymised, set(withheld_strata), scrub) for t in value]
        elif key == "coding":
            value = [dict(c, question=scrub(str(c.get("question", "")))) for c in value]
        out[key] = value
    return out


def _persona(persona: dict, personas: dict[str, str]) -> dict:
    out = {"id": personas.get(str(persona.get("id")), "persona"), "first_name": REDACTED, "last_name": REDACTED}
    for key in ("phone", "company"):
        if persona.get(key):
            out[key] = REDACTED
    if persona.get("mailbox"):
        out["mailbox"] = REDACTED_EMAIL
    if persona.get("extra"):
        out["extra"] = {k: REDACTED for k in persona["extra"]}
    return out


def _variant(variant: dict, personas: dict[str, str], scrub: Scrubber) -> dict:
    out = {}
    for key, value in variant.items():
        if key == "persona" and value:
            value = personas.get(str(value), "persona")
        elif key in ("description", "subject", "body"):
            value = scrub(str(value))
        elif key == "resume" and isinstance(value, dict):
            value = {k: ([scrub(str(x)) for x in v] if isinstance(v, list) else scrub(str(v)))
                     for k, v in value.items()}
        out[key] = value
    return out


def _target(target: dict, companies: dict[str, str], pseudonymised: bool, withheld: set, scrub: Scrubber) -> dict:
    label = companies.get(str(target.get("id")), "Company")
    strata = {k: v for k, v in (target.get("strata") or {}).items() if k not in withheld}
    if pseudonymised:
        out = {"id": re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-"), "name": label}
        if strata:
            out["strata"] = strata
        out["channels"] = [{"type": c.get("type")} for c in target.get("channels") or []]
        return out
    out = {k: target[k] for k in ("id", "name", "domain", "timezone") if k in target}
    if strata:
        out["strata"] = strata
    if target.get("business_hours"):
        out["business_hours"] = target["business_hours"]
    channels = []
    for channel in target.get("channels") or []:
        kept = {k: channel[k] for k in ("id", "type", "url", "handle") if channel.get(k)}
        if channel.get("address"):
            kept["address"] = REDACTED_EMAIL
        channels.append(kept)
    out["channels"] = channels
    return out


def design_yaml(redacted: dict, header: list[str]) -> str:
    """The redacted design as YAML with an explanatory header; every email address redacted once more."""
    body = EMAIL_RE.sub(REDACTED_EMAIL, yamlio.dump(redacted))
    return "".join(f"# {line}\n" if line else "#\n" for line in header) + "\n" + body
