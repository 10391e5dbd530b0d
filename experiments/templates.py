"""Message templates: Jinja2 over a persona and a target.

Templates run in Jinja2's sandbox with ``StrictUndefined``: a researcher's
typo must fail validation, never send "Dear ," to a real company. The same
checker that renders also lists the placeholders a template uses, so
``knock experiment validate`` can name a missing one with its line.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from experiments.model import Experiment, Persona, Target, reply_address

ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)

PERSONA_FIELDS = ("id", "first_name", "last_name", "name", "phone", "company", "email")
TARGET_FIELDS = ("id", "name", "domain", "timezone")
TOP_LEVEL = ("persona", "target", "token", "reply_to", "experiment_title")


@dataclass(frozen=True)
class TemplateProblem:
    line: int  # line inside the template, 1-based
    message: str


def persona_context(persona: Persona, mailbox: str, token: str) -> dict:
    return {
        "id": persona.id,
        "first_name": persona.first_name,
        "last_name": persona.last_name,
        "name": persona.name,
        "phone": persona.phone or "",
        "company": persona.company or "",
        "email": reply_address(persona.mailbox or mailbox, token),
        **persona.extra,
    }


def target_context(target: Target) -> dict:
    return {"id": target.id, "name": target.name, "domain": target.domain,
            "timezone": target.timezone, **target.strata}


def render(template: str, experiment: Experiment, persona: Persona, target: Target, token: str) -> str:
    """Render one template for one contact."""
    mailbox = persona.mailbox or experiment.mailbox
    return ENV.from_string(template).render(
        persona=persona_context(persona, mailbox, token),
        target=target_context(target),
        token=token,
        reply_to=reply_address(mailbox, token),
        experiment_title=experiment.title,
    )


def check(template: str, persona_fields: set[str], target_fields: set[str]) -> list[TemplateProblem]:
    """Problems with a template: syntax, unknown variables, unknown fields.

    ``persona_fields``/``target_fields`` are the fields that *every* persona
    and target has, so a template never depends on which one it meets.
    """
    try:
        tree = ENV.parse(template)
    except TemplateSyntaxError as exc:
        return [TemplateProblem(exc.lineno or 1, f"template syntax error: {exc.message}")]
    problems: list[TemplateProblem] = []
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    known = {"persona": persona_fields, "target": target_fields}
    for name in tree.find_all(nodes.Name):
        if name.ctx != "load" or name.name in assigned:
            continue
        if name.name not in TOP_LEVEL:
            problems.append(TemplateProblem(
                name.lineno, f"unknown placeholder '{name.name}' (known: {', '.join(TOP_LEVEL)})"))
    for attr in tree.find_all(nodes.Getattr):
        if isinstance(attr.node, nodes.Name) and attr.node.name in known:
            fields = known[attr.node.name]
            if attr.attr not in fields:
                problems.append(TemplateProblem(
                    attr.lineno,
                    f"unknown placeholder '{attr.node.name}.{attr.attr}' "
                    f"(every {attr.node.name} has: {', '.join(sorted(fields))})"))
    return sorted(set(problems), key=lambda p: (p.line, p.message))
